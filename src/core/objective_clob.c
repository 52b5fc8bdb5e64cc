/*
 * objective_clob.c — the built-in "clob_v2" objective: the synthetic CLOB V2 backtest.
 *
 * The state is a ClobSession built from the run's options.backtest (absent
 * means the defaults) and the policy snapshot, so every trial of a run
 * replays the same cached worlds.  validate_space holds a space to the
 * tunable table of src/clob (names, types, ranges); evaluate runs one trial
 * and hands back its score, held-out score and ReportEnvelope.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "clob.h"
#include "gates.h"
#include "objective.h"
#include "pt_alloc.h"
#include "pt_error.h"
#include "space.h"

/* The options.backtest member as JSON text (PtMalloc'd), NULL when absent. */
static int
backtest_options(const char *options_json, char **out, PtError *err)
{
	enum json_tokener_error jerr;
	struct json_object *opts;
	struct json_object *bt;
	int			rc = PT_OK;

	*out = NULL;
	if (options_json == NULL)
		return PT_OK;
	opts = json_tokener_parse_verbose(options_json, &jerr);
	if (opts == NULL)
		return PtErrorSet(err, PT_ERR_INVALID_TEXT, "invalid JSON in the run options: %s",
						  json_tokener_error_desc(jerr));
	if (json_object_is_type(opts, json_type_object) &&
		json_object_object_get_ex(opts, "backtest", &bt) && bt != NULL)
	{
		if (!json_object_is_type(bt, json_type_object))
			rc = PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "options.backtest must be a JSON object");
		else
		{
			*out = PtStrdup(json_object_to_json_string_ext(bt, JSON_C_TO_STRING_PLAIN));
			if (*out == NULL)
				rc = PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
		}
	}
	json_object_put(opts);
	return rc;
}

/* New state: a backtest session. */
static void *
clob_init(const char *options_json, const char *policy_json, PtError *err)
{
	char	   *bt = NULL;
	ClobSession *session;

	if (backtest_options(options_json, &bt, err) != PT_OK)
		return NULL;
	session = ClobSessionCreate(bt, policy_json, err);
	PtFree(bt);
	return session;
}

/* True when a categorical's choices are exactly true and false. */
static bool
bool_choices(const PtParam *p)
{
	bool		has_true = false;
	bool		has_false = false;
	int			i;

	for (i = 0; i < p->n_choices; i++)
	{
		if (strcmp(p->choices[i], "true") == 0)
			has_true = true;
		else if (strcmp(p->choices[i], "false") == 0)
			has_false = true;
		else
			return false;
	}
	return has_true && has_false && p->n_choices == 2;
}

/* Check a space against the tunable parameters, and options.fixed. */
static int
clob_validate_space(void *state, const PtSpace *space, const char *fixed_json, PtError *err)
{
	int			n_info;
	const ClobParamInfo *info = ClobTunableParams(&n_info);
	int			i;

	for (i = 0; i < space->n_params; i++)
	{
		const PtParam *p = &space->params[i];
		const ClobParamInfo *t = NULL;
		const char *family;
		int			j;

		family = PtGateMatchKey(p->name);
		if (family != NULL)
		{
			PtErrorSet(err, PT_ERR_HARD_GATE, "OPT_REFUSED_HARD_GATE: \"%s\" is a hard safety gate",
					   p->name);
			PtErrorDetail(err, "The search space names \"%s\", which falls in the gated family %s.",
						  p->name, family);
			PtErrorHint(err, "Gated settings come from ptopt.policy; remove the key from the search space.");
			return PT_ERR_HARD_GATE;
		}
		for (j = 0; j < n_info; j++)
			if (strcmp(info[j].name, p->name) == 0)
				t = &info[j];
		if (t == NULL)
		{
			PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "unknown backtest parameter \"%s\"", p->name);
			PtErrorHint(err, "ptopt_params() lists the tunable parameters.");
			return PT_ERR_INVALID_PARAMETER;
		}
		switch (t->kind)
		{
			case CLOB_PARAM_BOOL:
				if (p->type != PT_PARAM_BOOL &&
					!(p->type == PT_PARAM_CATEGORICAL && bool_choices(p)))
					return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
									  "parameter \"%s\" is a bool: search it as bool or as a categorical with choices [true, false]",
									  p->name);
				continue;
			case CLOB_PARAM_INT:
				if (p->type != PT_PARAM_INT)
					return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
									  "parameter \"%s\" is an int and must be searched as int, not %s",
									  p->name, PtParamTypeName(p->type));
				break;
			case CLOB_PARAM_FLOAT:
				if (p->type != PT_PARAM_FLOAT)
					return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
									  "parameter \"%s\" is a float and must be searched as float, not %s",
									  p->name, PtParamTypeName(p->type));
				break;
		}
		if (p->low < t->low - 1e-9 * fmax(1.0, fabs(t->low)) ||
			p->high > t->high + 1e-9 * fmax(1.0, fabs(t->high)))
		{
			PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
					   "search range of \"%s\" [%.15g, %.15g] is outside the parameter's range [%.15g, %.15g]",
					   p->name, p->low, p->high, t->low, t->high);
			return PT_ERR_INVALID_PARAMETER;
		}
	}
	if (fixed_json != NULL)
		return ClobCheckParams(fixed_json, err);
	return PT_OK;
}

/* Run one trial. */
static int
clob_evaluate(void *state, const char *params_json, PtEvaluation *out, const PtStop *stop,
			  PtError *err)
{
	ClobResult	res;
	int			rc;

	rc = ClobSessionRun((ClobSession *) state, params_json, stop, &res, err);
	if (rc != PT_OK)
		return rc;
	out->score = res.score;
	out->has_holdout = res.has_holdout;
	out->holdout_score = res.holdout_score;
	out->report_json = res.envelope_json;
	out->summary = res.summary;
	return PT_OK;
}

/* Release the session. */
static void
clob_free(void *state)
{
	ClobSessionFree((ClobSession *) state);
}

const PtObjectiveOps PtClobObjective = {
	.name = "clob_v2",
	.init = clob_init,
	.validate_space = clob_validate_space,
	.evaluate = clob_evaluate,
	.free = clob_free,
};
