/*
 * pt_run_scale.h — what external runs, options.cluster and options.warm_start_from add to
 * checking and starting a run (called from pt_run_start_sql.c and the run loop).
 */
#ifndef PTOPT_PT_RUN_SCALE_H
#define PTOPT_PT_RUN_SCALE_H

#include "postgres.h"

#include "run_plan.h"

/* A string member of an options object text (palloc'd), or NULL when absent or not a string. */
extern char *PtOptionsString(const char *options_json, const char *key);

/*
 * The canonical objective name to store for a plan: "external" as is; with
 * options.cluster, a name that is not built in as given (it is resolved on
 * the nodes); otherwise PtObjectiveResolve.  Raises 22023 for an external
 * run with a cluster, or a cluster that is not a string.
 */
extern char *PtRunResolveObjective(const PtRunPlan *plan);

/*
 * The checks that read the database: options.cluster (PL/Proxy installed,
 * the cluster defined) and options.warm_start_from (earlier runs of the same
 * study).  Opens its own SPI connection.
 */
extern void PtRunCheckScaleOptions(const char *space_json, const char *options_json,
								   const char *objective);

/* True when a visible run's objective is 'external' (expects an SPI connection). */
extern bool PtStoreRunIsExternal(int64 run_id);

#endif							/* PTOPT_PT_RUN_SCALE_H */
