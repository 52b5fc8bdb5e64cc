/*
 * run_plan.h — a validated search: space, strategy, budget, seed and options.
 *
 * Built once in the calling backend (so every bad input errors before a run
 * row exists) and again in the worker that executes it.  Everything here is
 * checked: hard gates first, then the space, the options, the strategy's own
 * options and the warm-start points.
 */
#ifndef PTOPT_RUN_PLAN_H
#define PTOPT_RUN_PLAN_H

#include <stdint.h>

#include "pt_error.h"
#include "space.h"

#define PT_MAX_BUDGET 1000000		/* iterations in one run */
#define PT_LABEL_MAX 200			/* bytes in a run label */
#define PT_OBJECTIVE_NAME_MAX 512	/* bytes in an objective name */

typedef struct PtRunPlan
{
	PtSpace    *space;
	char	   *strategy;		/* a registered strategy name */
	int			budget;
	uint64_t	seed;
	char	   *options_json;	/* the options object as given */
	char	   *label;			/* options.label, or NULL */
	char	   *objective;		/* options.objective, or PT_DEFAULT_OBJECTIVE */
	char	   *fixed_json;		/* options.fixed object text, or NULL */
	int			n_warm;			/* options.warm_start points, already in space order */
	double	   *warm;			/* n_warm * space->n_params values */
} PtRunPlan;

/*
 * Validate and build a plan.  NULL with err set: PT_ERR_HARD_GATE for a gated
 * key anywhere in the space or the options, PT_ERR_INVALID_TEXT for JSON that
 * does not parse, PT_ERR_INVALID_PARAMETER for everything else.  The
 * objective is not checked here (the glue knows user SQL functions).
 */
extern PtRunPlan *PtRunPlanCreate(const char *space_json, const char *strategy, int budget,
								  uint64_t seed, const char *options_json, PtError *err);

/* The i-th warm-start point (n_params values). */
extern const double *PtRunPlanWarmPoint(const PtRunPlan *plan, int i);

/* Free a plan (NULL is fine). */
extern void PtRunPlanFree(PtRunPlan *plan);

#endif							/* PTOPT_RUN_PLAN_H */
