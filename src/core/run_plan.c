/*
 * run_plan.c — validating a search before it starts.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "gates.h"
#include "objective.h"
#include "pt_alloc.h"
#include "run_plan.h"
#include "strategy.h"

/* The keys a run's options object may carry. */
static const char *const run_option_keys[] = {
	"label", "objective", "fixed", "warm_start", "tpe", "backtest", "warm_start_from", "cluster", NULL
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

/* Copy a JSON value's plain text into a PtMalloc'd string. */
static char *
json_text(struct json_object *value)
{
	return PtStrdup(json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
}

/* Read the scalar options (label, objective) and the fixed object. */
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
	if (json_object_object_get_ex(opts, "fixed", &v))
	{
		if (!json_object_is_type(v, json_type_object))
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "options.fixed must be a JSON object");
		plan->fixed_json = json_text(v);
		if (PtSpaceCheckFixed(plan->space, plan->fixed_json, err) != PT_OK)
			return err->code;
	}
	if (json_object_object_get_ex(opts, "tpe", &v) && !json_object_is_type(v, json_type_object))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "options.tpe must be a JSON object");
	if (json_object_object_get_ex(opts, "backtest", &v) && !json_object_is_type(v, json_type_object))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "options.backtest must be a JSON object");
	return PT_OK;
}

/* Read options.warm_start into plan->warm, in space order. */
static int
read_warm_start(PtRunPlan *plan, struct json_object *opts, PtError *err)
{
	struct json_object *arr;
	int			n_params = plan->space->n_params;
	int			i;

	if (!json_object_object_get_ex(opts, "warm_start", &arr))
		return PT_OK;
	if (!json_object_is_type(arr, json_type_array))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "options.warm_start must be a JSON array of parameter objects");
	plan->n_warm = (int) json_object_array_length(arr);
	if (plan->n_warm > plan->budget)
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
				   "options.warm_start has %d entries but the budget is %d",
				   plan->n_warm, plan->budget);
		PtErrorHint(err, "Raise the budget to at least the number of warm-start points.");
		return err->code;
	}
	plan->warm = PtCalloc((size_t) (plan->n_warm > 0 ? plan->n_warm : 1) * (size_t) n_params + 1,
						  sizeof(double));
	if (plan->warm == NULL)
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
	for (i = 0; i < plan->n_warm; i++)
	{
		struct json_object *point = json_object_array_get_idx(arr, i);
		char		what[64];

		snprintf(what, sizeof(what), "options.warm_start[%d]", i);
		if (!json_object_is_type(point, json_type_object))
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "%s must be a JSON object", what);
		if (PtSpacePointFromJson(plan->space, json_object_to_json_string_ext(point, JSON_C_TO_STRING_PLAIN),
								 plan->fixed_json, what,
								 plan->warm + (size_t) i * n_params, err) != PT_OK)
			return err->code;
	}
	return PT_OK;
}

/* Check the options object: its type, its keys, then each member. */
static int
read_options(PtRunPlan *plan, PtError *err)
{
	struct json_object *opts;
	struct json_tokener *tok;
	int			rc = PT_OK;

	tok = json_tokener_new();
	if (tok == NULL)
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
	opts = json_tokener_parse_ex(tok, plan->options_json, (int) strlen(plan->options_json));
	if (json_tokener_get_error(tok) != json_tokener_success)
	{
		json_tokener_free(tok);
		return PtErrorSet(err, PT_ERR_INVALID_TEXT, "options is not valid JSON");
	}
	json_tokener_free(tok);
	if (!json_object_is_type(opts, json_type_object))
		rc = PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "options must be a JSON object");
	else
	{
		json_object_object_foreach(opts, key, val)
		{
			(void) val;
			if (!is_run_option(key))
			{
				rc = PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "unknown option \"%s\"", key);
				PtErrorHint(err, "Known options: label, objective, fixed, warm_start, warm_start_from, cluster, tpe, backtest.");
				break;
			}
		}
		if (rc == PT_OK)
			rc = read_simple_options(plan, opts, err);
		if (rc == PT_OK)
			rc = read_warm_start(plan, opts, err);
	}
	json_object_put(opts);
	return rc;
}

/* Validate and build a plan. */
PtRunPlan *
PtRunPlanCreate(const char *space_json, const char *strategy, int budget, uint64_t seed,
				const char *options_json, PtError *err)
{
	PtRunPlan  *plan;
	PtStrategy *probe;

	PtErrorClear(err);
	if (PtGateCheckJson(space_json, NULL, "the search space", err) != PT_OK)
		return NULL;
	if (PtGateCheckJson(options_json, "options", "options", err) != PT_OK)
		return NULL;
	if (budget < 1 || budget > PT_MAX_BUDGET)
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "budget must be between 1 and %d, not %d",
				   PT_MAX_BUDGET, budget);
		return NULL;
	}
	if (!PtStrategyExists(strategy))
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "unknown strategy \"%.*s\"",
				   PT_ERROR_MESSAGE_MAX / 2, strategy != NULL ? strategy : "(null)");
		PtErrorHint(err, "Known strategies: %s.", PtStrategyNameList());
		return NULL;
	}
	plan = PtCalloc(1, sizeof(PtRunPlan));
	if (plan == NULL)
	{
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	plan->budget = budget;
	plan->seed = seed;
	plan->strategy = PtStrdup(strategy);
	/* NULL options are no options (read_options would strlen(NULL)). */
	plan->options_json = PtStrdup(options_json != NULL ? options_json : "{}");
	if (plan->strategy == NULL || plan->options_json == NULL)
	{
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
		PtRunPlanFree(plan);
		return NULL;
	}
	plan->space = PtSpaceParse(space_json, err);
	if (plan->space == NULL || read_options(plan, err) != PT_OK)
	{
		PtRunPlanFree(plan);
		return NULL;
	}
	/* The strategy checks its own options (options.tpe) when it is created. */
	probe = PtStrategyCreate(strategy, plan->space, seed, plan->options_json, err);
	if (probe == NULL)
	{
		PtRunPlanFree(plan);
		return NULL;
	}
	PtStrategyFree(probe);
	return plan;
}

/* The i-th warm-start point. */
const double *
PtRunPlanWarmPoint(const PtRunPlan *plan, int i)
{
	return plan->warm + (size_t) i * plan->space->n_params;
}

/* Free a plan. */
void
PtRunPlanFree(PtRunPlan *plan)
{
	if (plan == NULL)
		return;
	PtSpaceFree(plan->space);
	PtFree(plan->strategy);
	PtFree(plan->options_json);
	PtFree(plan->label);
	PtFree(plan->objective);
	PtFree(plan->fixed_json);
	PtFree(plan->warm);
	PtFree(plan);
}
