/*
 * history.h — the trials of a run, kept in memory for the strategies.
 *
 * The run loop appends one trial per iteration; strategies read it and never
 * re-read the database, so a suggestion costs no I/O.
 */
#ifndef PTOPT_HISTORY_H
#define PTOPT_HISTORY_H

#include <stdbool.h>

#include "pt_error.h"
#include "space.h"

typedef enum PtSource
{
	PT_SOURCE_RANDOM,
	PT_SOURCE_TPE,
	PT_SOURCE_LLM,
	PT_SOURCE_LLM_FALLBACK,
	PT_SOURCE_WARM_START
} PtSource;

typedef enum PtTrialStatus
{
	PT_TRIAL_OK,
	PT_TRIAL_REFUSED,
	PT_TRIAL_FAILED
} PtTrialStatus;

typedef struct PtTrial
{
	int			iter;			/* 1-based */
	double	   *x;				/* n_params values (choice index for categorical) */
	double		score;			/* meaningful when status is PT_TRIAL_OK */
	PtTrialStatus status;
	PtSource	source;
	char	   *summary;		/* report summary line, or NULL */
	char	   *reasoning;		/* or NULL */
} PtTrial;

typedef struct PtHistory
{
	const PtSpace *space;
	int			n;
	int			cap;
	PtTrial    *trials;
	int			best;			/* index of the best ok trial, -1 while none */
} PtHistory;

/* An empty history over a space (the space must outlive it). */
extern PtHistory *PtHistoryCreate(const PtSpace *space, PtError *err);

/* Append a copy of a trial (x, summary and reasoning are copied); updates best. */
extern int	PtHistoryAppend(PtHistory *history, const PtTrial *trial, PtError *err);

/*
 * Append a trial in flight for the constant-liar heuristic (parallel trials):
 * status ok with score -inf, never the best.  Remove it with PtHistoryTruncate.
 */
extern int	PtHistoryAppendLiar(PtHistory *history, int iter, const double *x, PtSource source,
								PtError *err);

/* Drop every trial after the first n. */
extern void PtHistoryTruncate(PtHistory *history, int n);

/* Number of trials with status PT_TRIAL_OK. */
extern int	PtHistoryCountOk(const PtHistory *history);

/* Free a history and its copies (NULL is fine). */
extern void PtHistoryFree(PtHistory *history);

/* "random", "tpe", "llm", "llm_fallback", "warm_start". */
extern const char *PtSourceName(PtSource source);

/* "ok", "refused", "failed". */
extern const char *PtTrialStatusName(PtTrialStatus status);

#endif							/* PTOPT_HISTORY_H */
