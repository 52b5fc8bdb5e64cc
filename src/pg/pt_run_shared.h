/*
 * pt_run_shared.h — the dynamic shared memory a caller and its run worker share.
 *
 * The caller writes the inputs, launches the worker and waits; the worker
 * publishes the run_id, a ring of progress lines and, at the end, its
 * phase and any error.  Everything after the inputs is guarded by mutex.
 */
#ifndef PTOPT_PT_RUN_SHARED_H
#define PTOPT_PT_RUN_SHARED_H

#include "postgres.h"

#include "storage/spin.h"

#define PT_SHARED_MAGIC 0x7074726E		/* "ptrn" */
#define PT_PROGRESS_RING 64				/* progress lines the caller may lag behind */
#define PT_SHARED_TEXT_MAX 1024			/* error message, detail and hint */
#define PT_WORKER_TYPE "ptopt worker"	/* backend_type in pg_stat_activity */
#define PT_WORKER_APPNAME "ptopt run "	/* application_name prefix, then the run_id */

typedef enum PtRunPhase
{
	PT_PHASE_STARTING = 0,		/* no run row yet */
	PT_PHASE_RUNNING,			/* run_id published */
	PT_PHASE_DONE,
	PT_PHASE_CANCELLED,
	PT_PHASE_FAILED
} PtRunPhase;

typedef struct PtProgressLine
{
	int			iter;
	bool		ok;
	double		score;
	bool		has_best;
	double		best;
	int			best_iter;
} PtProgressLine;

typedef struct PtRunShared
{
	uint32		magic;
	slock_t		mutex;

	/* inputs, written before launch */
	Oid			database_id;
	Oid			role_id;
	int			caller_pgprocno;
	int			budget;
	int64		seed;
	int			progress_every;	/* a progress line every this many iterations */
	Size		space_off;		/* offsets of NUL-terminated texts in data[] */
	Size		strategy_off;
	Size		options_off;
	Size		objective_off;	/* canonical objective name */
	Size		search_path_off;

	/* outputs, under mutex */
	PtRunPhase	phase;
	int64		run_id;
	uint64		n_progress;		/* progress lines published so far */
	PtProgressLine ring[PT_PROGRESS_RING];
	int			error_sqlstate;
	char		error_message[PT_SHARED_TEXT_MAX];
	char		error_detail[PT_SHARED_TEXT_MAX];
	char		error_hint[PT_SHARED_TEXT_MAX];

	char		data[FLEXIBLE_ARRAY_MEMBER];
} PtRunShared;

/* The NUL-terminated input text at offset off of a shared segment's data area. */
#define PtSharedText(shared, off) ((const char *) (shared)->data + (off))

/* The worker's entry point (pt_worker.c), named in the BackgroundWorker struct. */
extern PGDLLEXPORT void ptopt_worker_main(Datum main_arg);

/* Execute the run described by shared, in the worker (pt_run_loop.c). */
extern void PtRunExecute(PtRunShared *shared);

#endif							/* PTOPT_PT_RUN_SHARED_H */
