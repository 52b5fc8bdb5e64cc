/*
 * objective_open.h — open a built-in objective over the run plan of a space
 * and options, as a run does, for the C unit tests.
 */
#ifndef PTOPT_TEST_OBJECTIVE_OPEN_H
#define PTOPT_TEST_OBJECTIVE_OPEN_H

#include "objective.h"
#include "pt_error.h"
#include "run_plan.h"

/* A plan for space_json and options_json with the objective opened over it; the error code. */
static inline int
open_objective(const char *name, const char *space_json, const char *options_json,
			   PtRunPlan **plan, PtObjective **obj, PtError *err)
{
	PtObjectiveInit init;

	*obj = NULL;
	*plan = PtRunPlanCreate(space_json, "random", 10, 1, options_json, err);
	if (*plan == NULL)
		return err->code;
	init = PtRunPlanObjectiveInit(*plan, NULL);
	*obj = PtObjectiveCreate(PtObjectiveLookup(name), &init, err);
	return *obj != NULL ? PT_OK : err->code;
}

/* Free what open_objective made. */
static inline void
close_objective(PtRunPlan *plan, PtObjective *obj)
{
	PtObjectiveFree(obj);
	PtRunPlanFree(plan);
}

#endif							/* PTOPT_TEST_OBJECTIVE_OPEN_H */
