/*
 * strategy.h — the search strategy vtable {init, propose, observe, free} and its registry.
 *
 * Every strategy (random, tpe, llm) is one entry; the run loop knows nothing
 * else about them.
 */
#ifndef PTOPT_STRATEGY_H
#define PTOPT_STRATEGY_H

#include <stdint.h>

#include "history.h"
#include "pt_error.h"
#include "pt_stop.h"
#include "rng.h"
#include "space.h"

typedef struct PtProposal
{
	double	   *x;				/* caller-allocated, n_params long */
	PtSource	source;
	char	   *reasoning;		/* PtMalloc'd or NULL; the caller frees */
	long		tokens_in;
	long		tokens_out;
} PtProposal;

struct json_object;
struct PtLlmSettings;

/* What a strategy is created from, once per run. */
typedef struct PtStrategyInit
{
	const PtSpace *space;		/* the search space; must outlive the strategy */
	uint64_t	seed;			/* the run seed */
	const struct json_object *options;	/* the run options, parsed once; may be NULL */
	const struct PtLlmSettings *llm;	/* connection settings from the glue; may be NULL */
} PtStrategyInit;

typedef struct PtStrategyOps
{
	const char *name;
	/* New state for a run; reads its own member of init->options (e.g. "tpe") once. */
	void	   *(*init) (const PtStrategyInit *init, PtError *err);

	/*
	 * Fill out->x (and source, reasoning) with the point of iteration iter
	 * (1-based).  The proposal depends only on (seed, iter, history): the
	 * randomness of iteration iter is drawn from a generator seeded by
	 * PtStrategyIterRng, so a resumed run or a parallel batch replays it.
	 */
	int			(*propose) (void *state, const PtHistory *history, int iter, PtProposal *out,
							const PtStop *stop, PtError *err);
	/* Told of each trial once it is in the history (may be NULL). */
	void		(*observe) (void *state, const PtHistory *history, const PtTrial *trial);
	/* Release the state. */
	void		(*free) (void *state);
} PtStrategyOps;

typedef struct PtStrategy
{
	const PtStrategyOps *ops;
	void	   *state;
} PtStrategy;

/* Create a strategy by name; NULL with err set (22023) for an unknown name. */
extern PtStrategy *PtStrategyCreate(const char *name, const PtStrategyInit *init, PtError *err);

/*
 * PtStrategyCreate from options given as JSON text (NULL or "" for none):
 * tests, benchmarks and fuzzers; the run loop passes the plan's parsed options.
 */
extern PtStrategy *PtStrategyCreateFromText(const char *name, const PtSpace *space, uint64_t seed,
											const char *options_json, PtError *err);

/* Ask for the point of iteration iter (1-based). */
extern int	PtStrategyPropose(PtStrategy *strategy, const PtHistory *history, int iter,
							  PtProposal *out, const PtStop *stop, PtError *err);

/* Seed rng for iteration iter of a run with this seed (the only randomness a proposal may use). */
extern void PtStrategyIterRng(PtRng *rng, uint64_t seed, int iter);

/* Tell the strategy about a trial just appended. */
extern void PtStrategyObserve(PtStrategy *strategy, const PtHistory *history,
							  const PtTrial *trial);

/* Free a strategy (NULL is fine). */
extern void PtStrategyFree(PtStrategy *strategy);

/* True when name is a registered strategy. */
extern bool PtStrategyExists(const char *name);

/* The registered names, comma-separated, for error hints. */
extern const char *PtStrategyNameList(void);

/* The random-search entry (random_search.c). */
extern const PtStrategyOps PtRandomStrategy;

/* The TPE entry (tpe.c). */
extern const PtStrategyOps PtTpeStrategy;

/* Draw one uniformly random point of the space (used by random and by TPE's start-up). */
extern void PtSampleUniformPoint(const PtSpace *space, PtRng *rng, double *x);

#endif							/* PTOPT_STRATEGY_H */
