/*
 * objective_clob.c — the built-in "clob_v2" objective: the synthetic CLOB V2 backtest.
 *
 * Lives in src/clob (it knows the simulator; core does not) and is
 * registered with core's objective registry at start-up
 * (PtObjectiveRegister).  The state is a ClobSession built from the run's
 * options.backtest (absent means the defaults) and the policy snapshot, so
 * every trial of a run replays the same cached worlds.  init holds the
 * evaluation space to the tunable table (names, types, ranges, the values of
 * options.fixed and of warm-start parameters outside the space) and maps
 * each dimension to its table index once; evaluate fills the values array
 * from a point and calls ClobSessionRunValues, with no JSON on the way.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "clob.h"
#include "clob_internal.h"
#include "gates.h"
#include "objective.h"
#include "objective_clob.h"
#include "pt_alloc.h"
#include "pt_error.h"
#include "pt_json.h"
#include "space.h"

#define WARM_START_ORIGIN "options.warm_start"	/* how an extra dimension set by a warm start is marked */

/* How one dimension of the evaluation space reaches the values array. */
typedef struct ClobDim
{
	int			index;			/* in ClobTunableParams order */
	double	   *choice_values;	/* categorical: the value of each choice; NULL: the point value */
	double		low;			/* clamp of a direct value (a log sample within rounding of a bound) */
	double		high;
} ClobDim;

/* The objective's state: the session and the dimension map. */
typedef struct ClobObjective
{
	ClobSession *session;
	int			n_dims;
	ClobDim    *dims;
} ClobObjective;

/* The options.backtest member as JSON text (PtMalloc'd), NULL when absent. */
static int
backtest_options(const struct json_object *opts, char **out, PtError *err)
{
	struct json_object *bt;

	*out = NULL;
	if (opts == NULL || !json_object_is_type(opts, json_type_object) ||
		!json_object_object_get_ex(opts, "backtest", &bt) || bt == NULL)
		return PT_OK;
	if (!json_object_is_type(bt, json_type_object))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "options.backtest must be a JSON object");
	*out = PtStrdup(json_object_to_json_string_ext(bt, JSON_C_TO_STRING_PLAIN));
	if (*out == NULL)
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
	return PT_OK;
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

/* Check the search dimensions against the tunable parameters; map each to its index. */
static int
check_search_dims(const PtSpace *space, int n_search, ClobDim *dims, PtError *err)
{
	int			n_info;
	const ClobParamInfo *info = ClobTunableParams(&n_info);
	int			i;

	for (i = 0; i < n_search; i++)
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
			{
				t = &info[j];
				dims[i].index = j;
			}
		if (t == NULL)
		{
			PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "unknown backtest parameter \"%s\"", p->name);
			PtErrorHint(err, "ptopt_params() lists the tunable parameters.");
			return PT_ERR_INVALID_PARAMETER;
		}
		dims[i].low = t->low;
		dims[i].high = t->high;
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
	return PT_OK;
}

/*
 * Map a categorical dimension's choices (a bool searched as categorical, or
 * an extra dimension) to values, each checked as the backtest checks a
 * parameter set: {"name": choice} through ClobParamsParse.
 */
static int
map_choices(const PtParam *p, ClobDim *dim, PtError *err)
{
	double		values[CLOB_N_PARAMS];
	int			c;

	dim->index = ClobParamIndex(p->name);
	dim->choice_values = PtCalloc(p->n_choices > 0 ? p->n_choices : 1, sizeof(double));
	if (dim->choice_values == NULL)
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
	for (c = 0; c < p->n_choices; c++)
	{
		PtJsonBuf	buf = {0};
		char	   *text;
		int			rc;

		PtJsonBufAppend(&buf, "{", 1);
		PtJsonBufAppendString(&buf, p->name);
		PtJsonBufAppend(&buf, ": ", 2);
		PtJsonBufAppend(&buf, p->choices[c], strlen(p->choices[c]));
		PtJsonBufAppend(&buf, "}", 1);
		text = PtJsonBufFinish(&buf);
		if (text == NULL)
			return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
		rc = ClobParamsParse(text, values, err);
		PtFree(text);
		if (rc != PT_OK)
		{
			/* Say where an extra dimension's value was set. */
			if (p->extra && p->description != NULL &&
				strncmp(p->description, WARM_START_ORIGIN, strlen(WARM_START_ORIGIN)) == 0)
			{
				size_t		dlen = strlen(p->description);
				size_t		mlen = strlen(err->message);

				if (dlen + 2 + mlen < sizeof(err->message))
				{
					memmove(err->message + dlen + 2, err->message, mlen + 1);
					memcpy(err->message, p->description, dlen);
					memcpy(err->message + dlen, ": ", 2);
				}
			}
			return rc;
		}
		dim->choice_values[c] = values[dim->index];
	}
	return PT_OK;
}

/* Release the state. */
static void
clob_free(void *state)
{
	ClobObjective *co = state;
	int			i;

	if (co == NULL)
		return;
	ClobSessionFree(co->session);
	if (co->dims != NULL)
		for (i = 0; i < co->n_dims; i++)
			PtFree(co->dims[i].choice_values);
	PtFree(co->dims);
	PtFree(co);
}

/* New state: check and map the evaluation space, then open a backtest session. */
static void *
clob_init(const PtObjectiveInit *init, PtError *err)
{
	ClobObjective *co;
	char	   *bt = NULL;
	int			i;

	co = PtCalloc(1, sizeof(ClobObjective));
	if (co == NULL || (init->space != NULL &&
					   (co->dims = PtCalloc(init->space->n_params + 1, sizeof(ClobDim))) == NULL))
	{
		PtFree(co);
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	if (init->space != NULL)
	{
		co->n_dims = init->space->n_params;
		if (check_search_dims(init->space, init->n_search, co->dims, err) != PT_OK)
			goto fail;
		for (i = 0; i < co->n_dims; i++)
		{
			const PtParam *p = &init->space->params[i];

			if ((i >= init->n_search || p->type == PT_PARAM_BOOL || p->type == PT_PARAM_CATEGORICAL) &&
				map_choices(p, &co->dims[i], err) != PT_OK)
				goto fail;
		}
	}
	if (backtest_options(init->options, &bt, err) != PT_OK)
		goto fail;
	co->session = ClobSessionCreate(bt, init->policy_json, err);
	PtFree(bt);
	if (co->session == NULL)
		goto fail;
	/* Fresh held-out worlds per run, reproducible from its seed. */
	ClobSessionSetRunSeed(co->session, init->seed);
	ClobSessionSetThreads(co->session, init->threads == PT_OBJECTIVE_THREADS_AUTO ? CLOB_THREADS_AUTO
						  : init->threads > 1 ? init->threads : 1);
	return co;

fail:
	clob_free(co);
	return NULL;
}

/* The backtest's values (table order) of point x: defaults where x is unset. */
static void
point_values(const ClobObjective *co, const double *x, double *values)
{
	int			n_info;
	const ClobParamInfo *info = ClobTunableParams(&n_info);
	int			i;

	for (i = 0; i < n_info && i < CLOB_N_PARAMS; i++)
		values[i] = info[i].default_value;
	for (i = 0; i < co->n_dims; i++)
	{
		const ClobDim *d = &co->dims[i];

		if (isnan(x[i]))
			continue;
		if (d->choice_values != NULL)
			values[d->index] = d->choice_values[(int) x[i]];
		else
			values[d->index] = fmin(fmax(x[i], d->low), d->high);
	}
}

/* Run one trial of point x on the training worlds. */
static int
clob_evaluate(void *state, const double *x, PtEvaluation *out, const PtStop *stop,
			  PtError *err)
{
	ClobObjective *co = state;
	double		values[CLOB_N_PARAMS];
	ClobResult	res;
	int			rc;

	point_values(co, x, values);
	rc = ClobSessionRunValues(co->session, values, stop, &res, err);
	if (rc != PT_OK)
		return rc;
	out->score = res.score;
	out->report_json = res.envelope_json;
	out->summary = res.summary;
	return PT_OK;
}

/* Score point x on the held-out worlds (the incumbent best); nothing else comes back. */
static int
clob_evaluate_holdout(void *state, const double *x, double *score, const PtStop *stop,
					  PtError *err)
{
	ClobObjective *co = state;
	double		values[CLOB_N_PARAMS];
	double		stderr_score;

	point_values(co, x, values);
	return ClobSessionRunHoldout(co->session, values, stop, score, &stderr_score, err);
}

const PtObjectiveOps PtClobObjective = {
	.name = "clob_v2",
	.init = clob_init,
	.evaluate = clob_evaluate,
	.evaluate_holdout = clob_evaluate_holdout,
	.free = clob_free,
};
