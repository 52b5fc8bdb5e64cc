/*
 * pt_run_shared.h — what a caller and its run worker share: a DSM segment with a shm_toc.
 *
 * The segment holds four entries: the fixed inputs and status (PtRunFixed),
 * the input texts, a shm_mq from the worker to the caller, and the stamp of
 * the library build the caller runs (checked first by the worker).  The worker
 * redirects its protocol output to the queue (pq_redirect_to_shm_mq), so its
 * NOTICEs and whole errors reach the caller, which re-throws them; either side
 * notices the other leave (the queue detaches; the caller's exit callback
 * signals the worker).  Workers are found by the PID kept in the run row and
 * in PtRunFixed, never by a name.
 */
#ifndef PTOPT_PT_RUN_SHARED_H
#define PTOPT_PT_RUN_SHARED_H

#include "postgres.h"

#include "storage/dsm.h"
#include "storage/shm_toc.h"
#include "storage/spin.h"

#define PT_SHM_MAGIC 0x70746d71			/* "ptmq" */
#define PT_KEY_FIXED 1
#define PT_KEY_TEXTS 2
#define PT_KEY_QUEUE 3
#define PT_KEY_LIBRARY 4				/* the caller's PtLibraryStamp (pt_library.h) */
#define PT_QUEUE_SIZE 65536				/* bytes of relayed NOTICEs and errors in flight */
#define PT_WORKER_TYPE "ptopt worker"	/* backend_type in pg_stat_activity */

typedef enum PtRunPhase
{
	PT_PHASE_STARTING = 0,		/* no run row yet */
	PT_PHASE_RUNNING,			/* run_id published */
	PT_PHASE_DONE,
	PT_PHASE_CANCELLED,
	PT_PHASE_FAILED
} PtRunPhase;

/* The texts a run needs, in the order they are laid out in the texts entry. */
typedef enum PtRunText
{
	PT_TEXT_SPACE,
	PT_TEXT_STRATEGY,
	PT_TEXT_OPTIONS,
	PT_TEXT_OBJECTIVE,			/* canonical objective name */
	PT_TEXT_SEARCH_PATH,
	PT_TEXT_LLM_SETTINGS,		/* the caller's ptopt.llm_* values */
	PT_N_TEXTS
} PtRunText;

typedef struct PtRunFixed
{
	uint32		layout;			/* PT_RUN_LAYOUT of the build that made the segment */
	slock_t		mutex;

	/* inputs, written before launch */
	Oid			database_id;
	Oid			role_id;
	pid_t		caller_pid;
	bool		background;		/* ptopt_start: the run outlives its caller */
	int			budget;
	int64		seed;
	int			progress_every;	/* a progress NOTICE every this many iterations */
	bool		progress_notices;
	int			backtest_threads;	/* the caller's ptopt.backtest_threads */
	int64		resume_run_id;	/* 0 for a new run */
	int			extra_budget;	/* iterations a resume adds */
	Size		text_off[PT_N_TEXTS];

	/* status, under mutex */
	PtRunPhase	phase;
	int64		run_id;
	bool		caller_gone;	/* the caller left while waiting: stop */
} PtRunFixed;

/*
 * What a run worker checks before it reads the segment: a caller and its
 * worker load the library separately, so a reinstall in between (an upgrade
 * while sessions run) can pair two builds whose layouts differ.
 */
#define PT_RUN_LAYOUT ((uint32) (sizeof(PtRunFixed) << 8 | PT_N_TEXTS))

/* The worker's view of its segment. */
typedef struct PtRunShared
{
	dsm_segment *seg;
	shm_toc    *toc;
	PtRunFixed *fixed;
	const char *texts;
} PtRunShared;

/* One input text of a run. */
#define PtRunSharedText(shared, which) ((shared)->texts + (shared)->fixed->text_off[(which)])

/* The worker's entry point (pt_worker.c), named in the BackgroundWorker struct. */
extern PGDLLEXPORT void ptopt_worker_main(Datum main_arg);

/* Execute the run described by shared, in the worker (pt_run_loop.c). */
extern void PtRunExecute(PtRunShared *shared);

/* True once the worker has been asked to stop because its caller left (pt_worker.c). */
extern bool PtWorkerCallerGone(void);

/* True once the worker has been told to terminate (SIGTERM) (pt_worker.c). */
extern bool PtWorkerTerminated(void);

#endif							/* PTOPT_PT_RUN_SHARED_H */
