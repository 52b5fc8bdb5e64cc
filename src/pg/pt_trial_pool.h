/*
 * pt_trial_pool.h — trial workers that evaluate a run's points in parallel (options.workers).
 *
 * The run worker (the coordinator) starts a pool of dynamic background
 * workers, each connected as the run's role, each with the run's objective
 * open: options.workers - 1 of them, as the coordinator evaluates one trial
 * of each batch itself.  It sends each a point over a shm_mq and reads the
 * outcome back over another; the coordinator writes every row, so a trial is
 * either stored whole or not at all.  A trial worker's NOTICEs and errors come back whole on its
 * outcome queue (pq_redirect_to_shm_mq), as the run worker's reach its caller.
 */
#ifndef PTOPT_PT_TRIAL_POOL_H
#define PTOPT_PT_TRIAL_POOL_H

#include "postgres.h"

#include "objective.h"
#include "pt_error.h"

#define PT_TRIAL_WORKER_TYPE "ptopt trial worker"	/* backend_type in pg_stat_activity */

/* What a trial worker needs to open the run's objective. */
typedef struct PtTrialPoolSpec
{
	int			n_workers;		/* trial workers to start */
	int			requested;		/* options.workers, for the error when the slots are short */
	const char *space;
	const char *strategy;
	const char *options;
	const char *objective;		/* canonical objective name */
	const char *policy;
	const char *search_path;
	int			budget;
	int64		seed;
} PtTrialPoolSpec;

/* The outcome of one trial, as a trial worker sends it back. */
typedef struct PtTrialOutcome
{
	int			iter;
	int			rc;				/* PT_OK, or the PtErrorCode of a failed evaluation */
	PtEvaluation eval;			/* score, report and summary when rc is PT_OK (palloc'd) */
	PtError		err;			/* the failure when rc is not PT_OK */
	double		elapsed_ms;		/* the evaluation in the trial worker */
} PtTrialOutcome;

typedef struct PtTrialPool PtTrialPool;

/*
 * Start n_workers trial workers; raises 53000 before anything else happens
 * when there are not that many free background worker slots.
 */
extern PtTrialPool *PtTrialPoolStart(const PtTrialPoolSpec *spec);

/*
 * Offer every worker a batch of n trials (iters[i] at points[i], d values of
 * the evaluation space each): each worker claims and evaluates one trial
 * after another until none is left.
 */
extern void PtTrialPoolOffer(PtTrialPool *pool, int n, const int *iters, double *const *points, int d);

/* Claim a trial of the batch on offer for the coordinator: its index, or -1 when none is left. */
extern int	PtTrialPoolClaim(PtTrialPool *pool);

/*
 * Wait until some worker has an outcome; fills out and returns the worker's
 * index.  Relays the workers' NOTICEs; raises a worker's error, whole.
 */
extern int	PtTrialPoolReceive(PtTrialPool *pool, PtTrialOutcome *out);

/* Stop every trial worker and detach (NULL is fine); in-flight trials are dropped. */
extern void PtTrialPoolStop(PtTrialPool *pool);

/* The trial worker's entry point (pt_trial_worker.c). */
extern PGDLLEXPORT void ptopt_trial_worker_main(Datum main_arg);

#endif							/* PTOPT_PT_TRIAL_POOL_H */
