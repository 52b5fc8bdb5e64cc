/*
 * llm_prompt.h — the prompt of the LLM strategies (docs/architecture.md, "LLM strategies").
 *
 * System: what the backtest is, what the score rewards, the hard-gate rule.
 * User: the space, one JSON object per parameter (with its description);
 * then the history — the best k and the latest k iterations in full (params,
 * score, a compact report line, the reasoning), the rest summarised — then,
 * for llm_tpe, TPE's ranked candidates, and the answer format.
 *
 * Training results only: every report line and reasoning goes through the
 * held-out filter (llm_text.h), and a prompt that still mentions a held-out
 * result is refused, never sent.  The user text never exceeds
 * PT_LLM_PROMPT_MAX_BYTES: history entries are moved to the summary until it
 * fits.
 */
#ifndef PTOPT_LLM_PROMPT_H
#define PTOPT_LLM_PROMPT_H

#include "history.h"
#include "pt_error.h"
#include "space.h"

#define PT_LLM_PROMPT_MAX_BYTES 32768	/* cap on the user text of one prompt */
#define PT_LLM_DEFAULT_HISTORY 10		/* best k and latest k in full */
#define PT_LLM_MAX_HISTORY 20			/* largest k (OPRO kept at most 20 pairs) */
#define PT_LLM_REPORT_LINE_MAX 560		/* bytes of one report line in a prompt */
#define PT_LLM_REASONING_LINE_MAX 240	/* bytes of one earlier reasoning in a prompt */
#define PT_LLM_DESCRIPTION_MAX 200		/* bytes of one parameter description */
#define PT_LLM_MAX_CANDIDATES 8			/* proposals asked for in one call */

typedef struct PtLlmPromptInput
{
	const PtSpace *space;
	const PtHistory *history;	/* may be NULL or empty */
	const char *objective;		/* objective name; NULL = the CLOB backtest */
	int			iter;			/* the iteration being proposed (1-based) */
	int			history_k;		/* 0 = PT_LLM_DEFAULT_HISTORY */
	int			candidates;		/* proposals wanted (1..PT_LLM_MAX_CANDIDATES) */
	const double *tpe_points;	/* llm_tpe: n_tpe points, best-ranked first; else NULL */
	int			n_tpe;
	const char *note;			/* a note for this ask (a repeat), or NULL */
} PtLlmPromptInput;

typedef struct PtLlmPrompt
{
	char	   *system;			/* PtMalloc'd */
	char	   *user;			/* PtMalloc'd, at most PT_LLM_PROMPT_MAX_BYTES */
	int			n_full;			/* iterations shown in full */
	int			n_summarised;	/* iterations in the summary line */
} PtLlmPrompt;

/* Build the prompt; PT_ERR_LLM_CONFIG when even the space alone exceeds the cap. */
extern int	PtLlmPromptBuild(const PtLlmPromptInput *in, PtLlmPrompt *out, PtError *err);

/* Free a prompt's texts. */
extern void PtLlmPromptFree(PtLlmPrompt *prompt);

/* Append one point as a JSON object (params in space order) to buf; false when out of memory. */
struct PtBuf;
extern bool PtLlmAppendPoint(struct PtBuf *buf, const PtSpace *space, const double *x);

#endif							/* PTOPT_LLM_PROMPT_H */
