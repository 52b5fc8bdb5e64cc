/*
 * pt_asktell.c — ptopt_ask, ptopt_tell, ptopt_expire: evaluation outside the database.
 *
 * A run whose options.objective is 'external' has no worker: ptopt_start
 * writes its row and returns.  ptopt_ask hands out the next iterations, each
 * stored at once as a 'pending' trajectory row; ptopt_tell turns a pending
 * row into an 'ok' (or 'failed') one; ptopt_expire fails the pending rows
 * nobody told.  Every call locks the run row first (SELECT ... FOR UPDATE),
 * so concurrent clients are served one at a time and no iteration is handed
 * out twice; the strategy is rebuilt from the stored rows on each ask (as a
 * resume rebuilds it), with the pending points counted as bad ones (the
 * constant liar).  The run ends 'done' when its budget is told.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "gates.h"
#include "pt_asktell.h"
#include "pt_glue.h"
#include "pt_policy.h"
#include "pt_replay.h"
#include "pt_run_store.h"
#include "run_plan.h"

PG_FUNCTION_INFO_V1(ptopt_ask);
PG_FUNCTION_INFO_V1(ptopt_tell);
PG_FUNCTION_INFO_V1(ptopt_expire);

#define PT_ASK_MAX 1000			/* iterations one ask may hand out */

/* An external run's row, locked. */
typedef struct ExternalRun
{
	int64		run_id;
	char	   *space_json;
	char	   *strategy;
	char	   *options_json;
	char	   *status;
	int64		seed;
	int			budget;
	bool		minimize;		/* options.direction = 'minimize' */
} ExternalRun;

/* Column col of the first result row as text, or NULL. */
static char *
first_text(int col)
{
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col);
}

/* Lock an external run's row; raises unless it is visible and external (and running, when asked). */
static void
lock_external_run(int64 run_id, bool must_run, ExternalRun *out)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	bool		isnull;
	int			rc;
	char	   *objective;

	values[0] = Int64GetDatum(run_id);
	rc = SPI_execute_with_args("SELECT space::text, strategy, options::text, objective, status, seed, budget,"
							   "       coalesce(options ->> 'direction' = 'minimize', false)"
							   "  FROM ptopt.runs WHERE run_id = $1 FOR UPDATE",
							   1, types, values, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not lock ptopt.runs: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("run %lld does not exist", (long long) run_id),
				 errdetail("Runs of other roles are not visible.")));
	out->run_id = run_id;
	out->space_json = first_text(1);
	out->strategy = first_text(2);
	out->options_json = first_text(3);
	objective = first_text(4);
	out->status = first_text(5);
	out->seed = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 6, &isnull));
	out->budget = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 7, &isnull));
	out->minimize = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 8, &isnull));
	SPI_freetuptable(SPI_tuptable);
	if (strcmp(objective, PT_EXTERNAL_OBJECTIVE) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("run %lld is not evaluated outside the database", (long long) run_id),
				 errdetail("Its objective is %s, which its worker evaluates.", objective),
				 errhint("ptopt_ask and ptopt_tell serve runs started by ptopt_start with options.objective = 'external'.")));
	if (must_run && strcmp(out->status, "running") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("run %lld is %s", (long long) run_id, out->status),
				 errdetail("Only a running run hands out and takes iterations.")));
}

/* How many trajectory rows the run has, and its highest iteration. */
static void
count_rows(int64 run_id, int *rows, int *max_iter, int *pending, int *ok)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	bool		isnull;
	int			rc;

	values[0] = Int64GetDatum(run_id);
	rc = SPI_execute_with_args("SELECT count(*)::integer, coalesce(max(iter), 0),"
							   "       count(*) FILTER (WHERE status = 'pending')::integer,"
							   "       count(*) FILTER (WHERE status = 'ok')::integer"
							   "  FROM ptopt.trajectory WHERE run_id = $1",
							   1, types, values, NULL, false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not count ptopt.trajectory: %s", SPI_result_code_string(rc));
	*rows = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	*max_iter = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	*pending = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	*ok = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));
	SPI_freetuptable(SPI_tuptable);
}

/* Seconds since the run started (an external run's elapsed time). */
static double
external_elapsed(int64 run_id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	bool		isnull;
	double		s;
	int			rc;

	values[0] = Int64GetDatum(run_id);
	rc = SPI_execute_with_args("SELECT extract(epoch FROM clock_timestamp() - started_at)::float8"
							   "  FROM ptopt.runs WHERE run_id = $1",
							   1, types, values, NULL, false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read ptopt.runs: %s", SPI_result_code_string(rc));
	s = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_freetuptable(SPI_tuptable);
	return s;
}

/* Bring the run row up to date; close it when its whole budget has been told. */
static void
sync_external_run(const ExternalRun *run)
{
	int			rows;
	int			max_iter;
	int			pending;
	int			ok;
	double		elapsed = external_elapsed(run->run_id);

	count_rows(run->run_id, &rows, &max_iter, &pending, &ok);
	if (rows >= run->budget && pending == 0)
		PtStoreSyncRun(run->run_id, ok > 0 ? "done" : "failed",
					   ok > 0 ? NULL : "every iteration of the run failed", elapsed, run->minimize);
	else
		PtStoreSyncRun(run->run_id, NULL, NULL, elapsed, run->minimize);
}

/* Insert the pending row of an asked iteration. */
static void
insert_pending(int64 run_id, int iter, const char *params_json, const char *source,
			   const char *reasoning, double propose_ms, long tokens_in, long tokens_out)
{
	PtIterationRow row = {0};

	row.run_id = run_id;
	row.iter = iter;
	row.params_json = params_json;
	row.has_score = false;
	row.report_json = NULL;
	row.reasoning = reasoning;
	row.source = source;
	row.status = "pending";
	row.elapsed_ms = 0;
	row.propose_ms = propose_ms;
	row.tokens_in = tokens_in;
	row.tokens_out = tokens_out;
	PtStoreInsertIteration(&row);
}

/* Hand out the next n iterations of an external run. */
Datum
ptopt_ask(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		run_id;
	int32		n;
	ExternalRun run;
	int			rows;
	int			max_iter;
	int			pending;
	int			ok;
	int			k;
	int			j;
	PtReplay   *replay;

	PtRequireArgs(fcinfo, 0);
	run_id = PG_GETARG_INT64(0);
	n = PG_GETARG_INT32(1);
	if (n < 1 || n > PT_ASK_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must be between 1 and %d, not %d", PT_ASK_MAX, n)));
	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* A done run has nothing left to ask (a client's loop ends); a stopped one is an error. */
	lock_external_run(run_id, false, &run);
	if (strcmp(run.status, "done") == 0)
	{
		SPI_finish();
		return (Datum) 0;
	}
	if (strcmp(run.status, "running") != 0)
		lock_external_run(run_id, true, &run);
	count_rows(run_id, &rows, &max_iter, &pending, &ok);
	k = Min(n, run.budget - rows);
	if (k > 0)
	{
		replay = PtReplayOpen(run_id, run.space_json, run.strategy, run.options_json, run.seed,
							  run.budget);
		for (j = 0; j < k; j++)
		{
			PtReplayProposal p;
			Datum		values[2];
			bool		nulls[2] = {false, false};
			int			iter = max_iter + 1 + j;

			CHECK_FOR_INTERRUPTS();
			PtReplayPropose(replay, iter, &p);
			insert_pending(run_id, iter, p.params_json, p.source, p.reasoning, p.propose_ms,
						   p.tokens_in, p.tokens_out);
			values[0] = Int32GetDatum(iter);
			values[1] = PtTextToJsonb(p.params_json);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		PtReplayClose(replay);
		PtStoreSyncRun(run_id, NULL, NULL, external_elapsed(run_id), run.minimize);
	}
	SPI_finish();
	return (Datum) 0;
}

/* Lock the trajectory row of an asked iteration; raises unless it is pending. */
static void
lock_pending_row(int64 run_id, int32 iter)
{
	Oid			types[2] = {INT8OID, INT4OID};
	Datum		values[2];
	int			rc;
	char	   *status;
	char	   *error;

	values[0] = Int64GetDatum(run_id);
	values[1] = Int32GetDatum(iter);
	rc = SPI_execute_with_args("SELECT status, report -> 'error' ->> 'message' FROM ptopt.trajectory"
							   " WHERE run_id = $1 AND iter = $2 FOR UPDATE",
							   2, types, values, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not lock ptopt.trajectory: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("iteration %d of run %lld was not asked", iter, (long long) run_id),
				 errhint("Tell only the iterations ptopt_ask handed out.")));
	status = first_text(1);
	error = first_text(2);
	SPI_freetuptable(SPI_tuptable);
	if (strcmp(status, "pending") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("iteration %d of run %lld is not pending", iter, (long long) run_id),
				 strcmp(status, "failed") == 0 && error != NULL
				 ? errdetail("It has failed: %s.", error)
				 : errdetail("It was told already (its status is %s).", status),
				 errhint("Each asked iteration is told once, before ptopt_expire fails it.")));
}

/* What a told result holds: a score (ok), or an error object (failed). */
typedef struct ToldResult
{
	bool		ok;
	double		score;
	char	   *report_json;	/* or NULL for a bare number */
} ToldResult;

/* Read a told result: a number, an object with a numeric score, or an object with an error. */
static ToldResult
read_result(Jsonb *result)
{
	ToldResult	r = {0};
	Oid			types[1] = {JSONBOID};
	Datum		values[1];
	bool		isnull;
	Datum		d;
	int			rc;
	char	   *kind;
	PtError		err;
	char	   *text = PtJsonbToText(result);

	if (PtGateCheckJson(text, NULL, "the told result", &err) != PT_OK)
		PtRaise(&err);
	values[0] = JsonbPGetDatum(result);
	rc = SPI_execute_with_args("SELECT jsonb_typeof($1),"
							   "       CASE WHEN jsonb_typeof($1) = 'number' THEN ($1 #>> '{}')::float8"
							   "            WHEN jsonb_typeof($1 -> 'score') = 'number' THEN ($1 ->> 'score')::float8 END,"
							   "       jsonb_typeof($1) = 'object' AND $1 ? 'error' AND NOT $1 ? 'score'",
							   1, types, values, NULL, true, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read the told result: %s", SPI_result_code_string(rc));
	kind = first_text(1);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	if (!isnull)
	{
		r.ok = true;
		r.score = DatumGetFloat8(d);
		r.report_json = strcmp(kind, "object") == 0 ? text : NULL;
	}
	else if (DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull)))
		r.report_json = text;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("result must be a number, or an object with a numeric \"score\""),
				 errdetail("It is a JSON %s%s.", kind,
						   strcmp(kind, "object") == 0 ? " without a numeric \"score\" or an \"error\"" : ""),
				 errhint("Tell the score (\"0.42\"), a ReportEnvelope ({\"score\": 0.42, ...}), or a failure ({\"error\": \"...\"}).")));
	SPI_freetuptable(SPI_tuptable);
	return r;
}

/* Record the result of an asked iteration. */
Datum
ptopt_tell(PG_FUNCTION_ARGS)
{
	int64		run_id;
	int32		iter;
	ExternalRun run;
	ToldResult	r;
	Oid			types[5] = {INT8OID, INT4OID, TEXTOID, FLOAT8OID, JSONBOID};
	Datum		values[5];
	char		nulls[6] = "     ";
	int			rc;

	PtRequireArgs(fcinfo, 0);
	run_id = PG_GETARG_INT64(0);
	iter = PG_GETARG_INT32(1);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	lock_external_run(run_id, true, &run);
	lock_pending_row(run_id, iter);
	r = read_result(PG_GETARG_JSONB_P(2));
	values[0] = Int64GetDatum(run_id);
	values[1] = Int32GetDatum(iter);
	values[2] = CStringGetTextDatum(r.ok ? "ok" : "failed");
	values[3] = Float8GetDatum(r.score);
	nulls[3] = r.ok ? ' ' : 'n';
	values[4] = r.report_json ? PtTextToJsonb(r.report_json) : (Datum) 0;
	nulls[4] = r.report_json ? ' ' : 'n';
	rc = SPI_execute_with_args("UPDATE ptopt.trajectory"
							   "   SET status = $3, score = $4, report = $5,"
							   "       holdout_score = CASE WHEN jsonb_typeof($5 -> 'holdout_score') = 'number'"
							   "                            THEN ($5 ->> 'holdout_score')::float8 END,"
							   "       elapsed_ms = extract(epoch FROM clock_timestamp() - created_at) * 1000"
							   " WHERE run_id = $1 AND iter = $2",
							   5, types, values, nulls, false, 0);
	if (rc != SPI_OK_UPDATE || SPI_processed != 1)
		elog(ERROR, "could not update ptopt.trajectory: %s", SPI_result_code_string(rc));
	sync_external_run(&run);
	SPI_finish();
	PG_RETURN_VOID();
}

/* Fail the iterations asked longer ago than older_than and never told; returns how many. */
Datum
ptopt_expire(PG_FUNCTION_ARGS)
{
	int64		run_id;
	Interval   *older_than;
	ExternalRun run;
	Oid			types[2] = {INT8OID, INTERVALOID};
	Datum		values[2];
	int			rc;
	int			n;

	PtRequireArgs(fcinfo, 0);
	run_id = PG_GETARG_INT64(0);
	older_than = PG_GETARG_INTERVAL_P(1);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	lock_external_run(run_id, false, &run);
	values[0] = Int64GetDatum(run_id);
	values[1] = IntervalPGetDatum(older_than);
	rc = SPI_execute_with_args("UPDATE ptopt.trajectory"
							   "   SET status = 'failed',"
							   "       elapsed_ms = extract(epoch FROM clock_timestamp() - created_at) * 1000,"
							   "       report = jsonb_build_object('error', jsonb_build_object("
							   "           'sqlstate', '57014',"
							   "           'message', format('the iteration was asked and not told within %s s',"
							   "                             round(extract(epoch FROM $2), 3)::float8)))"
							   " WHERE run_id = $1 AND status = 'pending' AND created_at < clock_timestamp() - $2",
							   2, types, values, NULL, false, 0);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "could not update ptopt.trajectory: %s", SPI_result_code_string(rc));
	n = (int) SPI_processed;
	if (n > 0 && strcmp(run.status, "running") == 0)
		sync_external_run(&run);
	SPI_finish();
	PG_RETURN_INT32(n);
}

/* Write the row of a new external run in the caller's transaction; returns its run_id. */
int64
PtExternalRunCreate(const char *space_json, const char *strategy, const char *options_json,
					const char *label, int64 seed, int budget)
{
	PtRunRow	row = {0};
	int64		run_id;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	row.label = label;
	row.strategy = strategy;
	row.objective = PT_EXTERNAL_OBJECTIVE;
	row.space_json = space_json;
	row.options_json = options_json;
	row.policy_json = PtPolicySnapshot(CurrentMemoryContext);
	row.seed = seed;
	row.budget = budget;
	row.no_worker = true;
	run_id = PtStoreInsertRun(&row);
	SPI_finish();
	return run_id;
}

/* Cancel an external run: its row is closed here, as no worker holds it. */
bool
PtExternalRunCancel(int64 run_id)
{
	ExternalRun run;

	lock_external_run(run_id, false, &run);
	if (strcmp(run.status, "running") != 0)
		return false;
	PtStoreSyncRun(run_id, "cancelled", NULL, external_elapsed(run_id), run.minimize);
	return true;
}
