/*
 * pt_run_state.h — what a run worker holds, shared by the loop (pt_run_loop.c)
 * and the trials it runs (pt_run_trial.c).
 */
#ifndef PTOPT_PT_RUN_STATE_H
#define PTOPT_PT_RUN_STATE_H

#include "postgres.h"

#include "portability/instr_time.h"

#include "history.h"
#include "llm_settings.h"
#include "objective.h"
#include "pt_run_shared.h"
#include "pt_trial_pool.h"
#include "run_plan.h"
#include "strategy.h"

/* A stored iteration at or after first_iter (a partial batch of a resumed parallel run). */
typedef struct PtStoredTrial
{
	bool		present;
	PtTrial		trial;			/* x, summary and reasoning in the run context */
} PtStoredTrial;

/* How long a cancelled run may still take to held-out score its last new bests. */
#define PT_HOLDOUT_GRACE_MS 1000

/* A new best whose held-out score is not yet stored (a parallel run's wait for its next batch). */
typedef struct PtPendingHoldout
{
	int			iter;
	double	   *point;			/* its evaluation point, in the run context */
} PtPendingHoldout;

/* What the loop holds between iterations; core objects are freed at the end of the run. */
typedef struct PtRunState
{
	PtRunShared *shared;
	MemoryContext run_cxt;		/* lives as long as the run: core's objects */
	int64		run_id;
	PtRunPlan  *plan;
	PtStrategy *strategy;
	PtObjective *objective;		/* NULL when a cluster evaluates */
	struct PtCluster *cluster;	/* options.cluster (pt_cluster.c), or NULL */
	PtHistory  *history;
	PtTrialPool *pool;			/* the trial workers (options.workers - 1 of them), or NULL */
	PtPendingHoldout *pending;	/* the last batch's new bests, not yet held-out scored */
	int			n_pending;
	struct PtIterationRow *rows;	/* the last batch's rows, evaluated, not yet written */
	int			n_rows;
	MemoryContext rows_cxt;		/* their texts */
	PtLlmSettings llm;			/* the ptopt.llm_* settings the strategy was created with */
	int			budget;			/* the run's budget (a resume adds to the stored one) */
	int64		seed;
	int			first_iter;		/* the first iteration this worker runs */
	PtStoredTrial *stored;		/* iterations first_iter.. already stored, or NULL */
	int			n_stored;
	double		elapsed_before;	/* seconds the run had run before this worker took it */
	instr_time	started;		/* when this worker took the run */
	double		time_limit_s;	/* options.time_limit in seconds, or 0 for none */
	instr_time	synced;			/* when the run row was last brought up to date */
	int			last_failure_code;	/* SQLSTATE of the last failed iteration, or 0 */
	char		last_failure[256];	/* its message */
} PtRunState;

/* Seconds the run has been running, over every worker that ran it (pt_run_loop.c). */
extern double PtRunElapsed(PtRunState *st);

/* A score as the strategies see it (higher better) from the stored one, or back (pt_run_loop.c). */
extern double PtRunStrategyScore(PtRunState *st, double score);

/* Start a transaction with an SPI connection and a snapshot (pt_run_loop.c). */
extern void PtRunBeginStep(void);

/* Commit what PtRunBeginStep started (pt_run_loop.c). */
extern void PtRunCommitStep(void);

/* Run one iteration in this process: propose, evaluate, write, remember (pt_run_trial.c). */
extern void PtRunSerialIteration(PtRunState *st, int iter);

/*
 * Run the batch of iterations first..first+n-1 on the trial workers and the
 * coordinator (or, in a clustered run, on the cluster's nodes in one PL/Proxy
 * call): propose them all (the constant liar in between), evaluate them at
 * once, write each as it is done, then remember them in iteration order.  The
 * held-out scores of the batch's new bests wait for the next batch's trials
 * to be under way (pt_run_trial.c).
 */
extern void PtRunBatch(PtRunState *st, int first, int n);

/*
 * Write the rows the last batch left kept, in one transaction: before the
 * next batch's trials are claimed here, when the run ends, and when it stops
 * on an error or cancel (pt_run_trial.c).
 */
extern void PtRunWriteKeptRows(PtRunState *st);

/* Held-out score the new bests the last batch left pending (pt_run_trial.c); a cancel raises. */
extern void PtRunScorePendingHoldouts(PtRunState *st);

/* A resumed run: queue its best row for a held-out score when it has none (pt_run_trial.c). */
extern void PtRunQueueBestHoldout(PtRunState *st);

/* After a cancel or error: held-out score the pending new bests within PT_HOLDOUT_GRACE_MS. */
extern void PtRunScoreHoldoutsAfterStop(PtRunState *st);

#endif							/* PTOPT_PT_RUN_STATE_H */
