/*
 * run_overhead.c — the core side of one run iteration, for instruction counts under callgrind.
 *
 * Usage: run_overhead quadratic|clob [iterations]
 *
 * Does what the worker's run loop does per iteration outside the database:
 * the strategy's proposal, the evaluation point, the stored row's JSON text,
 * and the objective's evaluation (random search; "quadratic" over x and y in
 * [-5, 5], or "clob" over ptopt's default backtest with three searched
 * parameters).  Run it under
 *     valgrind --tool=callgrind --callgrind-out-file=out bench/build/run_overhead quadratic 5000
 * and divide the total instruction count by the iterations; for "clob",
 * callgrind_annotate --inclusive=yes shows how much of it is inside
 * ClobSessionRunValues (the backtest proper).  Nothing here asserts a timing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objective.h"
#include "objective_clob.h"
#include "pt_alloc.h"
#include "run_plan.h"
#include "strategy.h"

#define QUADRATIC_SPACE "{\"x\": {\"type\": \"float\", \"low\": -5, \"high\": 5}," \
	" \"y\": {\"type\": \"float\", \"low\": -5, \"high\": 5}}"
#define CLOB_SPACE "{\"mm.c_vol\": {\"type\": \"float\", \"low\": 0, \"high\": 3}," \
	" \"mm.layers\": {\"type\": \"int\", \"low\": 1, \"high\": 4}," \
	" \"exec.allow_taker_exit\": {\"type\": \"bool\"}}"

/* Stop with a message. */
static void
die(const char *what, const PtError *err)
{
	fprintf(stderr, "run_overhead: %s: %s\n", what, err->message);
	exit(1);
}

/* Run the loop and print a checksum of the scores. */
int
main(int argc, char **argv)
{
	bool		clob = argc > 1 && strcmp(argv[1], "clob") == 0;
	int			budget = argc > 2 ? atoi(argv[2]) : (clob ? 20 : 5000);
	const char *options = clob ? "{}" : "{\"objective\": \"quadratic\"}";
	PtError		err;
	PtRunPlan  *plan;
	PtStrategy *strategy;
	PtObjective *objective;
	PtStrategyInit sinit;
	PtObjectiveInit oinit;
	double		x[PT_SPACE_MAX_PARAMS];
	double		point[PT_EVAL_MAX_PARAMS];
	double		sum = 0;
	int			iter;

	PtObjectiveRegister(&PtClobObjective);
	plan = PtRunPlanCreate(clob ? CLOB_SPACE : QUADRATIC_SPACE, "random", budget, 1, options, &err);
	if (plan == NULL)
		die("plan", &err);
	sinit = PtRunPlanStrategyInit(plan);
	strategy = PtStrategyCreate("random", &sinit, &err);
	oinit = PtRunPlanObjectiveInit(plan, NULL);
	objective = PtObjectiveCreate(PtObjectiveLookup(plan->objective), &oinit, &err);
	if (strategy == NULL || objective == NULL)
		die("open", &err);
	for (iter = 1; iter <= budget; iter++)
	{
		PtProposal	prop = {0};
		PtEvaluation eval;
		char	   *params;

		prop.x = x;
		if (PtStrategyPropose(strategy, NULL, iter, &prop, NULL, &err) != PT_OK)
			die("propose", &err);
		PtRunPlanEvalPoint(plan, x, point);
		params = PtRunPlanPointJson(plan, point, &err);
		if (params == NULL || PtObjectiveEvaluate(objective, point, &eval, NULL, &err) != PT_OK)
			die("evaluate", &err);
		sum += eval.score;
		PtEvaluationClear(&eval);
		PtFree(params);
		PtFree(prop.reasoning);
	}
	printf("%d iterations, score sum %.6f\n", budget, sum);
	PtObjectiveFree(objective);
	PtStrategyFree(strategy);
	PtRunPlanFree(plan);
	return 0;
}
