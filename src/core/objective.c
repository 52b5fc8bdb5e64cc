/*
 * objective.c — the objective registry and the calls through the objective vtable.
 */
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "objective.h"
#include "pt_alloc.h"
#include "pt_error.h"
#include "pt_json.h"

#define PT_MAX_OBJECTIVES 8			/* built-in objectives, registered ones included */

/*
 * The built-in objectives, looked up by name: the closed-form ones of core,
 * then those registered by a layer above (the backtest of src/clob).
 */
static const PtObjectiveOps *objective_registry[PT_MAX_OBJECTIVES] = {
	&PtBraninObjective,
	&PtQuadraticObjective,
};
static int	n_objectives = 2;

/* Register a built-in objective (once; registering the same ops again is a no-op). */
void
PtObjectiveRegister(const PtObjectiveOps *ops)
{
	int			i;

	for (i = 0; i < n_objectives; i++)
		if (objective_registry[i] == ops)
			return;
	if (n_objectives < PT_MAX_OBJECTIVES)
		objective_registry[n_objectives++] = ops;
}

/* Look up a built-in objective by name; NULL when there is none. */
const PtObjectiveOps *
PtObjectiveLookup(const char *name)
{
	int			i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < n_objectives; i++)
	{
		if (strcmp(objective_registry[i]->name, name) == 0)
			return objective_registry[i];
	}
	return NULL;
}

/* Create an objective from its ops. */
PtObjective *
PtObjectiveCreate(const PtObjectiveOps *ops, const PtObjectiveInit *init, PtError *err)
{
	PtObjective *objective;
	PtError		local;

	if (err == NULL)
		err = &local;
	PtErrorClear(err);
	if (ops == NULL)
	{
		PtErrorSet(err, PT_ERR_INTERNAL, "no objective given");
		return NULL;
	}
	objective = PtCalloc(1, sizeof(PtObjective));
	if (objective == NULL)
	{
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory creating objective \"%s\"", ops->name);
		return NULL;
	}
	objective->ops = ops;
	if (ops->init != NULL)
	{
		objective->state = ops->init(init, err);
		if (err->code != PT_OK)
		{
			if (objective->state != NULL && ops->free != NULL)
				ops->free(objective->state);
			PtFree(objective);
			return NULL;
		}
	}
	return objective;
}

/* PtObjectiveCreate over a search space alone, options given as JSON text. */
PtObjective *
PtObjectiveCreateFromText(const PtObjectiveOps *ops, const PtSpace *space, const char *options_json,
						  const char *policy_json, PtError *err)
{
	PtObjectiveInit init = {space, space != NULL ? space->n_params : 0, NULL, policy_json, 0, 0};
	struct json_object *opts = NULL;
	PtObjective *objective;
	PtError		local;

	if (err == NULL)
		err = &local;
	PtErrorClear(err);
	if (options_json != NULL && options_json[strspn(options_json, " \t\r\n")] != '\0')
	{
		opts = PtJsonParse(options_json, "options", err);
		if (opts == NULL)
			return NULL;
	}
	init.options = opts;
	objective = PtObjectiveCreate(ops, &init, err);
	json_object_put(opts);
	return objective;
}

/* Evaluate one point; out is zeroed first. */
int
PtObjectiveEvaluate(PtObjective *objective, const double *x,
					PtEvaluation *out, const PtStop *stop, PtError *err)
{
	int			rc;
	PtError		local;

	if (err == NULL)
		err = &local;
	PtErrorClear(err);
	memset(out, 0, sizeof(PtEvaluation));
	if (PtStopRequested(stop))
		return PtErrorSet(err, PT_ERR_CANCELLED, "canceling the evaluation");
	rc = objective->ops->evaluate(objective->state, x, out, stop, err);
	if (rc != PT_OK)
		PtEvaluationClear(out);
	return rc;
}

/* True when the objective has a held-out evaluation. */
bool
PtObjectiveHasHoldout(const PtObjective *objective)
{
	return objective->ops->evaluate_holdout != NULL;
}

/* The held-out score of a point. */
int
PtObjectiveEvaluateHoldout(PtObjective *objective, const double *x, double *score,
						   const PtStop *stop, PtError *err)
{
	PtError		local;

	if (err == NULL)
		err = &local;
	PtErrorClear(err);
	if (objective->ops->evaluate_holdout == NULL)
		return PtErrorSet(err, PT_ERR_INTERNAL, "objective \"%s\" has no held-out evaluation",
						  objective->ops->name);
	if (PtStopRequested(stop))
		return PtErrorSet(err, PT_ERR_CANCELLED, "canceling the evaluation");
	return objective->ops->evaluate_holdout(objective->state, x, score, stop, err);
}

/* The numeric value of dimension i at point value v. */
bool
PtSpaceNumericValue(const PtSpace *space, int i, double v, double *out)
{
	const PtParam *p = &space->params[i];
	const char *text;
	char	   *end;
	double		d;

	if (isnan(v))
		return false;
	if (p->type == PT_PARAM_FLOAT || p->type == PT_PARAM_INT)
	{
		*out = v;
		return true;
	}
	if (v < 0 || v >= p->n_choices)
		return false;
	text = p->choices[(int) v];
	if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0)
	{
		*out = text[0] == 't' ? 1 : 0;
		return true;
	}
	d = strtod(text, &end);
	if (end == text || *end != '\0' || !isfinite(d) || !(text[0] == '-' || (text[0] >= '0' && text[0] <= '9')))
		return false;
	*out = d;
	return true;
}

/* Free what an evaluation holds (not the struct). */
void
PtEvaluationClear(PtEvaluation *eval)
{
	if (eval == NULL)
		return;
	PtFree(eval->report_json);
	PtFree(eval->summary);
	eval->report_json = NULL;
	eval->summary = NULL;
}

/* Free an objective. */
void
PtObjectiveFree(PtObjective *objective)
{
	if (objective == NULL)
		return;
	if (objective->ops->free != NULL)
		objective->ops->free(objective->state);
	PtFree(objective);
}
