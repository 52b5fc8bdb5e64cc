/*
 * pt_warm_start.h — options.warm_start_from: a run seeded with the ok iterations of earlier runs.
 *
 * options.warm_start_from names earlier runs by run_id (a number) or by label
 * (a string: every run with that label).  They must be runs of the same
 * study: the same search space (equal as jsonb: the same parameter names,
 * types, bounds, log, step, choices and defaults, whatever the key order or
 * number spelling), the same objective, and the same options.fixed and
 * options.backtest.  Their ok iterations (those stored before the new run
 * started, so a resume sees the same ones) enter the new run's history before
 * its first iteration, as Optuna's "resume a study": they are not evaluated
 * again and not copied into the new run's trajectory.
 */
#ifndef PTOPT_PT_WARM_START_H
#define PTOPT_PT_WARM_START_H

#include "postgres.h"

#include "pt_run_store.h"

/*
 * Check options.warm_start_from of a new run (nothing when absent): 22023
 * when it is not a run_id or a label, names no visible run, or names a run of
 * another study.  objective is the canonical objective name the new run will
 * store.  Expects an SPI connection.
 */
extern void PtWarmStartCheck(const char *space_json, const char *options_json,
							 const char *objective);

/*
 * Call fn for each warm-start iteration of a stored run (status ok, source
 * warm_start, iter 0), in (run_id, iter) order; returns how many.  Expects an
 * SPI connection.
 */
extern int	PtWarmStartLoad(int64 run_id,
							void (*fn) (void *arg, const PtStoredIteration *it), void *arg);

#endif							/* PTOPT_PT_WARM_START_H */
