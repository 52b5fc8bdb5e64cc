/*
 * pt_evaluate_sql.c — ptopt_evaluate: one evaluation, as a run makes it, callable from SQL.
 *
 * What every node of a PL/Proxy cluster runs for the coordinating run
 * (pt_cluster.c): the same plan (space, objective, fixed values, backtest
 * options), the same point, the same objective as a local run.  An error of
 * the objective is raised with its own SQLSTATE, so the coordinator records
 * it in the trial's report.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"

#include "objective.h"
#include "pt_alloc.h"
#include "pt_glue.h"
#include "pt_objective_sql.h"
#include "pt_policy.h"
#include "run_plan.h"

PG_FUNCTION_INFO_V1(ptopt_evaluate);

/* Score one parameter set with the objective of options; returns the ReportEnvelope or {"score": s}. */
Datum
ptopt_evaluate(PG_FUNCTION_ARGS)
{
	char	   *space;
	char	   *params;
	char	   *options;
	PtRunPlan  *plan;
	PtObjective *objective;
	PtEvaluation eval = {0};
	PtError		err;
	char	   *canonical;
	double	   *x;
	char	   *point;
	char	   *result;

	PtRequireArgs(fcinfo, 0);
	space = PtJsonbToText(PG_GETARG_JSONB_P(0));
	params = PtJsonbToText(PG_GETARG_JSONB_P(1));
	options = PtJsonbToText(PG_GETARG_JSONB_P(2));
	/* The strategy is not used: any registered one lets the plan be built. */
	plan = PtRunPlanCreate(space, "random", 1, 0, options, &err);
	if (plan == NULL)
		PtRaise(&err);
	canonical = PtObjectiveResolve(plan);
	objective = PtObjectiveOpen(canonical, options, PtPolicySnapshot(CurrentMemoryContext));
	x = palloc0(sizeof(double) * (plan->space->n_params + 1));
	if (PtSpacePointFromJson(plan->space, params, plan->fixed_json, "params", x, &err) != PT_OK)
		PtRaise(&err);
	point = PtTakeString(PtSpacePointToJson(plan->space, x, plan->fixed_json, &err));
	if (point == NULL)
		PtRaise(&err);
	if (PtObjectiveEvaluate(objective, point, &eval, PtPgStop(), &err) != PT_OK)
		PtRaise(&err);
	if (eval.report_json != NULL)
		result = PtTakeString(eval.report_json);
	else
		result = psprintf("{\"score\": %s}", float8out_internal(eval.score));
	eval.report_json = NULL;
	PtEvaluationClear(&eval);
	PtObjectiveFree(objective);
	PtRunPlanFree(plan);
	PG_RETURN_DATUM(PtTextToJsonb(result));
}
