/*
 * objective.c — the built-in objectives and the calls through the objective vtable.
 */
#include <string.h>

#include "objective.h"
#include "pt_alloc.h"
#include "pt_error.h"

/*
 * The built-in objectives, looked up by name.  To add one, declare its ops
 * in objective.h and list it here.
 */
static const PtObjectiveOps *const builtin_objectives[] = {
	&PtBraninObjective,
	&PtQuadraticObjective,
	&PtClobObjective,
};

#define PT_N_OBJECTIVES ((int) (sizeof(builtin_objectives) / sizeof(builtin_objectives[0])))

/* Look up a built-in objective by name; NULL when there is none. */
const PtObjectiveOps *
PtObjectiveLookup(const char *name)
{
	int			i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < PT_N_OBJECTIVES; i++)
	{
		if (strcmp(builtin_objectives[i]->name, name) == 0)
			return builtin_objectives[i];
	}
	return NULL;
}

/* Create an objective from its ops. */
PtObjective *
PtObjectiveCreate(const PtObjectiveOps *ops, const char *options_json,
				  const char *policy_json, PtError *err)
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
		objective->state = ops->init(options_json, policy_json, err);
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

/* Validate a space against the objective. */
int
PtObjectiveValidateSpace(PtObjective *objective, const PtSpace *space,
						 const char *fixed_json, PtError *err)
{
	PtError		local;

	if (err == NULL)
		err = &local;
	PtErrorClear(err);
	if (objective->ops->validate_space == NULL)
		return PT_OK;
	return objective->ops->validate_space(objective->state, space, fixed_json, err);
}

/* Evaluate one parameter set; out is zeroed first. */
int
PtObjectiveEvaluate(PtObjective *objective, const char *params_json,
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
	rc = objective->ops->evaluate(objective->state, params_json, out, stop, err);
	if (rc != PT_OK)
		PtEvaluationClear(out);
	return rc;
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
