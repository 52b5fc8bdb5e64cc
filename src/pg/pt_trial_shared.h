/*
 * pt_trial_shared.h — the layout of a trial pool's segment and its messages.
 *
 * Shared by the coordinator (pt_trial_pool.c) and the trial workers
 * (pt_trial_worker.c).  A batch is offered to every worker as "B", the batch
 * number, n trials, the dimension d, then n times (iter, d doubles); each
 * evaluator (the workers and the coordinator) claims its next trial of the
 * batch from one shared counter (PtPoolClaim) until none is left, so a
 * trial is evaluated once, by whoever is free first.  An outcome is "R",
 * iter, rc, score, elapsed_ms, sqlstate, then five texts (report, summary,
 * message, detail, hint), each a length (-1 for none) and its bytes.  Worker
 * NOTICEs and errors travel as protocol messages "N"/"E".
 */
#ifndef PTOPT_PT_TRIAL_SHARED_H
#define PTOPT_PT_TRIAL_SHARED_H

#include "postgres.h"

#include "port/atomics.h"
#include "storage/spin.h"

#define PT_POOL_MAGIC 0x7074706c		/* "ptpl" */
#define PT_POOL_KEY_FIXED 1
#define PT_POOL_KEY_TEXTS 2
#define PT_POOL_KEY_QUEUE(w, out) (3 + 2 * (w) + ((out) ? 1 : 0))
#define PT_POOL_KEY_LIBRARY UINT64CONST(0x6c6962)	/* the coordinator's PtLibraryStamp */
#define PT_POOL_QUEUE_SIZE 65536		/* bytes of each queue; longer messages stream */

#define PT_MSG_BATCH 'B'
#define PT_MSG_OUTCOME 'R'

/* The texts a trial worker opens the objective from. */
typedef enum PtPoolText
{
	PT_POOL_SPACE,
	PT_POOL_STRATEGY,
	PT_POOL_OPTIONS,
	PT_POOL_OBJECTIVE,
	PT_POOL_POLICY,
	PT_POOL_SEARCH_PATH,
	PT_POOL_N_TEXTS
} PtPoolText;

typedef struct PtPoolFixed
{
	uint32		layout;			/* PT_POOL_LAYOUT of the build that made the segment */
	Oid			database_id;
	Oid			role_id;
	pid_t		coordinator_pid;
	int			n_workers;
	int			budget;
	int64		seed;
	Size		text_off[PT_POOL_N_TEXTS];
	pg_atomic_uint64 claim;		/* the batch number << 32 | its next unclaimed trial */
} PtPoolFixed;

/* What a trial worker checks first: it loads the library apart from its coordinator (pt_run_shared.h). */
#define PT_POOL_LAYOUT ((uint32) (sizeof(PtPoolFixed) << 8 | PT_POOL_N_TEXTS))

/*
 * Claim the next trial of batch `batch` of n trials: its index, or -1 when
 * every trial is taken or a later batch has been offered since.
 */
static inline int
PtPoolClaim(PtPoolFixed *fixed, uint32 batch, int n)
{
	uint64		v = pg_atomic_read_u64(&fixed->claim);

	for (;;)
	{
		if ((uint32) (v >> 32) != batch || (int) (v & 0xffffffff) >= n)
			return -1;
		if (pg_atomic_compare_exchange_u64(&fixed->claim, &v, v + 1))
			return (int) (v & 0xffffffff);
	}
}

#endif							/* PTOPT_PT_TRIAL_SHARED_H */
