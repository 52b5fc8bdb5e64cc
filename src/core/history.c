/*
 * history.c — the trials of a run, kept in memory for the strategies.
 */
#include <math.h>
#include <string.h>

#include "history.h"
#include "pt_alloc.h"
#include "pt_error.h"

#define PT_HISTORY_INITIAL_CAP 64	/* trials allocated by the first append */

/* An empty history over a space. */
PtHistory *
PtHistoryCreate(const PtSpace *space, PtError *err)
{
	PtHistory  *history;

	if (space == NULL)
	{
		PtErrorSet(err, PT_ERR_INTERNAL, "history needs a space");
		return NULL;
	}
	history = PtCalloc(1, sizeof(PtHistory));
	if (history == NULL)
	{
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory creating the history");
		return NULL;
	}
	history->space = space;
	history->best = -1;
	return history;
}

/* Free what one trial copy holds. */
static void
trial_clear(PtTrial *trial)
{
	PtFree(trial->x);
	PtFree(trial->summary);
	PtFree(trial->reasoning);
}

/* Append a copy of a trial; updates best. */
int
PtHistoryAppend(PtHistory *history, const PtTrial *trial, PtError *err)
{
	PtTrial    *copy;
	int			n_params = history->space->n_params;

	if (history->n == history->cap)
	{
		int			newcap = history->cap == 0 ? PT_HISTORY_INITIAL_CAP : history->cap * 2;
		PtTrial    *nt = PtRealloc(history->trials, sizeof(PtTrial) * (size_t) newcap);

		if (nt == NULL)
			return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory growing the history");
		history->trials = nt;
		history->cap = newcap;
	}
	copy = &history->trials[history->n];
	*copy = *trial;
	copy->x = PtMalloc(sizeof(double) * (size_t) (n_params > 0 ? n_params : 1));
	copy->summary = trial->summary ? PtStrdup(trial->summary) : NULL;
	copy->reasoning = trial->reasoning ? PtStrdup(trial->reasoning) : NULL;
	if (copy->x == NULL || (trial->summary && copy->summary == NULL) ||
		(trial->reasoning && copy->reasoning == NULL))
	{
		trial_clear(copy);
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory copying a trial");
	}
	if (trial->x != NULL)
		memcpy(copy->x, trial->x, sizeof(double) * (size_t) n_params);
	else
		memset(copy->x, 0, sizeof(double) * (size_t) n_params);

	/* The best is the highest finite score; the earliest wins a tie. */
	if (copy->status == PT_TRIAL_OK && isfinite(copy->score) &&
		(history->best < 0 || copy->score > history->trials[history->best].score))
		history->best = history->n;
	history->n++;
	return PT_OK;
}

/*
 * Append a trial still in flight, as the constant-liar heuristic sees it: an
 * ok trial with the worst score (-inf), so a model counts the point as
 * taken and bad, and it is never the best.  PtHistoryTruncate removes it.
 */
int
PtHistoryAppendLiar(PtHistory *history, int iter, const double *x, PtSource source, PtError *err)
{
	PtTrial		liar = {0};

	liar.iter = iter;
	liar.x = (double *) x;
	liar.status = PT_TRIAL_OK;
	liar.score = -INFINITY;
	liar.source = source;
	return PtHistoryAppend(history, &liar, err);
}

/* Drop the trials after the first n (the liars of a batch once its outcomes are in). */
void
PtHistoryTruncate(PtHistory *history, int n)
{
	while (history->n > n)
		trial_clear(&history->trials[--history->n]);
	if (history->best >= history->n)
	{
		int			i;

		history->best = -1;
		for (i = 0; i < history->n; i++)
			if (history->trials[i].status == PT_TRIAL_OK && isfinite(history->trials[i].score) &&
				(history->best < 0 || history->trials[i].score > history->trials[history->best].score))
				history->best = i;
	}
}

/* Number of trials with status PT_TRIAL_OK. */
int
PtHistoryCountOk(const PtHistory *history)
{
	int			i;
	int			n = 0;

	if (history == NULL)
		return 0;
	for (i = 0; i < history->n; i++)
	{
		if (history->trials[i].status == PT_TRIAL_OK)
			n++;
	}
	return n;
}

/* Free a history and its copies. */
void
PtHistoryFree(PtHistory *history)
{
	int			i;

	if (history == NULL)
		return;
	for (i = 0; i < history->n; i++)
		trial_clear(&history->trials[i]);
	PtFree(history->trials);
	PtFree(history);
}

/* The lower-case name of a source. */
const char *
PtSourceName(PtSource source)
{
	switch (source)
	{
		case PT_SOURCE_RANDOM:
			return "random";
		case PT_SOURCE_TPE:
			return "tpe";
		case PT_SOURCE_LLM:
			return "llm";
		case PT_SOURCE_LLM_FALLBACK:
			return "llm_fallback";
		case PT_SOURCE_WARM_START:
			return "warm_start";
	}
	return "unknown";
}

/* The lower-case name of a trial status. */
const char *
PtTrialStatusName(PtTrialStatus status)
{
	switch (status)
	{
		case PT_TRIAL_OK:
			return "ok";
		case PT_TRIAL_REFUSED:
			return "refused";
		case PT_TRIAL_FAILED:
			return "failed";
	}
	return "unknown";
}
