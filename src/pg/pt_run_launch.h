/*
 * pt_run_launch.h — starting a run worker and following it from the calling backend.
 */
#ifndef PTOPT_PT_RUN_LAUNCH_H
#define PTOPT_PT_RUN_LAUNCH_H

#include "postgres.h"

#include "pt_run_shared.h"

/* What a worker is asked to do: a new run, or the resume of a stored one. */
typedef struct PtRunRequest
{
	const char *space;
	const char *strategy;
	const char *options;
	const char *objective;		/* canonical objective name */
	int			budget;
	int64		seed;
	bool		background;		/* ptopt_start: the run outlives the caller */
	int64		resume_run_id;	/* 0 for a new run */
	int			extra_budget;
} PtRunRequest;

typedef struct PtLaunched PtLaunched;

/*
 * Create the segment and start the worker; raises 53000 when no worker slot
 * or segment is free.  Until PtLaunchRelease, the caller's exit (even FATAL)
 * or an error while waiting stops the worker.
 */
extern PtLaunched *PtLaunchRun(const PtRunRequest *request);

/*
 * Wait for the worker, relaying its NOTICEs: until it has published its
 * run_id (until_end false) or until it has ended (true).  Raises the worker's
 * error, whole, when it failed; a cancel here stops the worker.
 */
extern void PtLaunchWait(PtLaunched *launched, bool until_end);

/* The run_id the worker published (0 when it published none). */
extern int64 PtLaunchRunId(PtLaunched *launched);

/* The worker's phase. */
extern PtRunPhase PtLaunchPhase(PtLaunched *launched);

/* Stop following the worker and detach; a background run goes on. */
extern void PtLaunchRelease(PtLaunched *launched);

#endif							/* PTOPT_PT_RUN_LAUNCH_H */
