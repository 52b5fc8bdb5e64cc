/*
 * pt_run_launch.c — ptopt_run and ptopt_start: validate, launch a worker, wait on it.
 *
 * Every bad input errors here, in the caller, before a worker or a run row
 * exists.  ptopt_run then relays the worker's progress as NOTICE lines and
 * returns the summary; a cancel or statement_timeout in the caller is passed
 * on to the worker (SIGINT) before the 57014 error reaches the client.
 */
#include "postgres.h"

#include <signal.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/syscache.h"

#include "pt_glue.h"
#include "pt_objective_sql.h"
#include "pt_run_shared.h"
#include "pt_run_store.h"
#include "pt_settings.h"
#include "run_plan.h"

PG_FUNCTION_INFO_V1(ptopt_run);
PG_FUNCTION_INFO_V1(ptopt_start);
PG_FUNCTION_INFO_V1(ptopt_validate);

#define PTOPT_POLL_MS 100		/* how often a waiting caller looks at its worker */

typedef struct Launched
{
	dsm_segment *seg;
	PtRunShared *shared;
	BackgroundWorkerHandle *handle;
	uint64		progress_seen;
} Launched;

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

/* Copy a text into the segment's data area; returns its offset. */
static Size
put_text(PtRunShared *shared, Size *used, const char *text)
{
	Size		off = *used;
	Size		len = strlen(text) + 1;

	memcpy(shared->data + off, text, len);
	*used += len;
	return off;
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
		objective = PtObjectiveResolve(plan);
	}
	PG_FINALLY();
	{
		PtRunPlanFree(plan);
	}
	PG_END_TRY();
	check_role_can_login();
	return objective;
}

/* Validate the arguments, create the segment and launch the worker. */
static Launched
launch(FunctionCallInfo fcinfo)
{
	char	   *space = PtJsonbToText(PG_GETARG_JSONB_P(0));
	char	   *strategy = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int32		budget = PG_GETARG_INT32(2);
	int64		seed = PG_GETARG_INT64(3);
	char	   *options = PtJsonbToText(PG_GETARG_JSONB_P(4));
	char	   *search_path = GetConfigOptionByName("search_path", NULL, false);
	char	   *objective = validate(space, strategy, budget, seed, options);
	Size		size;
	Size		used = 0;
	Launched	l = {0};
	BackgroundWorker worker = {0};
	pid_t		pid;

	size = offsetof(PtRunShared, data) + strlen(space) + strlen(strategy) + strlen(options) +
		strlen(objective) + strlen(search_path) + 5;
	l.seg = dsm_create(size, 0);
	l.shared = dsm_segment_address(l.seg);
	memset(l.shared, 0, size);
	l.shared->magic = PT_SHARED_MAGIC;
	SpinLockInit(&l.shared->mutex);
	l.shared->database_id = MyDatabaseId;
	l.shared->role_id = GetUserId();
	l.shared->caller_pgprocno = MyProc->pgprocno;
	l.shared->budget = budget;
	l.shared->seed = seed;
	l.shared->progress_every = Max(1, (budget + ptopt_progress_lines - 1) / ptopt_progress_lines);
	l.shared->space_off = put_text(l.shared, &used, space);
	l.shared->strategy_off = put_text(l.shared, &used, strategy);
	l.shared->options_off = put_text(l.shared, &used, options);
	l.shared->objective_off = put_text(l.shared, &used, objective);
	l.shared->search_path_off = put_text(l.shared, &used, search_path);
	l.shared->phase = PT_PHASE_STARTING;

	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_ConsistentState;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "ptopt");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "ptopt_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "ptopt worker for PID %d", MyProcPid);
	snprintf(worker.bgw_type, BGW_MAXLEN, PT_WORKER_TYPE);
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(l.seg));
	worker.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&worker, &l.handle))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start a ptopt worker"),
				 errdetail("Every background worker slot is in use."),
				 errhint("Wait for other searches to finish, or raise max_worker_processes.")));
	if (WaitForBackgroundWorkerStartup(l.handle, &pid) != BGWH_STARTED)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start a ptopt worker"),
				 errhint("More details may be available in the server log.")));
	return l;
}

/* Relay the progress lines published since the last call as NOTICEs. */
static void
relay_progress(Launched *l)
{
	PtRunShared *shared = l->shared;
	PtProgressLine lines[PT_PROGRESS_RING];
	uint64		first;
	uint64		last;
	uint64		i;

	SpinLockAcquire(&shared->mutex);
	last = shared->n_progress;
	first = Max(l->progress_seen, last > PT_PROGRESS_RING ? last - PT_PROGRESS_RING : 0);
	for (i = first; i < last; i++)
		lines[i - first] = shared->ring[i % PT_PROGRESS_RING];
	SpinLockRelease(&shared->mutex);
	l->progress_seen = last;
	if (!ptopt_progress_notices)
		return;
	for (i = 0; i < last - first; i++)
	{
		PtProgressLine *p = &lines[i];
		char		score[64];
		char		best[64];

		if (p->ok)
			snprintf(score, sizeof(score), "score %.6g", p->score);
		else
			snprintf(score, sizeof(score), "failed");
		if (p->has_best)
			snprintf(best, sizeof(best), "best %.6g (iter %d)", p->best, p->best_iter);
		else
			snprintf(best, sizeof(best), "no best yet");
		ereport(NOTICE,
				(errmsg("ptopt run %lld: iter %d/%d  %s  %s", (long long) shared->run_id,
						p->iter, shared->budget, score, best)));
	}
}

/* The worker's phase. */
static PtRunPhase
current_phase(PtRunShared *shared)
{
	PtRunPhase	phase;

	SpinLockAcquire(&shared->mutex);
	phase = shared->phase;
	SpinLockRelease(&shared->mutex);
	return phase;
}

/* Wait until the worker has published a run_id (started) or has ended (finished). */
static void
wait_worker(Launched *l, bool until_end, bool relay)
{
	for (;;)
	{
		pid_t		pid;
		PtRunPhase	phase;
		bool		stopped;

		stopped = GetBackgroundWorkerPid(l->handle, &pid) == BGWH_STOPPED;
		phase = current_phase(l->shared);
		if (relay)
			relay_progress(l);
		if (stopped || (until_end ? phase >= PT_PHASE_DONE : phase != PT_PHASE_STARTING))
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 PTOPT_POLL_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* Wait as wait_worker does; a cancel or error here stops the worker too. */
static void
wait_or_stop_worker(Launched *l, bool until_end, bool relay)
{
	PG_TRY();
	{
		wait_worker(l, until_end, relay);
	}
	PG_CATCH();
	{
		pid_t		pid;

		if (GetBackgroundWorkerPid(l->handle, &pid) == BGWH_STARTED)
			kill(pid, SIGINT);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/* Raise the worker's error when it failed; note a worker that died without a word. */
static void
check_worker_end(Launched *l)
{
	PtRunShared *shared = l->shared;
	PtRunPhase	phase = current_phase(shared);

	if (phase == PT_PHASE_FAILED)
	{
		/* The worker's texts were cut to fit the segment, perhaps inside a character. */
		char	   *message = pstrdup(shared->error_message);
		char	   *detail = pstrdup(shared->error_detail);
		char	   *hint = pstrdup(shared->error_hint);

		PtMakeValidText(message);
		PtMakeValidText(detail);
		PtMakeValidText(hint);
		ereport(ERROR,
				(errcode(shared->error_sqlstate),
				 errmsg("%s", message),
				 detail[0] ? errdetail("%s", detail) : 0,
				 hint[0] ? errhint("%s", hint) : 0,
				 shared->run_id ? errcontext("ptopt run %lld", (long long) shared->run_id) : 0));
	}
	if (phase == PT_PHASE_STARTING || phase == PT_PHASE_RUNNING)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("ptopt worker exited before the run ended"),
				 shared->run_id ? errdetail("Run %lld keeps the iterations it wrote; ptopt_wait marks it failed.",
											(long long) shared->run_id) : 0,
				 errhint("More details may be available in the server log.")));
}

/* Run a search in a worker, relay progress, return the summary. */
Datum
ptopt_run(PG_FUNCTION_ARGS)
{
	Launched	l = launch(fcinfo);
	TupleDesc	tupdesc;
	Datum		summary;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "ptopt_run must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);
	wait_or_stop_worker(&l, true, true);
	check_worker_end(&l);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	summary = PtStoreRunSummary(l.shared->run_id, tupdesc);
	SPI_finish();
	dsm_detach(l.seg);
	PG_RETURN_DATUM(summary);
}

/* Start a search in a worker and return its run_id once the run row exists. */
Datum
ptopt_start(PG_FUNCTION_ARGS)
{
	Launched	l = launch(fcinfo);
	int64		run_id;

	wait_or_stop_worker(&l, false, false);
	if (current_phase(l.shared) == PT_PHASE_STARTING || l.shared->run_id == 0)
		check_worker_end(&l);
	run_id = l.shared->run_id;
	dsm_detach(l.seg);
	PG_RETURN_INT64(run_id);
}

/* Check a search's arguments as ptopt_run would, without running it; returns the objective. */
Datum
ptopt_validate(PG_FUNCTION_ARGS)
{
	char	   *objective = validate(PtJsonbToText(PG_GETARG_JSONB_P(0)),
									 text_to_cstring(PG_GETARG_TEXT_PP(1)),
									 PG_GETARG_INT32(2), PG_GETARG_INT64(3),
									 PtJsonbToText(PG_GETARG_JSONB_P(4)));

	PG_RETURN_TEXT_P(cstring_to_text(objective));
}
