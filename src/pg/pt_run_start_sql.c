/*
 * pt_run_start_sql.c — ptopt_run, ptopt_start, ptopt_resume, ptopt_resume_start, ptopt_validate.
 *
 * Every bad input errors here, in the caller, before a worker or a run row
 * exists.  ptopt_run and ptopt_resume then follow the worker (its NOTICEs
 * and errors are relayed) and return the run's summary; the *_start forms
 * return the run_id once the worker holds the run.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/syscache.h"

#include "pt_asktell.h"
#include "pt_glue.h"
#include "pt_llm.h"
#include "pt_objective_sql.h"
#include "pt_run_launch.h"
#include "pt_run_scale.h"
#include "pt_run_store.h"
#include "run_plan.h"

PG_FUNCTION_INFO_V1(ptopt_run);
PG_FUNCTION_INFO_V1(ptopt_start);
PG_FUNCTION_INFO_V1(ptopt_resume);
PG_FUNCTION_INFO_V1(ptopt_resume_start);
PG_FUNCTION_INFO_V1(ptopt_validate);

/* Refuse a role the worker could not connect as (PostgreSQL 15 requires LOGIN). */
static void
check_role_can_login(void)
{
	HeapTuple	tuple = SearchSysCache1(AUTHOID, ObjectIdGetDatum(GetUserId()));
	bool		can_login;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for role %u", GetUserId());
	can_login = ((Form_pg_authid) GETSTRUCT(tuple))->rolcanlogin;
	ReleaseSysCache(tuple);
	if (!can_login)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" cannot run searches because it cannot log in",
						GetUserNameFromId(GetUserId(), false)),
				 errdetail("A search runs in a background worker connected as the calling role."),
				 errhint("Run it as a role with LOGIN.")));
}

/* Refuse to wait on a worker under a snapshot that cannot see what the worker commits. */
static void
refuse_snapshot_isolation(const char *function)
{
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("%s cannot run in a REPEATABLE READ or SERIALIZABLE transaction", function),
				 errdetail("The search commits each iteration in a worker; this transaction's snapshot would never see them."),
				 errhint("Run it in READ COMMITTED, or call ptopt_start here and ptopt_wait in a READ COMMITTED transaction.")));
}

/*
 * An LLM strategy reaches the network: only members of ptopt_llm_user may
 * use it (42501), and it needs an endpoint and a model (PT005) — checked by
 * creating it with this session's settings, as the worker will.
 */
static void
check_strategy_settings(const PtRunPlan *plan)
{
	PtStrategyInit sinit = PtRunPlanStrategyInit(plan);
	PtLlmSettings llm;
	PtStrategy *probe;
	PtError		err;

	if (strcmp(plan->strategy, "llm") != 0 && strcmp(plan->strategy, "llm_tpe") != 0)
		return;
	PtLlmCheckPrivilege(plan->strategy);
	PtLlmSettingsFill(&llm);
	sinit.llm = &llm;
	probe = PtStrategyCreate(plan->strategy, &sinit, &err);
	if (probe == NULL)
		PtRaise(&err);
	PtStrategyFree(probe);
}

/* Check every argument of a search; returns the canonical objective name. */
static char *
validate(const char *space, const char *strategy, int32 budget, int64 seed, const char *options)
{
	PtRunPlan  *plan;
	PtError		err;
	char	   *volatile objective = NULL;

	plan = PtRunPlanCreate(space, strategy, budget, (uint64) seed, options, &err);
	if (plan == NULL)
		PtRaise(&err);
	PG_TRY();
	{
		check_strategy_settings(plan);
		objective = PtRunResolveObjective(plan);
		if (plan->time_limit != NULL)
			(void) PtIntervalSeconds(plan->time_limit, "options.time_limit");
	}
	PG_FINALLY();
	{
		PtRunPlanFree(plan);
	}
	PG_END_TRY();
	PtRunCheckScaleOptions(space, options, objective);
	if (strcmp(objective, PT_EXTERNAL_OBJECTIVE) != 0)
		check_role_can_login();
	return objective;
}

/* Refuse an external run where a worker would have to evaluate it. */
static void
refuse_external(const PtRunRequest *req, const char *function)
{
	if (strcmp(req->objective, PT_EXTERNAL_OBJECTIVE) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s cannot run a search whose objective is external", function),
				 errdetail("No worker evaluates an external run: clients do, through ptopt_ask and ptopt_tell."),
				 errhint("Start it with ptopt_start, then ask for iterations with ptopt_ask and record their results with ptopt_tell.")));
}

/* Read and check the arguments (space, strategy, budget, seed, options) of a new search. */
static PtRunRequest
new_request(FunctionCallInfo fcinfo, bool background)
{
	PtRunRequest req = {0};

	PtRequireArgs(fcinfo, 0);
	req.space = PtJsonbToText(PG_GETARG_JSONB_P(0));
	req.strategy = text_to_cstring(PG_GETARG_TEXT_PP(1));
	req.budget = PG_GETARG_INT32(2);
	req.seed = PG_GETARG_INT64(3);
	req.options = PtJsonbToText(PG_GETARG_JSONB_P(4));
	req.objective = validate(req.space, req.strategy, req.budget, req.seed, req.options);
	req.background = background;
	return req;
}

/* Read and check the arguments (run_id, extra_budget) of a resume. */
static PtRunRequest
resume_request(FunctionCallInfo fcinfo, bool background)
{
	PtRunRequest req = {0};
	int64		run_id;
	int32		extra;
	char	   *status;
	int			budget;

	PtRequireArgs(fcinfo, 0);
	run_id = PG_GETARG_INT64(0);
	extra = PG_GETARG_INT32(1);
	if (extra < 0 || extra > PT_MAX_BUDGET)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("extra_budget must be between 0 and %d, not %d", PT_MAX_BUDGET, extra)));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PtStoreSweepOrphans();
	status = PtStoreRunStatus(run_id);
	if (status == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("run %lld does not exist", (long long) run_id),
				 errdetail("Runs of other roles are not visible.")));
	budget = PtStoreRunBudget(run_id);
	if (PtStoreRunIsExternal(run_id))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("run %lld is evaluated outside the database and cannot be resumed", (long long) run_id),
				 errhint("Start a new external run with options.warm_start_from = %lld to go on from its iterations.",
						 (long long) run_id)));
	if (strcmp(status, "running") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("run %lld is still running", (long long) run_id),
				 errhint("Cancel it with ptopt_cancel, or wait for it with ptopt_wait.")));
	if (strcmp(status, "done") == 0 && extra == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("run %lld is done", (long long) run_id),
				 errhint("Give extra_budget to run more iterations.")));
	if ((int64) budget + extra > PT_MAX_BUDGET)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("run %lld would have a budget of %lld iterations, more than %d",
						(long long) run_id, (long long) budget + extra, PT_MAX_BUDGET)));
	SPI_finish();
	check_role_can_login();
	req.space = "";
	req.strategy = "";
	req.options = "";
	req.objective = "";
	req.budget = budget + extra;
	req.resume_run_id = run_id;
	req.extra_budget = extra;
	req.background = background;
	return req;
}

/* The summary row of a run, read in a new SPI connection. */
static Datum
run_summary(int64 run_id, TupleDesc tupdesc)
{
	Datum		summary;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	summary = PtStoreRunSummary(run_id, tupdesc);
	SPI_finish();
	return summary;
}

/* Start the worker, follow it to the end, return the summary. */
static Datum
run_and_wait(FunctionCallInfo fcinfo, const PtRunRequest *req)
{
	TupleDesc	tupdesc;
	PtLaunched *l;
	int64		run_id;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "function returning a run summary called in a context that cannot accept it");
	tupdesc = BlessTupleDesc(tupdesc);
	l = PtLaunchRun(req);
	PtLaunchWait(l, true);
	run_id = PtLaunchRunId(l);
	PtLaunchRelease(l);
	return run_summary(run_id, tupdesc);
}

/* Start the worker and return the run_id once it holds the run. */
static int64
run_in_background(const PtRunRequest *req)
{
	PtLaunched *l = PtLaunchRun(req);
	int64		run_id;

	PtLaunchWait(l, false);
	run_id = PtLaunchRunId(l);
	PtLaunchRelease(l);
	return run_id;
}

/* Run a search in a worker, relay its progress, return the summary. */
Datum
ptopt_run(PG_FUNCTION_ARGS)
{
	PtRunRequest req;

	refuse_snapshot_isolation("ptopt_run");
	req = new_request(fcinfo, false);
	refuse_external(&req, "ptopt_run");
	PG_RETURN_DATUM(run_and_wait(fcinfo, &req));
}

/* Start a search in a worker and return its run_id once the run row exists. */
Datum
ptopt_start(PG_FUNCTION_ARGS)
{
	PtRunRequest req = new_request(fcinfo, true);

	/* An external run has no worker: its row is written here, in the caller's transaction. */
	if (strcmp(req.objective, PT_EXTERNAL_OBJECTIVE) == 0)
		PG_RETURN_INT64(PtExternalRunCreate(req.space, req.strategy, req.options,
											PtOptionsString(req.options, "label"),
											req.seed, req.budget));
	PG_RETURN_INT64(run_in_background(&req));
}

/* Continue a cancelled or failed run (or a done one, with extra budget) and wait for it. */
Datum
ptopt_resume(PG_FUNCTION_ARGS)
{
	PtRunRequest req;

	refuse_snapshot_isolation("ptopt_resume");
	req = resume_request(fcinfo, false);
	PG_RETURN_DATUM(run_and_wait(fcinfo, &req));
}

/* Continue a stopped run in the background; returns its run_id. */
Datum
ptopt_resume_start(PG_FUNCTION_ARGS)
{
	PtRunRequest req = resume_request(fcinfo, true);

	PG_RETURN_INT64(run_in_background(&req));
}

/* Check a search's arguments as ptopt_run would, without running it; returns the objective. */
Datum
ptopt_validate(PG_FUNCTION_ARGS)
{
	PtRunRequest req;

	PtRequireArgs(fcinfo, 0);
	req.objective = validate(PtJsonbToText(PG_GETARG_JSONB_P(0)),
							 text_to_cstring(PG_GETARG_TEXT_PP(1)),
							 PG_GETARG_INT32(2), PG_GETARG_INT64(3),
							 PtJsonbToText(PG_GETARG_JSONB_P(4)));
	PG_RETURN_TEXT_P(cstring_to_text(req.objective));
}
