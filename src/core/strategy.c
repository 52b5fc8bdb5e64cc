/*
 * strategy.c — the registry of search strategies and the calls through their vtable.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "pt_alloc.h"
#include "pt_error.h"
#include "strategy.h"

#define PT_STRATEGY_NAMES_MAX 256	/* bytes of the comma-separated name list */

/*
 * Every registered strategy.  To add one, declare its ops in strategy.h and
 * list it here; nothing else in core or the glue changes.
 */
static const PtStrategyOps *const strategy_registry[] = {
	&PtRandomStrategy,
	&PtTpeStrategy,
	/* LLM: add &PtLlmStrategy here. */
};

#define PT_N_STRATEGIES ((int) (sizeof(strategy_registry) / sizeof(strategy_registry[0])))

/* The registered ops of a name, or NULL. */
static const PtStrategyOps *
strategy_lookup(const char *name)
{
	int			i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < PT_N_STRATEGIES; i++)
	{
		if (strcmp(strategy_registry[i]->name, name) == 0)
			return strategy_registry[i];
	}
	return NULL;
}

/* True when name is a registered strategy. */
bool
PtStrategyExists(const char *name)
{
	return strategy_lookup(name) != NULL;
}

/* The registered names, comma-separated ("random, tpe"). */
const char *
PtStrategyNameList(void)
{
	static char names[PT_STRATEGY_NAMES_MAX];
	size_t		len = 0;
	int			i;

	names[0] = '\0';
	for (i = 0; i < PT_N_STRATEGIES && len < sizeof(names); i++)
		len += snprintf(names + len, sizeof(names) - len, "%s%s", i > 0 ? ", " : "",
						strategy_registry[i]->name);
	return names;
}

/* Create a strategy by name. */
PtStrategy *
PtStrategyCreate(const char *name, const PtStrategyInit *init, PtError *err)
{
	const PtStrategyOps *ops = strategy_lookup(name);
	PtStrategy *strategy;
	PtError		local;

	if (err == NULL)
		err = &local;
	PtErrorClear(err);
	if (ops == NULL)
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "unknown strategy \"%.*s\"",
				   PT_ERROR_MESSAGE_MAX / 2, name ? name : "(null)");
		PtErrorHint(err, "Known strategies: %s.", PtStrategyNameList());
		return NULL;
	}
	strategy = PtCalloc(1, sizeof(PtStrategy));
	if (strategy == NULL)
	{
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory creating strategy \"%s\"", ops->name);
		return NULL;
	}
	strategy->ops = ops;
	if (ops->init != NULL)
	{
		strategy->state = ops->init(init, err);
		if (err->code != PT_OK)
		{
			if (strategy->state != NULL && ops->free != NULL)
				ops->free(strategy->state);
			PtFree(strategy);
			return NULL;
		}
	}
	return strategy;
}

/* PtStrategyCreate from options given as JSON text. */
PtStrategy *
PtStrategyCreateFromText(const char *name, const PtSpace *space, uint64_t seed,
						 const char *options_json, PtError *err)
{
	PtStrategyInit init = {space, seed, NULL, NULL};
	struct json_object *opts = NULL;
	PtStrategy *strategy;
	PtError		local;

	if (err == NULL)
		err = &local;
	PtErrorClear(err);
	if (options_json != NULL && options_json[strspn(options_json, " \t\r\n")] != '\0')
	{
		enum json_tokener_error jerr;

		opts = json_tokener_parse_verbose(options_json, &jerr);
		if (jerr != json_tokener_success)
		{
			PtErrorSet(err, PT_ERR_INVALID_TEXT, "options are not valid JSON");
			PtErrorDetail(err, "%s.", json_tokener_error_desc(jerr));
			return NULL;
		}
	}
	init.options = opts;
	strategy = PtStrategyCreate(name, &init, err);
	json_object_put(opts);
	return strategy;
}

/* Seed rng for iteration iter of a run with this seed. */
void
PtStrategyIterRng(PtRng *rng, uint64_t seed, int iter)
{
	PtRngSeed(rng, PtRngDerive(seed, (uint64_t) iter));
}

/* Ask for the point of iteration iter. */
int
PtStrategyPropose(PtStrategy *strategy, const PtHistory *history, int iter,
				  PtProposal *out, const PtStop *stop, PtError *err)
{
	PtErrorClear(err);
	out->reasoning = NULL;
	out->tokens_in = 0;
	out->tokens_out = 0;
	if (PtStopRequested(stop))
		return PtErrorSet(err, PT_ERR_CANCELLED, "canceling the search");
	return strategy->ops->propose(strategy->state, history, iter, out, stop, err);
}

/* Tell the strategy about a trial just appended. */
void
PtStrategyObserve(PtStrategy *strategy, const PtHistory *history,
				  const PtTrial *trial)
{
	if (strategy->ops->observe != NULL)
		strategy->ops->observe(strategy->state, history, trial);
}

/* Free a strategy. */
void
PtStrategyFree(PtStrategy *strategy)
{
	if (strategy == NULL)
		return;
	if (strategy->ops->free != NULL)
		strategy->ops->free(strategy->state);
	PtFree(strategy);
}
