/*
 * run_plan_points.h — a plan's evaluation space, fixed values and warm-start points.
 */
#ifndef PTOPT_RUN_PLAN_POINTS_H
#define PTOPT_RUN_PLAN_POINTS_H

#include "pt_error.h"
#include "run_plan.h"

/*
 * Build plan->eval_space, plan->base and plan->warm from plan->space and
 * plan->options (options.fixed, options.warm_start).  A fixed key in the
 * search space, a warm-start value that differs from options.fixed, and a
 * warm-start value outside a searched parameter's spec are errors.
 */
extern int	PtRunPlanBuildPoints(PtRunPlan *plan, PtError *err);

#endif							/* PTOPT_RUN_PLAN_POINTS_H */
