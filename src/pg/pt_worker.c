/*
 * pt_worker.c — the dynamic background worker that executes one run.
 *
 * It attaches the caller's segment, sends its protocol output (NOTICEs,
 * errors) to the caller through the segment's shm_mq, connects to the
 * caller's database as the caller's role, and runs the loop.  SIGINT cancels
 * the run (it ends cancelled); SIGTERM (pg_terminate_backend, a server
 * shutdown) stops it the same way but ends it failed with that reason.
 */
#include "postgres.h"

#include <signal.h>

#include "libpq/pqmq.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shm_mq.h"
#include "storage/shm_toc.h"
#include "tcop/tcopprot.h"

#include "pt_library.h"
#include "pt_run_shared.h"

#define WORKER_KIND "search's worker"	/* how errors name this process */

static volatile sig_atomic_t worker_terminated = false;
static PtRunFixed *worker_fixed = NULL;

/* SIGTERM: remember it, then stop the way a cancel does so the run row is closed. */
static void
worker_sigterm(SIGNAL_ARGS)
{
	worker_terminated = true;
	StatementCancelHandler(postgres_signal_arg);
}

/* True once SIGTERM arrived. */
bool
PtWorkerTerminated(void)
{
	return worker_terminated;
}

/* True once the caller of a waiting run has left (its exit callback said so, or its process is gone). */
bool
PtWorkerCallerGone(void)
{
	bool		gone;

	if (worker_fixed == NULL || worker_fixed->background)
		return false;
	SpinLockAcquire(&worker_fixed->mutex);
	gone = worker_fixed->caller_gone;
	SpinLockRelease(&worker_fixed->mutex);
	if (!gone && kill(worker_fixed->caller_pid, 0) != 0 && errno == ESRCH)
		gone = true;
	return gone;
}

/*
 * Attach the segment and send this worker's protocol output to the caller's
 * queue, or raise (the caller may already have left and destroyed it).  A
 * segment of another build (pt_library.h) is refused once the queue is
 * attached, so the caller hears why (the queue is PostgreSQL's, the same in
 * every build).
 */
static PtRunShared
attach_segment(dsm_handle handle)
{
	PtRunShared shared;
	shm_mq	   *mq;
	shm_mq_handle *mqh;

	shared.seg = dsm_attach(handle);
	if (shared.seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("ptopt worker could not map its shared memory segment"),
				 errdetail("The backend that started the search has already left.")));
	shared.toc = shm_toc_attach(PT_SHM_MAGIC, dsm_segment_address(shared.seg));
	if (shared.toc == NULL)
		PtLibraryRaiseOtherBuild(WORKER_KIND);
	mq = shm_toc_lookup(shared.toc, PT_KEY_QUEUE, true);
	if (mq == NULL)
		PtLibraryRaiseOtherBuild(WORKER_KIND);
	shm_mq_set_sender(mq, MyProc);
	mqh = shm_mq_attach(mq, shared.seg, NULL);
	pq_redirect_to_shm_mq(shared.seg, mqh);
	/* Nothing else in the segment is read before the caller is known to run this build. */
	PtLibraryStampCheck(shm_toc_lookup(shared.toc, PT_KEY_LIBRARY, true), WORKER_KIND);
	shared.fixed = shm_toc_lookup(shared.toc, PT_KEY_FIXED, true);
	if (shared.fixed == NULL || shared.fixed->layout != PT_RUN_LAYOUT)
		PtLibraryRaiseOtherBuild(WORKER_KIND);
	shared.texts = shm_toc_lookup(shared.toc, PT_KEY_TEXTS, false);
	return shared;
}

/* Entry point of a run worker. */
void
ptopt_worker_main(Datum main_arg)
{
	PtRunShared shared;

	pqsignal(SIGTERM, worker_sigterm);
	pqsignal(SIGINT, StatementCancelHandler);
	BackgroundWorkerUnblockSignals();

	shared = attach_segment(DatumGetUInt32(main_arg));
	worker_fixed = shared.fixed;

	BackgroundWorkerInitializeConnectionByOid(shared.fixed->database_id, shared.fixed->role_id, 0);
	PtRunExecute(&shared);
	worker_fixed = NULL;
	dsm_detach(shared.seg);
	proc_exit(0);
}
