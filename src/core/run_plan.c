/*
 * run_plan.c — validating a search before it starts, and parsing its options once.
 *
 * The evaluation space, fixed values and warm-start points are built in
 * run_plan_points.c.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "gates.h"
#include "objective.h"
#include "pt_alloc.h"
#include "pt_json.h"
#include "run_plan.h"
#include "run_plan_points.h"
#include "strategy.h"

/* The keys a run's options object may carry. */
static const char *const run_option_keys[] = {
	"label", "objective", "fixed", "warm_start", "tpe", "backtest", "llm", "direction",
	"time_limit", "workers", "warm_start_from", "cluster", NULL
};

/* True when key is one of run_option_keys. */
static bool
is_run_option(const char *key)
{
	int			i;

	for (i = 0; run_option_keys[i] != NULL; i++)
		if (strcmp(key, run_option_keys[i]) == 0)
			return true;
	return false;
}

/* The known option names, comma-separated, for hints. */
static const char *
known_options(void)
{
	static char list[256];
	int			i;

	if (list[0] == '\0')
		for (i = 0; run_option_keys[i] != NULL; i++)
		{
			if (i > 0)
				strncat(list, ", ", sizeof(list) - strlen(list) - 1);
			strncat(list, run_option_keys[i], sizeof(list) - strlen(list) - 1);
		}
	return list;
}

/* Read the study controls: direction, time_limit (text the glue parses), workers. */
static int
read_study_options(PtRunPlan *plan, struct json_object *opts, PtError *err)
{
	struct json_object *v;

	plan->workers = 1;
	if (json_object_object_get_ex(opts, "direction", &v))
	{
		const char *d = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";

		if (strcmp(d, "minimize") == 0)
			plan->minimize = true;
		else if (strcmp(d, "maximize") != 0)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "options.direction must be \"maximize\" or \"minimize\"");
	}
	if (json_object_object_get_ex(opts, "time_limit", &v))
	{
		if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "options.time_limit must be an interval as text, such as \"10 minutes\"");
		plan->time_limit = PtStrdup(json_object_get_string(v));
		if (plan->time_limit == NULL)
			return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
	}
	if (json_object_object_get_ex(opts, "workers", &v))
	{
		int64_t		n = json_object_get_int64(v);

		if (!json_object_is_type(v, json_type_int) || n < 1 || n > PT_MAX_WORKERS)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "options.workers must be an integer between 1 and %d", PT_MAX_WORKERS);
		plan->workers = (int) n;
	}
	return PT_OK;
}

/* Read the scalar options (label, objective) and check the object members' types. */
static int
read_simple_options(PtRunPlan *plan, struct json_object *opts, PtError *err)
{
	struct json_object *v;

	if (json_object_object_get_ex(opts, "label", &v) && !json_object_is_type(v, json_type_null))
	{
		if (!json_object_is_type(v, json_type_string))
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "options.label must be a string");
		if (json_object_get_string_len(v) > PT_LABEL_MAX)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "options.label is longer than %d bytes", PT_LABEL_MAX);
		plan->label = PtStrdup(json_object_get_string(v));
	}
	if (json_object_object_get_ex(opts, "objective", &v))
	{
		if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "options.objective must be a non-empty string");
		if (json_object_get_string_len(v) > PT_OBJECTIVE_NAME_MAX)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "options.objective is longer than %d bytes", PT_OBJECTIVE_NAME_MAX);
		plan->objective = PtStrdup(json_object_get_string(v));
	}
	else
		plan->objective = PtStrdup(PT_DEFAULT_OBJECTIVE);
	if (json_object_object_get_ex(opts, "fixed", &v) && !json_object_is_type(v, json_type_object))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "options.fixed must be a JSON object");
	if (json_object_object_get_ex(opts, "tpe", &v) && !json_object_is_type(v, json_type_object))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "options.tpe must be a JSON object");
	if (json_object_object_get_ex(opts, "backtest", &v) && !json_object_is_type(v, json_type_object))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "options.backtest must be a JSON object");
	/* options.llm's members are checked by the llm strategies when they are created. */
	if (json_object_object_get_ex(opts, "llm", &v) && !json_object_is_type(v, json_type_object))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "options.llm must be a JSON object");
	if (plan->objective == NULL || (plan->label == NULL && json_object_object_get_ex(opts, "label", &v) &&
									!json_object_is_type(v, json_type_null)))
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
	return PT_OK;
}

/* Check the options object: its type, its keys, then each member. */
static int
read_options(PtRunPlan *plan, PtError *err)
{
	struct json_object *opts = plan->options;
	int			rc;

	if (!json_object_is_type(opts, json_type_object))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "options must be a JSON object");
	json_object_object_foreach(opts, key, val)
	{
		(void) val;
		if (!is_run_option(key))
		{
			PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "unknown option \"%s\"", key);
			PtErrorHint(err, "Known options: %s.", known_options());
			return err->code;
		}
	}
	rc = read_simple_options(plan, opts, err);
	if (rc == PT_OK)
		rc = read_study_options(plan, opts, err);
	if (rc == PT_OK)
		rc = PtRunPlanBuildPoints(plan, err);
	return rc;
}

/* Parse the space and options texts, gate-checking each before anything else reads them. */
static int
parse_inputs(PtRunPlan *plan, const char *space_json, PtError *err)
{
	struct json_object *space_obj;
	int			rc;

	space_obj = PtJsonParse(space_json, "the search space", err);
	if (space_obj == NULL)
		return err->code;
	rc = PtGateCheckObject(space_obj, NULL, "the search space", err);
	if (rc == PT_OK)
	{
		plan->options = PtJsonParse(plan->options_json, "options", err);
		if (plan->options == NULL)
			rc = err->code;
		else
			rc = PtGateCheckObject(plan->options, "options", "options", err);
	}
	if (rc == PT_OK)
	{
		plan->space = PtSpaceFromJson(space_obj, err);
		if (plan->space == NULL)
			rc = err->code;
	}
	json_object_put(space_obj);
	return rc;
}

/* Validate and build a plan. */
PtRunPlan *
PtRunPlanCreate(const char *space_json, const char *strategy, int budget, uint64_t seed,
				const char *options_json, PtError *err)
{
	PtRunPlan  *plan;
	PtStrategy *probe;
	PtStrategyInit sinit;
	PtError		space_err;
	PtError		local;
	int			rc;

	if (err == NULL)
		err = &local;
	PtErrorClear(err);
	plan = PtCalloc(1, sizeof(PtRunPlan));
	if (plan == NULL)
	{
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	plan->budget = budget;
	plan->seed = seed;
	/* NULL options are no options. */
	plan->options_json = PtStrdup(options_json != NULL ? options_json : "{}");
	if (plan->options_json == NULL)
	{
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
		goto fail;
	}
	/* Gated keys and unparsable JSON first, then budget and strategy, then the space's specs. */
	rc = parse_inputs(plan, space_json, err);
	if (rc != PT_OK && rc != PT_ERR_INVALID_PARAMETER)
		goto fail;
	space_err = *err;
	if (budget < 1 || budget > PT_MAX_BUDGET)
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "budget must be between 1 and %d, not %d",
				   PT_MAX_BUDGET, budget);
		goto fail;
	}
	if (!PtStrategyExists(strategy))
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "unknown strategy \"%.*s\"",
				   PT_ERROR_MESSAGE_MAX / 2, strategy != NULL ? strategy : "(null)");
		PtErrorHint(err, "Known strategies: %s.", PtStrategyNameList());
		goto fail;
	}
	if (rc != PT_OK)
	{
		*err = space_err;
		goto fail;
	}
	plan->strategy = PtStrdup(strategy);
	if (plan->strategy == NULL)
	{
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
		goto fail;
	}
	if (read_options(plan, err) != PT_OK)
		goto fail;
	/* The strategy checks its own options (options.tpe) when it is created. */
	sinit = PtRunPlanStrategyInit(plan);
	probe = PtStrategyCreate(strategy, &sinit, err);
	if (probe == NULL)
		goto fail;
	PtStrategyFree(probe);
	return plan;

fail:
	PtRunPlanFree(plan);
	return NULL;
}

/* What the plan's strategy is created from. */
PtStrategyInit
PtRunPlanStrategyInit(const PtRunPlan *plan)
{
	PtStrategyInit init = {plan->space, plan->seed, plan->options, NULL};

	return init;
}

/* What the plan's objective is opened with. */
PtObjectiveInit
PtRunPlanObjectiveInit(const PtRunPlan *plan, const char *policy_json)
{
	/* One thread per evaluation: the glue raises it from ptopt.backtest_threads. */
	PtObjectiveInit init = {plan->eval_space, plan->space->n_params, plan->options, policy_json,
	plan->seed, 1};

	return init;
}

/* Free a plan. */
void
PtRunPlanFree(PtRunPlan *plan)
{
	if (plan == NULL)
		return;
	PtSpaceFree(plan->space);
	PtSpaceFree(plan->eval_space);
	PtFree(plan->base);
	PtFree(plan->strategy);
	PtFree(plan->options_json);
	if (plan->options != NULL)
		json_object_put(plan->options);
	PtFree(plan->label);
	PtFree(plan->time_limit);
	PtFree(plan->objective);
	PtFree(plan->warm);
	PtFree(plan);
}
