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
#include "pt_alloc_pg.h"
#include "pt_glue.h"
#include "pt_objective_sql.h"
#include "pt_policy.h"
#include "pt_settings.h"
#include "run_plan.h"

PG_FUNCTION_INFO_V1(ptopt_evaluate);

/*
 * The last built-in objective this backend opened, kept for the next call:
 * a node of a cluster evaluates one trial per call on a connection PL/Proxy
 * keeps open, and the backtest generates its worlds when it is opened
 * (about 50 ms for the default scenario), so a session reuses them as a run's
 * worker does.  Keyed by everything the objective is built from,
 * ptopt.backtest_threads included.
 */
typedef struct EvaluateCache
{
	MemoryContext cxt;			/* holds the plan, the objective and the key */
	char	   *key;			/* space, options and policy texts; NULL when empty */
	size_t		key_len;
	PtRunPlan  *plan;
	PtObjective *objective;
} EvaluateCache;

static EvaluateCache cache;

/* The cache's memory context, created on first use. */
static MemoryContext
cache_context(void)
{
	if (cache.cxt == NULL)
		cache.cxt = AllocSetContextCreate(TopMemoryContext, "ptopt_evaluate cache",
										  ALLOCSET_DEFAULT_SIZES);
	return cache.cxt;
}

/* Drop the cached objective. */
static void
cache_clear(void)
{
	MemoryContext cxt = cache_context();

	PtObjectiveFree(cache.objective);
	PtRunPlanFree(cache.plan);
	MemoryContextReset(cxt);
	memset(&cache, 0, sizeof(cache));
	cache.cxt = cxt;
}

/* Build (in the cache's context) the plan and objective of a built-in objective, and keep them. */
static void
cache_fill(const char *space, const char *options, const char *canonical, const char *policy,
		   const char *key, size_t key_len)
{
	MemoryContext old;
	PtError		err;

	cache_clear();
	old = PtAllocTarget(cache_context());
	PG_TRY();
	{
		/* The strategy is not used: any registered one lets the plan be built. */
		cache.plan = PtRunPlanCreate(space, "random", 1, 0, options, &err);
		if (cache.plan == NULL)
			PtRaise(&err);
		cache.objective = PtObjectiveOpen(canonical, cache.plan, policy);
	}
	PG_CATCH();
	{
		(void) PtAllocTarget(old);
		cache_clear();
		PG_RE_THROW();
	}
	PG_END_TRY();
	(void) PtAllocTarget(old);
	cache.key = MemoryContextAlloc(cache_context(), key_len);
	memcpy(cache.key, key, key_len);
	cache.key_len = key_len;
}

/* Score a point; raises the objective's error. */
static void
evaluate(PtRunPlan *plan, PtObjective *objective, const char *params, PtEvaluation *eval)
{
	PtError		err;
	double	   *x = palloc0(sizeof(double) * (plan->space->n_params + 1));
	double	   *point = palloc0(sizeof(double) * (plan->eval_space->n_params + 1));

	/* The params hold the fixed values too: they are not search dimensions. */
	if (PtSpacePointFromJson(plan->space, params, "params", PT_POINT_IGNORE_UNKNOWN, x, &err) != PT_OK)
		PtRaise(&err);
	PtRunPlanEvalPoint(plan, x, point);
	if (PtObjectiveEvaluate(objective, point, eval, PtPgStop(), &err) != PT_OK)
		PtRaise(&err);
}

/* Score a point with the cached objective, which allocates what it keeps in the cache's context. */
static void
evaluate_cached(const char *params, PtEvaluation *eval)
{
	MemoryContext old = PtAllocTarget(cache_context());

	PG_TRY();
	{
		evaluate(cache.plan, cache.objective, params, eval);
	}
	PG_FINALLY();
	{
		(void) PtAllocTarget(old);
	}
	PG_END_TRY();
}

/* Score one parameter set with the objective of options; returns the ReportEnvelope or {"score": s}. */
Datum
ptopt_evaluate(PG_FUNCTION_ARGS)
{
	char	   *space;
	char	   *params;
	char	   *options;
	char	   *policy;
	char	   *key;
	size_t		key_len;
	PtEvaluation eval = {0};
	char	   *result;
	bool		evaluated = false;

	PtRequireArgs(fcinfo, 0);
	space = PtJsonbToText(PG_GETARG_JSONB_P(0));
	params = PtJsonbToText(PG_GETARG_JSONB_P(1));
	options = PtJsonbToText(PG_GETARG_JSONB_P(2));
	policy = PtPolicySnapshot(CurrentMemoryContext);
	/* ptopt.backtest_threads is read when the objective is opened: a new value opens it again. */
	key = psprintf("%s%c%s%c%s%c%d", space, 0, options, 0, policy, 0, ptopt_backtest_threads);
	key_len = strlen(space) + strlen(options) + strlen(policy) + 3;
	key_len += strlen(key + key_len) + 1;
	if (cache.key == NULL || cache.key_len != key_len || memcmp(cache.key, key, key_len) != 0)
	{
		PtRunPlan  *plan;
		PtError		err;
		char	   *canonical;

		plan = PtRunPlanCreate(space, "random", 1, 0, options, &err);
		if (plan == NULL)
			PtRaise(&err);
		canonical = PtObjectiveResolve(plan);
		if (PtObjectiveLookup(canonical) == NULL)
		{
			/* A SQL objective: opened for this call only (a lookup is cheap). */
			PtObjective *objective = PtObjectiveOpen(canonical, plan, policy);

			evaluate(plan, objective, params, &eval);
			PtObjectiveFree(objective);
			evaluated = true;
		}
		PtRunPlanFree(plan);
		if (!evaluated)
			cache_fill(space, options, canonical, policy, key, key_len);
	}
	if (!evaluated)
		evaluate_cached(params, &eval);
	if (eval.report_json != NULL)
		result = PtTakeString(eval.report_json);
	else
		result = psprintf("{\"score\": %s}", float8out_internal(eval.score));
	eval.report_json = NULL;
	PtEvaluationClear(&eval);
	PG_RETURN_DATUM(PtTextToJsonb(result));
}
