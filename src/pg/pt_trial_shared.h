/*
 * pt_trial_shared.h — the layout of a trial pool's segment and its messages.
 *
 * Shared by the coordinator (pt_trial_pool.c) and the trial workers
 * (pt_trial_worker.c).  A request is "P", iter, n, then n doubles; an
 * outcome is "R", iter, rc, score, elapsed_ms, sqlstate, then five texts
 * (report, summary, message, detail, hint), each a length (-1 for none) and
 * its bytes.  Worker NOTICEs and errors travel as protocol messages "N"/"E".
 */
#ifndef PTOPT_PT_TRIAL_SHARED_H
#define PTOPT_PT_TRIAL_SHARED_H

#include "postgres.h"

#include "storage/spin.h"

#define PT_POOL_MAGIC 0x7074706c		/* "ptpl" */
#define PT_POOL_KEY_FIXED 1
#define PT_POOL_KEY_TEXTS 2
#define PT_POOL_KEY_QUEUE(w, out) (3 + 2 * (w) + ((out) ? 1 : 0))
#define PT_POOL_QUEUE_SIZE 65536		/* bytes of each queue; longer messages stream */

#define PT_MSG_POINT 'P'
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
	Oid			database_id;
	Oid			role_id;
	pid_t		coordinator_pid;
	int			n_workers;
	int			budget;
	int64		seed;
	Size		text_off[PT_POOL_N_TEXTS];
} PtPoolFixed;

#endif							/* PTOPT_PT_TRIAL_SHARED_H */
