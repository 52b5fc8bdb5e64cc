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

/* Insert a run row with status running; returns its run_id. */
extern int64 PtStoreInsertRun(const PtRunRow *row);

/* Insert one trajectory row. */
extern void PtStoreInsertIteration(const PtIterationRow *row);

/*
 * Bring a running run's row up to date from its trajectory (iterations, best
 * score, iteration, parameters and held-out score, tokens).  With a status it
 * also closes the run: status, finished_at and the error text (or NULL).
 */
extern void PtStoreSyncRun(int64 run_id, const char *status, const char *error);

/* The run's status, or NULL when the run is not visible to this role. */
extern char *PtStoreRunStatus(int64 run_id);

/* The run's summary as a datum of the given row type; errors when not visible. */
extern Datum PtStoreRunSummary(int64 run_id, TupleDesc tupdesc);

#endif							/* PTOPT_PT_RUN_STORE_H */
