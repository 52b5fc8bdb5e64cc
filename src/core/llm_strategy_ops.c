/*
 * llm_strategy_ops.c — the vtable entries "llm" and "llm_tpe" (llm_strategy.c does the work).
 */
#include "llm_strategy.h"

/* init of "llm". */
static void *
llm_init(const PtStrategyInit *init, PtError *err)
{
	return LlmStrategyInit(init, false, err);
}

/* init of "llm_tpe". */
static void *
llm_tpe_init(const PtStrategyInit *init, PtError *err)
{
	return LlmStrategyInit(init, true, err);
}

const PtStrategyOps PtLlmStrategy = {
	.name = "llm",
	.init = llm_init,
	.propose = LlmStrategyPropose,
	.observe = NULL,
	.free = LlmStrategyFree,
};

const PtStrategyOps PtLlmTpeStrategy = {
	.name = "llm_tpe",
	.init = llm_tpe_init,
	.propose = LlmStrategyPropose,
	.observe = NULL,
	.free = LlmStrategyFree,
};
