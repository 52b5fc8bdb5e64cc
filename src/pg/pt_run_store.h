/*
 * pt_run_store.h — the parameterised SPI writes and reads of ptopt.runs and ptopt.trajectory.
 *
 * Every function expects an SPI connection and a transaction; none builds SQL
 * by pasting values.
 */
#ifndef PTOPT_PT_RUN_STORE_H
#define PTOPT_PT_RUN_STORE_H

#include "postgres.h"

#include "access/tupdesc.h"

#include "history.h"

typedef struct PtRunRow
{
	const char *label;			/* or NULL */
	const char *strategy;
	const char *objective;
	const char *space_json;
	const char *options_json;
	const char *policy_json;
	int64		seed;
	int			budget;
	const char *llm_model;		/* the model an LLM run asks, or NULL */
	bool		no_worker;		/* an external run: worker_pid stays NULL */
} PtRunRow;

typedef struct PtIterationRow
{
	int64		run_id;
	int			iter;
	const char *params_json;
	bool		has_score;
	double		score;
	const char *report_json;	/* or NULL */
	const char *reasoning;		/* or NULL */
	const char *source;
	const char *status;
	double		elapsed_ms;		/* propose + evaluate */
	double		propose_ms;		/* the strategy's share */
	long		tokens_in;
	long		tokens_out;
} PtIterationRow;

/* A stored run, as a resume reads it back. */
typedef struct PtStoredRun
{
	char	   *space_json;
	char	   *strategy;
	char	   *options_json;
	char	   *objective;
	char	   *policy_json;
	int64		seed;
	int			budget;			/* after the extra budget was added */
	double		elapsed_s;		/* time already spent */
} PtStoredRun;

/* A stored iteration, as a resume reads it back. */
typedef struct PtStoredIteration
{
	int			iter;
	const char *params_json;
	double		score;
	PtTrialStatus status;
	PtSource	source;
	const char *summary;		/* or NULL */
	const char *reasoning;		/* or NULL */
	bool		pending;		/* asked by ptopt_ask, not told yet (status is then FAILED) */
} PtStoredIteration;

/* Insert a run row with status running; returns its run_id. */
extern int64 PtStoreInsertRun(const PtRunRow *row);

/* Insert one trajectory row. */
extern void PtStoreInsertIteration(const PtIterationRow *row);

/*
 * Bring a running run's row up to date from its trajectory (iterations, best
 * score, iteration, parameters and held-out score, tokens) and its elapsed
 * time.  With a status it also closes the run: status, finished_at and the
 * error text (or NULL).  minimize: the best is the lowest score.
 */
extern void PtStoreSyncRun(int64 run_id, const char *status, const char *error,
						   double elapsed_s, bool minimize);

/* Store the held-out score of an iteration (a new best of its run). */
extern void PtStoreSetHoldout(int64 run_id, int iter, double holdout);

/*
 * The run's best row, as PtStoreSyncRun picks it, when it has no held-out
 * score: its iteration and params text (in the current SPI context); false
 * when the best has one or the run has no scored row.
 */
extern bool PtStoreBestWithoutHoldout(int64 run_id, bool minimize, int *iter, char **params_json);

/* Mark failed, with the reason, every running run whose worker is gone. */
extern void PtStoreSweepOrphans(void);

/* Claim a stopped run for a resume (status running, budget + extra); raises when it cannot be. */
extern void PtStoreClaimRun(int64 run_id, int extra_budget, PtStoredRun *out);

/* Call fn for each stored iteration of a run, in iteration order. */
extern void PtStoreLoadTrajectory(int64 run_id,
								  void (*fn) (void *arg, const PtStoredIteration *it),
								  void *arg);

/* The PID of the live worker of a running run in this database, or 0. */
extern int	PtStoreRunWorkerPid(int64 run_id);

/* The run's status, or NULL when the run is not visible to this role. */
extern char *PtStoreRunStatus(int64 run_id);

/* The run's budget; the run must be visible. */
extern int	PtStoreRunBudget(int64 run_id);

/* The run's summary as a datum of the given row type; errors when not visible. */
extern Datum PtStoreRunSummary(int64 run_id, TupleDesc tupdesc);

#endif							/* PTOPT_PT_RUN_STORE_H */
