/*
 * pt_run_store.c — SPI writes and reads of the run and trajectory tables.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "pt_glue.h"
#include "pt_run_shared.h"
#include "pt_run_store.h"

/* A text datum, or a null flag for NULL. */
static Datum
text_or_null(const char *s, char *null_flag)
{
	*null_flag = (s == NULL) ? 'n' : ' ';
	return s == NULL ? (Datum) 0 : CStringGetTextDatum(s);
}

/* A jsonb datum from JSON text, or a null flag for NULL. */
static Datum
jsonb_or_null(const char *s, char *null_flag)
{
	*null_flag = (s == NULL) ? 'n' : ' ';
	return s == NULL ? (Datum) 0 : PtTextToJsonb(s);
}

/* Insert a run row; returns its run_id. */
int64
PtStoreInsertRun(const PtRunRow *row)
{
	Oid			types[10] = {TEXTOID, TEXTOID, TEXTOID, JSONBOID, JSONBOID, JSONBOID, INT8OID, INT4OID,
	TEXTOID, BOOLOID};
	Datum		values[10];
	char		nulls[11] = "          ";
	bool		isnull;
	int			rc;

	values[0] = text_or_null(row->label, &nulls[0]);
	values[1] = CStringGetTextDatum(row->strategy);
	values[2] = CStringGetTextDatum(row->objective);
	values[3] = PtTextToJsonb(row->space_json);
	values[4] = PtTextToJsonb(row->options_json);
	values[5] = PtTextToJsonb(row->policy_json);
	values[6] = Int64GetDatum(row->seed);
	values[7] = Int32GetDatum(row->budget);
	values[8] = text_or_null(row->llm_model, &nulls[8]);
	values[9] = BoolGetDatum(row->no_worker);
	rc = SPI_execute_with_args("INSERT INTO ptopt.runs"
							   " (label, strategy, objective, space, options, policy, seed, budget, llm_model, worker_pid)"
							   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
							   "         CASE WHEN NOT $10 THEN pg_catalog.pg_backend_pid() END)"
							   " RETURNING run_id",
							   10, types, values, nulls, false, 1);
	if (rc != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "could not insert into ptopt.runs: %s", SPI_result_code_string(rc));
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/* Insert one trajectory row. */
void
PtStoreInsertIteration(const PtIterationRow *row)
{
	Oid			types[12] = {INT8OID, INT4OID, JSONBOID, FLOAT8OID, JSONBOID, TEXTOID,
	TEXTOID, TEXTOID, FLOAT8OID, FLOAT8OID, INT4OID, INT4OID};
	Datum		values[12];
	char		nulls[13] = "            ";
	int			rc;

	values[0] = Int64GetDatum(row->run_id);
	values[1] = Int32GetDatum(row->iter);
	values[2] = PtTextToJsonb(row->params_json);
	values[3] = Float8GetDatum(row->score);
	nulls[3] = row->has_score ? ' ' : 'n';
	values[4] = jsonb_or_null(row->report_json, &nulls[4]);
	values[5] = text_or_null(row->reasoning, &nulls[5]);
	values[6] = CStringGetTextDatum(row->source);
	values[7] = CStringGetTextDatum(row->status);
	values[8] = Float8GetDatum(row->elapsed_ms);
	values[9] = Float8GetDatum(row->propose_ms);
	values[10] = Int32GetDatum((int32) row->tokens_in);
	values[11] = Int32GetDatum((int32) row->tokens_out);
	rc = SPI_execute_with_args("INSERT INTO ptopt.trajectory"
							   " (run_id, iter, params, score, report, reasoning, source, status,"
							   "  elapsed_ms, propose_ms, tokens_in, tokens_out)"
							   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
							   12, types, values, nulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "could not insert into ptopt.trajectory: %s", SPI_result_code_string(rc));
}

/*
 * The best scored row of run $1 (ties: the earlier iteration), the parameter
 * named by minimize_param saying whether lower scores are better: the one
 * definition of "the run's best" that the run row and resume both use.
 */
#define BEST_ROW_OF_RUN(minimize_param) \
	"SELECT t.score, t.iter, t.params, t.holdout_score FROM ptopt.trajectory t" \
	" WHERE t.run_id = $1 AND t.status = 'ok'" \
	" ORDER BY CASE WHEN " minimize_param " THEN -t.score ELSE t.score END DESC NULLS LAST, t.iter LIMIT 1"

/* Bring a running run's row up to date from its trajectory, and close it when status is given. */
void
PtStoreSyncRun(int64 run_id, const char *status, const char *error, double elapsed_s,
			   bool minimize)
{
	Oid			types[5] = {INT8OID, TEXTOID, TEXTOID, FLOAT8OID, BOOLOID};
	Datum		values[5];
	char		nulls[6] = "     ";
	int			rc;

	values[0] = Int64GetDatum(run_id);
	values[1] = text_or_null(status, &nulls[1]);
	values[2] = text_or_null(error, &nulls[2]);
	values[3] = Float8GetDatum(elapsed_s);
	values[4] = BoolGetDatum(minimize);
	rc = SPI_execute_with_args("UPDATE ptopt.runs r"
							   " SET iterations = s.n, tokens_in = s.tin, tokens_out = s.tout,"
							   "     best_score = b.score, best_iter = b.iter, best_params = b.params,"
							   "     holdout_score = b.holdout_score,"
							   "     elapsed = pg_catalog.make_interval(secs => $4),"
							   "     status = coalesce($2, r.status),"
							   "     error = CASE WHEN $2 IS NULL THEN r.error ELSE $3 END,"
							   "     finished_at = CASE WHEN $2 IS NULL THEN r.finished_at ELSE clock_timestamp() END,"
							   "     worker_pid = CASE WHEN $2 IS NULL THEN r.worker_pid END"
							   " FROM (SELECT count(*)::integer AS n, coalesce(sum(t.tokens_in), 0)::bigint AS tin,"
							   "              coalesce(sum(t.tokens_out), 0)::bigint AS tout"
							   "         FROM ptopt.trajectory t WHERE t.run_id = $1 AND t.status <> 'pending') s"
							   " LEFT JOIN LATERAL (" BEST_ROW_OF_RUN("$5") ") b ON true"
							   " WHERE r.run_id = $1 AND r.status = 'running'",
							   5, types, values, nulls, false, 0);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "could not update ptopt.runs: %s", SPI_result_code_string(rc));
}

/* The run's best row when it lacks a held-out score (pt_run_store.h). */
bool
PtStoreBestWithoutHoldout(int64 run_id, bool minimize, int *iter, char **params_json)
{
	Oid			types[2] = {INT8OID, BOOLOID};
	Datum		values[2];
	bool		isnull;
	int			rc;

	values[0] = Int64GetDatum(run_id);
	values[1] = BoolGetDatum(minimize);
	rc = SPI_execute_with_args("SELECT b.iter, b.params::text FROM (" BEST_ROW_OF_RUN("$2") ") b"
							   " WHERE b.holdout_score IS NULL",
							   2, types, values, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read ptopt.trajectory: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return false;
	*iter = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	*params_json = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	return true;
}

/* Store the held-out score of an iteration (a new best of its run). */
void
PtStoreSetHoldout(int64 run_id, int iter, double holdout)
{
	Oid			types[3] = {INT8OID, INT4OID, FLOAT8OID};
	Datum		values[3];
	int			rc;

	values[0] = Int64GetDatum(run_id);
	values[1] = Int32GetDatum(iter);
	values[2] = Float8GetDatum(holdout);
	rc = SPI_execute_with_args("UPDATE ptopt.trajectory SET holdout_score = $3 WHERE run_id = $1 AND iter = $2",
							   3, types, values, NULL, false, 0);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "could not update ptopt.trajectory: %s", SPI_result_code_string(rc));
}

/* Mark failed, with the reason, every running run whose worker is gone (crash, restart, exit). */
void
PtStoreSweepOrphans(void)
{
	int			rc = SPI_execute("SELECT ptopt.sweep_orphans()", false, 0);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not sweep ptopt.runs: %s", SPI_result_code_string(rc));
	SPI_freetuptable(SPI_tuptable);
}

/* Column i (1-based) of the first result row as a C string, or NULL. */
static char *
result_text(int i)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* Claim a stopped run for a resume: status running again, budget grown, this worker's PID. */
void
PtStoreClaimRun(int64 run_id, int extra_budget, PtStoredRun *out)
{
	Oid			types[2] = {INT8OID, INT4OID};
	Datum		values[2];
	bool		isnull;
	int			rc;

	values[0] = Int64GetDatum(run_id);
	values[1] = Int32GetDatum(extra_budget);
	rc = SPI_execute_with_args("UPDATE ptopt.runs"
							   " SET status = 'running', budget = budget + $2, error = NULL,"
							   "     finished_at = NULL, worker_pid = pg_catalog.pg_backend_pid()"
							   " WHERE run_id = $1 AND status IN ('cancelled', 'failed', 'done')"
							   " RETURNING space::text, strategy, options::text, objective, policy::text,"
							   "           seed, budget, extract(epoch FROM elapsed)::float8",
							   2, types, values, NULL, false, 1);
	if (rc != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "could not update ptopt.runs: %s", SPI_result_code_string(rc));
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("run %lld cannot be resumed", (long long) run_id),
				 errdetail("It is no longer stopped, or it is not visible to this role.")));
	out->space_json = result_text(1);
	out->strategy = result_text(2);
	out->options_json = result_text(3);
	out->objective = result_text(4);
	out->policy_json = result_text(5);
	out->seed = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 6, &isnull));
	out->budget = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 7, &isnull));
	out->elapsed_s = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 8, &isnull));
}

/* The PtSource of a stored source name. */
static PtSource
source_of(const char *name)
{
	PtSource	s;

	for (s = PT_SOURCE_RANDOM; s <= PT_SOURCE_WARM_START; s++)
		if (strcmp(PtSourceName(s), name) == 0)
			return s;
	elog(ERROR, "unknown trajectory source \"%s\"", name);
	pg_unreachable();
}

/* The PtTrialStatus of a stored status name. */
static PtTrialStatus
status_of(const char *name)
{
	PtTrialStatus s;

	for (s = PT_TRIAL_OK; s <= PT_TRIAL_FAILED; s++)
		if (strcmp(PtTrialStatusName(s), name) == 0)
			return s;
	elog(ERROR, "unknown trajectory status \"%s\"", name);
	pg_unreachable();
}

/* Call fn for each stored iteration of a run, in iteration order, through a cursor. */
void
PtStoreLoadTrajectory(int64 run_id, void (*fn) (void *arg, const PtStoredIteration *it), void *arg)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	SPIPlanPtr	plan;
	Portal		portal;
	MemoryContext row_cxt = AllocSetContextCreate(CurrentMemoryContext, "ptopt trajectory row",
												  ALLOCSET_DEFAULT_SIZES);

	values[0] = Int64GetDatum(run_id);
	plan = SPI_prepare("SELECT iter, params::text, score, status, source, report ->> 'summary', reasoning"
					   " FROM ptopt.trajectory WHERE run_id = $1 ORDER BY iter", 1, types);
	if (plan == NULL)
		elog(ERROR, "could not read ptopt.trajectory: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, values, NULL, true);
	for (;;)
	{
		uint64		i;

		SPI_cursor_fetch(portal, true, 1000);
		if (SPI_processed == 0)
			break;
		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			MemoryContext old = MemoryContextSwitchTo(row_cxt);
			PtStoredIteration it;
			bool		isnull;
			Datum		d;
			char	   *status;

			it.iter = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
			it.params_json = SPI_getvalue(tup, desc, 2);
			d = SPI_getbinval(tup, desc, 3, &isnull);
			it.score = isnull ? 0 : DatumGetFloat8(d);
			status = SPI_getvalue(tup, desc, 4);
			it.pending = strcmp(status, "pending") == 0;
			it.status = it.pending ? PT_TRIAL_FAILED : status_of(status);
			it.source = source_of(SPI_getvalue(tup, desc, 5));
			it.summary = SPI_getvalue(tup, desc, 6);
			it.reasoning = SPI_getvalue(tup, desc, 7);
			fn(arg, &it);
			MemoryContextSwitchTo(old);
			MemoryContextReset(row_cxt);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	SPI_freeplan(plan);
	MemoryContextDelete(row_cxt);
}

/* The PID of the worker running a run in this database, or 0 when none is alive. */
int
PtStoreRunWorkerPid(int64 run_id)
{
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		values[2];
	bool		isnull;
	Datum		d;
	int			rc;
	int			pid;

	values[0] = Int64GetDatum(run_id);
	values[1] = CStringGetTextDatum(PT_WORKER_TYPE);
	pgstat_clear_snapshot();
	rc = SPI_execute_with_args("SELECT a.pid FROM ptopt.runs r"
							   " JOIN pg_catalog.pg_stat_activity a ON a.pid = r.worker_pid"
							   " WHERE r.run_id = $1 AND r.status = 'running' AND a.backend_type = $2"
							   "   AND a.datid = (SELECT oid FROM pg_catalog.pg_database"
							   "                   WHERE datname = pg_catalog.current_database())",
							   2, types, values, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_stat_activity: %s", SPI_result_code_string(rc));
	pid = 0;
	if (SPI_processed == 1)
	{
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		pid = isnull ? 0 : DatumGetInt32(d);
	}
	SPI_freetuptable(SPI_tuptable);
	return pid;
}

/* The run's status, or NULL when it is not visible. */
char *
PtStoreRunStatus(int64 run_id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	bool		isnull;
	int			rc;

	values[0] = Int64GetDatum(run_id);
	rc = SPI_execute_with_args("SELECT status FROM ptopt.runs WHERE run_id = $1",
							   1, types, values, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read ptopt.runs: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return NULL;
	return TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
											 &isnull));
}

/* The run's budget; the run must be visible. */
int
PtStoreRunBudget(int64 run_id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	bool		isnull;
	int			rc;

	values[0] = Int64GetDatum(run_id);
	rc = SPI_execute_with_args("SELECT budget FROM ptopt.runs WHERE run_id = $1",
							   1, types, values, NULL, false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read the budget of run %lld", (long long) run_id);
	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/* The run's summary row. */
Datum
PtStoreRunSummary(int64 run_id, TupleDesc tupdesc)
{
	Oid			types[1] = {INT8OID};
	Datum		args[1];
	Datum		values[9];
	bool		nulls[9];
	int			rc;
	int			i;
	HeapTuple	tuple;

	args[0] = Int64GetDatum(run_id);
	rc = SPI_execute_with_args("SELECT run_id, strategy, iterations, best_score, best_iter,"
							   " best_params, holdout_score, elapsed, status"
							   " FROM ptopt.runs WHERE run_id = $1",
							   1, types, args, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read ptopt.runs: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("run %lld is not visible", (long long) run_id),
				 errdetail("The run does not exist, belongs to another role, or finished after this transaction's snapshot was taken."),
				 errhint("Runs are read back in READ COMMITTED; under REPEATABLE READ use ptopt_start and then ptopt_wait in a new transaction.")));
	for (i = 0; i < 9; i++)
		values[i] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1, &nulls[i]);
	tuple = heap_form_tuple(tupdesc, values, nulls);
	return SPI_datumTransfer(HeapTupleGetDatum(tuple), false, -1);
}
