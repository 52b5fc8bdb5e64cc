/*
 * pt_worker.c — the dynamic background worker that executes one run.
 *
 * It attaches the caller's shared segment, connects to the caller's database
 * as the caller's role, takes the caller's search_path, and runs the loop.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"

#include "pt_run_shared.h"

/* Entry point of a run worker. */
void
ptopt_worker_main(Datum main_arg)
{
	dsm_segment *seg;
	PtRunShared *shared;

	pqsignal(SIGTERM, die);
	pqsignal(SIGINT, StatementCancelHandler);
	BackgroundWorkerUnblockSignals();

	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("ptopt worker could not map its shared memory segment")));
	shared = dsm_segment_address(seg);
	if (shared->magic != PT_SHARED_MAGIC)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("ptopt worker found a bad magic number in its shared memory segment")));

	BackgroundWorkerInitializeConnectionByOid(shared->database_id, shared->role_id, 0);
	PtRunExecute(shared);
	dsm_detach(seg);
	proc_exit(0);
}
