/*
 * pt_run_sql.c — ptopt_wait and ptopt_cancel: following a run from any session.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "pt_run_shared.h"
#include "pt_run_store.h"

PG_FUNCTION_INFO_V1(ptopt_wait);
PG_FUNCTION_INFO_V1(ptopt_cancel);

#define PTOPT_WAIT_POLL_MS 100

/* The run's status; raises when the run is not visible to this role. */
static char *
visible_status(int64 run_id)
{
	char	   *status = PtStoreRunStatus(run_id);

	if (status == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("run %lld does not exist", (long long) run_id),
				 errdetail("Runs of other roles are not visible.")));
	return status;
}

/* Run a query over the run's worker in pg_stat_activity; returns the one bool it yields. */
static bool
worker_query(int64 run_id, const char *sql)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	bool		isnull;
	bool		result;
	int			rc;

	values[0] = CStringGetTextDatum(psprintf("%s%lld", PT_WORKER_APPNAME, (long long) run_id));
	values[1] = CStringGetTextDatum(PT_WORKER_TYPE);
	pgstat_clear_snapshot();
	rc = SPI_execute_with_args(sql, 2, types, values, NULL, false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read pg_stat_activity: %s", SPI_result_code_string(rc));
	result = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	return !isnull && result;
}

/* True when a worker for this run is alive. */
static bool
worker_alive(int64 run_id)
{
	return worker_query(run_id,
						"SELECT count(*) > 0 FROM pg_catalog.pg_stat_activity"
						" WHERE application_name = $1 AND backend_type = $2");
}

/* Wait for a run to end or the timeout to pass; return its summary. */
Datum
ptopt_wait(PG_FUNCTION_ARGS)
{
	int64		run_id;
	TimestampTz deadline = 0;
	TupleDesc	tupdesc;
	Datum		summary;

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("run_id must not be NULL")));
	run_id = PG_GETARG_INT64(0);
	if (!PG_ARGISNULL(1))
	{
		Interval   *timeout = PG_GETARG_INTERVAL_P(1);

		deadline = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
														   TimestampTzGetDatum(GetCurrentTimestamp()),
														   IntervalPGetDatum(timeout)));
	}
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "ptopt_wait must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	for (;;)
	{
		if (strcmp(visible_status(run_id), "running") != 0)
			break;
		if (!worker_alive(run_id))
		{
			/* Look again: the worker may have finished between the two reads. */
			if (strcmp(visible_status(run_id), "running") == 0)
				PtStoreSyncRun(run_id, "failed", "the worker exited before the run ended");
			break;
		}
		if (deadline != 0 && GetCurrentTimestamp() >= deadline)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 PTOPT_WAIT_POLL_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	summary = PtStoreRunSummary(run_id, tupdesc);
	SPI_finish();
	PG_RETURN_DATUM(summary);
}

/* Ask a running search's worker to stop; false when the run is not running. */
Datum
ptopt_cancel(PG_FUNCTION_ARGS)
{
	int64		run_id = PG_GETARG_INT64(0);
	bool		signalled = false;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (strcmp(visible_status(run_id), "running") == 0)
		signalled = worker_query(run_id,
								 "SELECT coalesce(bool_or(pg_catalog.pg_cancel_backend(pid)), false)"
								 " FROM pg_catalog.pg_stat_activity"
								 " WHERE application_name = $1 AND backend_type = $2");
	SPI_finish();
	PG_RETURN_BOOL(signalled);
}
