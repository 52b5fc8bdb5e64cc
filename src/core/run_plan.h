/*
 * run_plan.h — a validated search, parsed once: space, strategy, budget, seed and options.
 *
 * Built once in the calling backend (so every bad input errors before a run
 * row exists) and once in the worker that executes it; nothing in the run
 * parses the options again.  Everything here is checked: hard gates first,
 * then the space, the options, the strategy's own options and the
 * warm-start points.
 *
 * Points.  The strategy works on the search space (plan->space).  The
 * objective works on the evaluation space (plan->eval_space): the search
 * space's dimensions first, then one extra dimension per options.fixed key
 * and per parameter a warm-start point sets outside the space.  An extra
 * dimension is a categorical whose choices are the JSON texts it takes; in a
 * point it holds the choice index, or NaN when unset (the objective's
 * default, and left out of the JSON).  A strategy's point is completed with
 * plan->base (the fixed values) by PtRunPlanEvalPoint; a warm-start point is
 * a whole evaluation point already.
 */
#ifndef PTOPT_RUN_PLAN_H
#define PTOPT_RUN_PLAN_H

#include <stdint.h>

#include "objective.h"
#include "pt_error.h"
#include "space.h"
#include "strategy.h"

#define PT_MAX_BUDGET 1000000		/* iterations in one run */
#define PT_LABEL_MAX 200			/* bytes in a run label */
#define PT_OBJECTIVE_NAME_MAX 512	/* bytes in an objective name */
#define PT_MAX_WORKERS 64			/* trials evaluated at once (options.workers) */

struct json_object;

typedef struct PtRunPlan
{
	PtSpace    *space;			/* the search space: the strategy's dimensions */
	PtSpace    *eval_space;		/* space + extra dimensions: the objective's */
	double	   *base;			/* eval_space->n_params: NaN, or the fixed value's choice index */
	char	   *strategy;		/* a registered strategy name */
	int			budget;
	uint64_t	seed;
	char	   *options_json;	/* the options object as given (for the run row) */
	struct json_object *options;	/* the options, parsed once; NULL for none */
	char	   *label;			/* options.label, or NULL */
	char	   *objective;		/* options.objective, or PT_DEFAULT_OBJECTIVE */
	bool		minimize;		/* options.direction = "minimize": lower scores are better */
	char	   *time_limit;		/* options.time_limit as given (an interval the glue reads), or NULL */
	int			workers;		/* options.workers: trials evaluated at once (1 = serial) */
	int			n_warm;			/* options.warm_start points */
	double	   *warm;			/* n_warm evaluation points */
} PtRunPlan;

/*
 * Validate and build a plan.  NULL with err set: PT_ERR_HARD_GATE for a gated
 * key anywhere in the space or the options, PT_ERR_INVALID_TEXT for JSON that
 * does not parse, PT_ERR_INVALID_PARAMETER for everything else.  The
 * objective is not checked here (the glue knows user SQL functions).
 */
extern PtRunPlan *PtRunPlanCreate(const char *space_json, const char *strategy, int budget,
								  uint64_t seed, const char *options_json, PtError *err);

/* The i-th warm-start point (eval_space->n_params values). */
extern const double *PtRunPlanWarmPoint(const PtRunPlan *plan, int i);

/* Complete a search-space point x into an evaluation point (eval_space->n_params values). */
extern void PtRunPlanEvalPoint(const PtRunPlan *plan, const double *x, double *point);

/* An evaluation point as a JSON object text (PtMalloc'd): the stored row, a SQL objective's argument. */
extern char *PtRunPlanPointJson(const PtRunPlan *plan, const double *point, PtError *err);

/* What the plan's strategy is created from (llm settings left NULL for the glue to fill). */
extern PtStrategyInit PtRunPlanStrategyInit(const PtRunPlan *plan);

/* What the plan's objective is opened with. */
extern PtObjectiveInit PtRunPlanObjectiveInit(const PtRunPlan *plan, const char *policy_json);

/* Free a plan (NULL is fine). */
extern void PtRunPlanFree(PtRunPlan *plan);

#endif							/* PTOPT_RUN_PLAN_H */
