/*
 * llm_strategy.h — the LLM strategies "llm" and "llm_tpe", written against
 * PtStrategyInit and a propose that is told the iteration number.
 *
 * llm: each call asks the model for options.llm.candidates points (used one
 * by one, so fewer calls); llm_tpe: TPE draws its candidates and ranks them
 * by l/g, the model sees the top options.llm.tpe_candidates and picks one or
 * proposes its own.  Both: a gated proposal comes back refused (the run loop
 * stores it as a refused iteration); a repeat of an evaluated point is asked
 * again once with a note; when the model fails (after the client's retries)
 * or its answer is unusable, TPE proposes the point (source llm_fallback,
 * the failure in the reasoning), so every iteration ends with valid params.
 * Only a cancel (PT_ERR_CANCELLED) and out of memory end a proposal with an
 * error.
 */
#ifndef PTOPT_LLM_STRATEGY_H
#define PTOPT_LLM_STRATEGY_H

#include <stdbool.h>

#include "history.h"
#include "llm_settings.h"
#include "pt_error.h"
#include "pt_stop.h"
#include "strategy.h"

#define PT_LLM_DEFAULT_TEMPERATURE 0.7
#define PT_LLM_DEFAULT_TPE_CANDIDATES 5		/* llm_tpe: ranked TPE points shown */
#define PT_LLM_MAX_TPE_CANDIDATES 10
#define PT_LLM_PROPOSAL_REASONING_MAX 3000	/* bytes of a stored reasoning */

/* options.llm, read once. */
typedef struct PtLlmOptions
{
	char		model[256];		/* "" = ptopt.llm_model */
	double		temperature;	/* 0..2 */
	int			history;		/* best k and latest k in full (1..PT_LLM_MAX_HISTORY) */
	int			candidates;		/* points per call (1..PT_LLM_MAX_CANDIDATES) */
	int			tpe_candidates; /* llm_tpe: TPE points shown (1..PT_LLM_MAX_TPE_CANDIDATES) */
} PtLlmOptions;

/*
 * Read options.llm (options may be NULL) into opt, from the defaults.
 * Unknown keys and bad values give PT_ERR_INVALID_PARAMETER.
 */
extern int	PtLlmOptionsParse(const struct json_object *options, PtLlmOptions *opt, PtError *err);

/*
 * New state.  hybrid selects llm_tpe.  PT_ERR_LLM_CONFIG when init->llm is
 * NULL or names no endpoint (the run is refused before it starts).
 */
extern void *LlmStrategyInit(const PtStrategyInit *init, bool hybrid, PtError *err);

/* Propose the point of iteration iter (1-based). */
extern int	LlmStrategyPropose(void *state, const PtHistory *history, int iter, PtProposal *out,
							   const PtStop *stop, PtError *err);

/* Release the state. */
extern void LlmStrategyFree(void *state);

#endif							/* PTOPT_LLM_STRATEGY_H */
