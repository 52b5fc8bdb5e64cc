/*
 * pt_run_sql.c — ptopt_wait and ptopt_cancel: following a run from any session.
 *
 * A run's worker is the backend whose PID the run row keeps, checked to be a
 * ptopt worker of this database; never found by a name.
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "pt_asktell.h"
#include "pt_glue.h"
#include "pt_run_scale.h"
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
	SPI_freetuptable(SPI_tuptable);
	return status;
}

/* True while the run is running: a look at its row, its worker gone being swept first. */
static bool
still_running(int64 run_id)
{
	PtStoreSweepOrphans();
	return strcmp(visible_status(run_id), "running") == 0;
}

/* Wait for a run to end or the timeout to pass; return its summary. */
Datum
ptopt_wait(PG_FUNCTION_ARGS)
{
	int64		run_id;
	TimestampTz deadline = 0;
	TupleDesc	tupdesc;
	Datum		summary;
	MemoryContext poll_cxt;

	PtRequireArgs(fcinfo, 1u << 1);
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("ptopt_wait cannot run in a REPEATABLE READ or SERIALIZABLE transaction"),
				 errdetail("This transaction's snapshot would never see the run end."),
				 errhint("Call ptopt_wait in a READ COMMITTED transaction.")));
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
	poll_cxt = AllocSetContextCreate(CurrentMemoryContext, "ptopt wait", ALLOCSET_SMALL_SIZES);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	for (;;)
	{
		MemoryContext old = MemoryContextSwitchTo(poll_cxt);
		bool		running = still_running(run_id);

		MemoryContextSwitchTo(old);
		MemoryContextReset(poll_cxt);
		if (!running || (deadline != 0 && GetCurrentTimestamp() >= deadline))
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 PTOPT_WAIT_POLL_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	summary = PtStoreRunSummary(run_id, tupdesc);
	SPI_finish();
	MemoryContextDelete(poll_cxt);
	PG_RETURN_DATUM(summary);
}

/* Ask a running search's worker to stop; false when the run is not running. */
Datum
ptopt_cancel(PG_FUNCTION_ARGS)
{
	int64		run_id;
	bool		signalled = false;
	int			pid;

	PtRequireArgs(fcinfo, 0);
	run_id = PG_GETARG_INT64(0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (still_running(run_id))
	{
		/* pg_cancel_backend applies PostgreSQL's own rule on who may signal whom. */
		pid = PtStoreRunWorkerPid(run_id);
		if (pid != 0)
			signalled = DatumGetBool(DirectFunctionCall1(pg_cancel_backend, Int32GetDatum(pid)));
		else if (PtStoreRunIsExternal(run_id))
			signalled = PtExternalRunCancel(run_id);	/* no worker: close the row here */
	}
	SPI_finish();
	PG_RETURN_BOOL(signalled);
}
