/*
 * random_search.c — uniform random search, and the uniform sampler TPE starts with.
 *
 * Distributions (as Optuna's RandomSampler): float uniform on [low, high];
 * log float uniform in log space; stepped float and int uniform over the
 * grid low + k*step, k = 0..K; log int uniform in
 * [ln(low - 0.5), ln(high + 0.5)], rounded and clipped; categorical and
 * bool a uniform index.
 */
#include <math.h>

#include "pt_alloc.h"
#include "pt_error.h"
#include "strategy.h"

/* State of a random search: the space and the run seed. */
typedef struct RandomState
{
	const PtSpace *space;
	uint64_t	seed;
} RandomState;

/* Draw one value of one parameter. */
static double
sample_param(const PtParam *p, PtRng *rng)
{
	double		v;

	switch (p->type)
	{
		case PT_PARAM_CATEGORICAL:
		case PT_PARAM_BOOL:
			return (double) PtRngBelow(rng, (uint64_t) p->n_choices);
		case PT_PARAM_INT:
			if (p->log)
			{
				double		lo = log(p->low - 0.5);
				double		hi = log(p->high + 0.5);

				v = rint(exp(lo + PtRngUniform(rng) * (hi - lo)));
				return fmin(fmax(v, p->low), p->high);
			}
			/* FALLTHROUGH */
		case PT_PARAM_FLOAT:
			if (p->step > 0)
			{
				double		k = (double) PtRngBelow(rng, (uint64_t) PtParamGridSteps(p) + 1);

				return PtParamGridValue(p, k);
			}
			if (p->log)
			{
				double		lo = log(p->low);
				double		hi = log(p->high);

				v = exp(lo + PtRngUniform(rng) * (hi - lo));
			}
			else
				v = p->low + PtRngUniform(rng) * (p->high - p->low);
			return fmin(fmax(v, p->low), p->high);
	}
	return p->low;
}

/* Draw one uniformly random point of the space. */
void
PtSampleUniformPoint(const PtSpace *space, PtRng *rng, double *x)
{
	int			i;

	for (i = 0; i < space->n_params; i++)
		x[i] = sample_param(&space->params[i], rng);
}

/* New random-search state for a run. */
static void *
random_init(const PtStrategyInit *init, PtError *err)
{
	RandomState *st = PtCalloc(1, sizeof(RandomState));

	if (st == NULL)
	{
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory creating the random search");
		return NULL;
	}
	st->space = init->space;
	st->seed = init->seed;
	return st;
}

/* Propose the uniformly random point of iteration iter (a function of seed and iter alone). */
static int
random_propose(void *state, const PtHistory *history, int iter, PtProposal *out,
			   const PtStop *stop, PtError *err)
{
	RandomState *st = state;
	PtRng		rng;

	PtStrategyIterRng(&rng, st->seed, iter);
	PtSampleUniformPoint(st->space, &rng, out->x);
	out->source = PT_SOURCE_RANDOM;
	out->reasoning = NULL;
	return PT_OK;
}

/* Release the state. */
static void
random_free(void *state)
{
	PtFree(state);
}

const PtStrategyOps PtRandomStrategy = {
	.name = "random",
	.init = random_init,
	.propose = random_propose,
	.observe = NULL,
	.free = random_free,
};
