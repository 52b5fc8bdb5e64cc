/*
 * pt_run_launch.c — start a run worker and follow it: the caller's side of the relay.
 *
 * The caller builds a DSM segment with a shm_toc (inputs, status, a shm_mq),
 * starts the worker and reads the queue: the worker's NOTICEs are re-thrown
 * here as they come, its error is re-thrown whole once it has left.  The
 * worker is stopped (SIGINT, or never started) when the caller errors or is
 * cancelled while waiting, and when the caller's process exits for any reason
 * while waiting (a before_shmem_exit callback, which runs on FATAL too).  A
 * client that went away is noticed within about a second.
 */
#include "postgres.h"

#include <signal.h>

#include "libpq/pqformat.h"
#include "libpq/pqmq.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shm_mq.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "pt_library.h"
#include "pt_llm.h"
#include "pt_run_launch.h"
#include "pt_settings.h"

/*
 * libpq/libpq.h declares this, but includes libpq-be.h, which needs the GSSAPI
 * headers that a PostgreSQL server-dev install does not always bring.
 */
extern bool pq_check_connection(void);

#define PT_POLL_MS 100				/* longest sleep between looks at the queue */
#define PT_CLIENT_CHECK_MS 1000		/* how often a waiting caller checks its client is still there */
#define PT_STOP_WAIT_MS 2000		/* how long a cancelled caller waits for its worker to close the run */

struct PtLaunched
{
	dsm_segment *seg;
	PtRunFixed *fixed;
	shm_mq_handle *mqh;
	BackgroundWorkerHandle *handle;
	ErrorData  *error;			/* the worker's error, once received */
	bool		detached;		/* the worker has left the queue */
};

/* The launch this backend is waiting on, which its exit must stop. */
static PtLaunched *waiting = NULL;
static bool exit_callback_registered = false;

/* Ask the worker of a launch to stop: cancel it if running, or keep it from starting. */
static void
stop_worker(PtLaunched *l)
{
	pid_t		pid;

	SpinLockAcquire(&l->fixed->mutex);
	l->fixed->caller_gone = true;
	SpinLockRelease(&l->fixed->mutex);
	switch (GetBackgroundWorkerPid(l->handle, &pid))
	{
		case BGWH_STARTED:
			kill(pid, SIGINT);
			break;
		case BGWH_NOT_YET_STARTED:
			TerminateBackgroundWorker(l->handle);
			break;
		default:
			break;
	}
}

/* before_shmem_exit: a backend leaving while it waits stops its worker. */
static void
caller_exit(int code, Datum arg)
{
	if (waiting != NULL)
		stop_worker(waiting);
	waiting = NULL;
}

/* Allocate the segment and lay out the toc: fixed inputs, texts, queue, library stamp. */
static PtLaunched *
create_segment(const PtRunRequest *req, const char *texts[PT_N_TEXTS])
{
	PtLaunched *l = MemoryContextAllocZero(TopMemoryContext, sizeof(PtLaunched));
	shm_toc_estimator e;
	Size		texts_len = 0;
	Size		size;
	shm_toc    *toc;
	char	   *area;
	shm_mq	   *mq;
	PtLibraryStamp *stamp;
	int			i;

	for (i = 0; i < PT_N_TEXTS; i++)
		texts_len += strlen(texts[i]) + 1;
	shm_toc_initialize_estimator(&e);
	shm_toc_estimate_chunk(&e, sizeof(PtRunFixed));
	shm_toc_estimate_chunk(&e, texts_len);
	shm_toc_estimate_chunk(&e, PT_QUEUE_SIZE);
	shm_toc_estimate_chunk(&e, sizeof(PtLibraryStamp));
	shm_toc_estimate_keys(&e, 4);
	size = shm_toc_estimate(&e);

	l->seg = dsm_create(size, DSM_CREATE_NULL_IF_MAXSEGMENTS);
	if (l->seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start a ptopt worker"),
				 errdetail("No dynamic shared memory segment is free."),
				 errhint("Wait for other searches or parallel queries to finish.")));
	toc = shm_toc_create(PT_SHM_MAGIC, dsm_segment_address(l->seg), size);

	l->fixed = shm_toc_allocate(toc, sizeof(PtRunFixed));
	memset(l->fixed, 0, sizeof(PtRunFixed));
	l->fixed->layout = PT_RUN_LAYOUT;
	SpinLockInit(&l->fixed->mutex);
	l->fixed->database_id = MyDatabaseId;
	l->fixed->role_id = GetUserId();
	l->fixed->caller_pid = MyProcPid;
	l->fixed->background = req->background;
	l->fixed->budget = req->budget;
	l->fixed->seed = req->seed;
	l->fixed->progress_every = Max(1, (req->budget + ptopt_progress_lines - 1) / ptopt_progress_lines);
	l->fixed->progress_notices = ptopt_progress_notices && !req->background;
	l->fixed->backtest_threads = ptopt_backtest_threads;
	l->fixed->resume_run_id = req->resume_run_id;
	l->fixed->extra_budget = req->extra_budget;
	l->fixed->phase = PT_PHASE_STARTING;
	shm_toc_insert(toc, PT_KEY_FIXED, l->fixed);

	area = shm_toc_allocate(toc, texts_len);
	texts_len = 0;
	for (i = 0; i < PT_N_TEXTS; i++)
	{
		Size		len = strlen(texts[i]) + 1;

		memcpy(area + texts_len, texts[i], len);
		l->fixed->text_off[i] = texts_len;
		texts_len += len;
	}
	shm_toc_insert(toc, PT_KEY_TEXTS, area);

	mq = shm_mq_create(shm_toc_allocate(toc, PT_QUEUE_SIZE), PT_QUEUE_SIZE);
	shm_toc_insert(toc, PT_KEY_QUEUE, mq);
	stamp = shm_toc_allocate(toc, sizeof(PtLibraryStamp));
	*stamp = *PtLibraryStampOwn();
	shm_toc_insert(toc, PT_KEY_LIBRARY, stamp);
	shm_mq_set_receiver(mq, MyProc);
	l->mqh = shm_mq_attach(mq, l->seg, NULL);
	return l;
}

/* Register the worker; raises when every slot is taken. */
static void
register_worker(PtLaunched *l)
{
	BackgroundWorker worker = {0};

	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_ConsistentState;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "ptopt");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "ptopt_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "ptopt worker for PID %d", MyProcPid);
	snprintf(worker.bgw_type, BGW_MAXLEN, PT_WORKER_TYPE);
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(l->seg));
	worker.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&worker, &l->handle))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start a ptopt worker"),
				 errdetail("Every background worker slot is in use."),
				 errhint("Wait for other searches to finish, or raise max_worker_processes.")));
	shm_mq_set_handle(l->mqh, l->handle);
}

/* Create the segment and start the worker. */
PtLaunched *
PtLaunchRun(const PtRunRequest *req)
{
	const char *texts[PT_N_TEXTS];
	PtLaunched *l;

	texts[PT_TEXT_SPACE] = req->space;
	texts[PT_TEXT_STRATEGY] = req->strategy;
	texts[PT_TEXT_OPTIONS] = req->options;
	texts[PT_TEXT_OBJECTIVE] = req->objective;
	texts[PT_TEXT_SEARCH_PATH] = GetConfigOptionByName("search_path", NULL, false);
	texts[PT_TEXT_LLM_SETTINGS] = PtLlmSettingsCapture();

	if (!exit_callback_registered)
	{
		before_shmem_exit(caller_exit, (Datum) 0);
		exit_callback_registered = true;
	}
	l = create_segment(req, texts);
	/* The segment lives until PtLaunchRelease, not until the end of this query. */
	dsm_pin_mapping(l->seg);
	PG_TRY();
	{
		register_worker(l);
		waiting = l;
	}
	PG_CATCH();
	{
		dsm_detach(l->seg);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return l;
}

/* The worker's phase. */
PtRunPhase
PtLaunchPhase(PtLaunched *l)
{
	PtRunPhase	phase;

	SpinLockAcquire(&l->fixed->mutex);
	phase = l->fixed->phase;
	SpinLockRelease(&l->fixed->mutex);
	return phase;
}

/* The run_id the worker published. */
int64
PtLaunchRunId(PtLaunched *l)
{
	int64		run_id;

	SpinLockAcquire(&l->fixed->mutex);
	run_id = l->fixed->run_id;
	SpinLockRelease(&l->fixed->mutex);
	return run_id;
}

/* Re-throw one relayed message: a NOTICE now, an error kept for when the worker has left. */
static void
relay_message(PtLaunched *l, void *data, Size nbytes, MemoryContext keep)
{
	StringInfoData msg;
	ErrorData	edata;
	char		type;

	msg.data = data;
	msg.len = (int) nbytes;
	msg.maxlen = (int) nbytes;
	msg.cursor = 0;
	type = pq_getmsgbyte(&msg);
	if (type != 'E' && type != 'N')
		return;					/* nothing else is relayed */
	pq_parse_errornotice(&msg, &edata);
	if (edata.elevel < ERROR)
	{
		ThrowErrorData(&edata);
		return;
	}
	if (l->error == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(keep);

		/* A worker's FATAL is this caller's ERROR; the first error is the one that counts. */
		edata.elevel = ERROR;
		l->error = palloc(sizeof(ErrorData));
		*l->error = edata;
		l->error->message = edata.message ? pstrdup(edata.message) : NULL;
		l->error->detail = edata.detail ? pstrdup(edata.detail) : NULL;
		l->error->hint = edata.hint ? pstrdup(edata.hint) : NULL;
		l->error->context = edata.context ? pstrdup(edata.context) : NULL;
		MemoryContextSwitchTo(old);
	}
}

/* Turn a client that went away into the FATAL PostgreSQL raises for it. */
static void
check_client(TimestampTz *last)
{
	TimestampTz now = GetCurrentTimestamp();

	if (whereToSendOutput != DestRemote ||
		!TimestampDifferenceExceeds(*last, now, PT_CLIENT_CHECK_MS))
		return;
	*last = now;
	if (!pq_check_connection())
	{
		ClientConnectionLost = true;
		InterruptPending = true;
		CHECK_FOR_INTERRUPTS();
	}
}

/* Read the queue until the worker has published a run_id or (until_end) has left. */
static void
follow_worker(PtLaunched *l, bool until_end)
{
	MemoryContext msg_cxt = AllocSetContextCreate(CurrentMemoryContext, "ptopt relay",
												  ALLOCSET_SMALL_SIZES);
	MemoryContext keep = CurrentMemoryContext;
	TimestampTz last_check = GetCurrentTimestamp();

	while (!l->detached)
	{
		Size		nbytes;
		void	   *data;
		shm_mq_result res = shm_mq_receive(l->mqh, &nbytes, &data, true);

		if (res == SHM_MQ_SUCCESS)
		{
			MemoryContext old = MemoryContextSwitchTo(msg_cxt);

			relay_message(l, data, nbytes, keep);
			MemoryContextSwitchTo(old);
			MemoryContextReset(msg_cxt);
			continue;
		}
		if (res == SHM_MQ_DETACHED)
		{
			l->detached = true;
			break;
		}
		if (!until_end && PtLaunchPhase(l) != PT_PHASE_STARTING)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 PT_POLL_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		check_client(&last_check);
	}
	MemoryContextDelete(msg_cxt);
}

/* Raise the worker's error, or say why it left without ending the run. */
static void
raise_worker_end(PtLaunched *l)
{
	int64		run_id = PtLaunchRunId(l);

	if (l->error != NULL)
	{
		if (run_id != 0)
			l->error->context = l->error->context
				? psprintf("%s\nptopt run %lld", l->error->context, (long long) run_id)
				: psprintf("ptopt run %lld", (long long) run_id);
		ThrowErrorData(l->error);
	}
	if (PtLaunchPhase(l) < PT_PHASE_DONE)
		ereport(ERROR,
				(errcode(ERRCODE_ADMIN_SHUTDOWN),
				 errmsg("the ptopt worker exited before the run ended"),
				 run_id ? errdetail("Run %lld keeps the iterations it wrote and is marked failed the next time ptopt is used.",
									(long long) run_id) : 0,
				 errhint("The server log says why the worker stopped.")));
}

/*
 * After asking the worker to stop, give it a moment to close the run row and
 * leave, so that the caller's 57014 comes after the row says cancelled.
 * Interrupts are not checked here (this runs while an error is handled);
 * the worker's messages are dropped.
 */
static void
wait_for_stop(PtLaunched *l)
{
	TimestampTz start = GetCurrentTimestamp();

	while (!TimestampDifferenceExceeds(start, GetCurrentTimestamp(), PT_STOP_WAIT_MS))
	{
		Size		nbytes;
		void	   *data;
		shm_mq_result res = shm_mq_receive(l->mqh, &nbytes, &data, true);

		if (res == SHM_MQ_DETACHED)
			return;
		if (res == SHM_MQ_SUCCESS)
			continue;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 10, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* Wait for the worker; an error or cancel here stops it (and waits a moment for it to close the run). */
void
PtLaunchWait(PtLaunched *l, bool until_end)
{
	PG_TRY();
	{
		follow_worker(l, until_end);
		if (l->detached)
			raise_worker_end(l);
	}
	PG_CATCH();
	{
		if (!l->detached)
		{
			stop_worker(l);
			wait_for_stop(l);
		}
		PtLaunchRelease(l);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/* Stop following the worker and detach the segment. */
void
PtLaunchRelease(PtLaunched *l)
{
	if (waiting == l)
		waiting = NULL;
	if (l->seg != NULL)
	{
		dsm_detach(l->seg);
		l->seg = NULL;
	}
}
