/*
 * pt_objective_sql.h — choosing a run's objective, and user SQL functions as objectives.
 */
#ifndef PTOPT_PT_OBJECTIVE_SQL_H
#define PTOPT_PT_OBJECTIVE_SQL_H

#include "objective.h"
#include "run_plan.h"

/*
 * Check options.objective for a plan and return the canonical name to store:
 * a built-in name as is (after its own check of the space), or
 * "schema.function(jsonb)" for a user function that takes jsonb, returns
 * float8 or jsonb, and that the current role may execute.  Raises otherwise.
 */
extern char *PtObjectiveResolve(const PtRunPlan *plan);

/*
 * Open the objective of a canonical name over the plan's evaluation space
 * (the plan must outlive it); raises on failure.
 */
extern PtObjective *PtObjectiveOpen(const char *canonical, const PtRunPlan *plan,
									const char *policy_json);

#endif							/* PTOPT_PT_OBJECTIVE_SQL_H */
