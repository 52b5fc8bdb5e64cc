/*
 * llm_strategy_ops.c — the vtable entries "llm" and "llm_tpe".
 *
 * A thin bridge from the current vtable (init with options text, propose
 * without the iteration) to LlmStrategyInit/LlmStrategyPropose, which are
 * written against PtStrategyInit.  When the core branch's vtable lands,
 * these become direct entries and PtLlmSettingsSource goes away.
 */
#include <json-c/json.h>

#include "llm_strategy.h"
#include "pt_alloc.h"
#include "space.h"

/* Build a PtStrategyInit from the old-shape arguments and create the state. */
static void *
bridge_init(const PtSpace *space, uint64_t seed, const char *options_json, bool hybrid, PtError *err)
{
	PtStrategyInit init;
	json_object *options = NULL;
	void	   *state;

	/* first: the glue's source may raise (a role outside ptopt_llm_user) and nothing is held yet */
	init.llm = PtLlmSettingsSource != NULL ? PtLlmSettingsSource() : NULL;
	if (options_json != NULL && options_json[0] != '\0')
	{
		options = PtJsonParse(options_json, "the run options", err);
		if (options == NULL)
			return NULL;
	}
	init.space = space;
	init.seed = seed;
	init.options = options;
	state = LlmStrategyInit(&init, hybrid, err);
	json_object_put(options);
	return state;
}

/* init of "llm". */
static void *
llm_init(const PtSpace *space, uint64_t seed, const char *options_json, PtError *err)
{
	return bridge_init(space, seed, options_json, false, err);
}

/* init of "llm_tpe". */
static void *
llm_tpe_init(const PtSpace *space, uint64_t seed, const char *options_json, PtError *err)
{
	return bridge_init(space, seed, options_json, true, err);
}

/* propose: the iteration is the next one after the history. */
static int
llm_propose(void *state, const PtHistory *history, PtProposal *out, const PtStop *stop, PtError *err)
{
	return LlmStrategyPropose(state, history, (history != NULL ? history->n : 0) + 1, out, stop, err);
}

const PtStrategyOps PtLlmStrategy = {
	.name = "llm",
	.init = llm_init,
	.propose = llm_propose,
	.observe = NULL,
	.free = LlmStrategyFree,
};

const PtStrategyOps PtLlmTpeStrategy = {
	.name = "llm_tpe",
	.init = llm_tpe_init,
	.propose = llm_propose,
	.observe = NULL,
	.free = LlmStrategyFree,
};
