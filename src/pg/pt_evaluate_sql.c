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
#include "utils/memutils.h"

#include "objective.h"
#include "pt_alloc.h"
#include "pt_glue.h"
#include "pt_objective_sql.h"
#include "pt_policy.h"
#include "run_plan.h"

PG_FUNCTION_INFO_V1(ptopt_evaluate);

/*
 * The last built-in objective this backend opened, kept for the next call:
 * a node of a cluster evaluates one trial per call on a connection PL/Proxy
 * keeps open, and the backtest generates its worlds when it is opened
 * (about 50 ms for the default scenario), so a session reuses them as a run's
 * worker does.  Keyed by everything the objective is built from.
 */
typedef struct EvaluateCache
{
	char	   *key;			/* objective, space, options and policy texts; NULL when empty */
	PtRunPlan  *plan;
	PtObjective *objective;
} EvaluateCache;

static EvaluateCache cache;

/* Drop the cached objective. */
static void
cache_clear(void)
{
	PtObjectiveFree(cache.objective);
	PtRunPlanFree(cache.plan);
	if (cache.key != NULL)
		pfree(cache.key);
	memset(&cache, 0, sizeof(cache));
}

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
	char	   *policy;
	char	   *key;
	size_t		key_len;
	bool		builtin;

	PtRequireArgs(fcinfo, 0);
	space = PtJsonbToText(PG_GETARG_JSONB_P(0));
	params = PtJsonbToText(PG_GETARG_JSONB_P(1));
	options = PtJsonbToText(PG_GETARG_JSONB_P(2));
	/* The strategy is not used: any registered one lets the plan be built. */
	plan = PtRunPlanCreate(space, "random", 1, 0, options, &err);
	if (plan == NULL)
		PtRaise(&err);
	canonical = PtObjectiveResolve(plan);
	policy = PtPolicySnapshot(CurrentMemoryContext);
	builtin = PtObjectiveLookup(canonical) != NULL;
	key = psprintf("%s%c%s%c%s%c%s", canonical, 0, space, 0, options, 0, policy);
	key_len = strlen(canonical) + strlen(space) + strlen(options) + strlen(policy) + 3;
	if (builtin && cache.key != NULL && memcmp(cache.key, key, key_len + 1) == 0)
	{
		PtRunPlanFree(plan);
		plan = cache.plan;
		objective = cache.objective;
	}
	else
	{
		if (builtin)
			cache_clear();
		objective = PtObjectiveOpen(canonical, options, policy);
		if (builtin)
		{
			cache.plan = plan;
			cache.objective = objective;
			cache.key = MemoryContextAlloc(TopMemoryContext, key_len + 1);
			memcpy(cache.key, key, key_len + 1);
		}
	}
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
	if (!builtin)
	{
		PtObjectiveFree(objective);
		PtRunPlanFree(plan);
	}
	PG_RETURN_DATUM(PtTextToJsonb(result));
}
