/*
 * clob_gap.c — overfitting of a search on the backtest: the best training
 * score against its held-out score.
 *
 * Usage: clob_gap [runs] [budget] [options_json]
 *
 * For the strategies random and tpe (default options) over the default
 * space (every tunable parameter at its full range, as ptopt_default_space()
 * builds it), `runs` searches of `budget` trials each with seeds 0..runs-1.
 * Each search scores its trials on the training worlds only
 * (ClobSessionRunValues, what the run loop does) and, at the end, scores
 * its best point on held-out worlds derived from its seed
 * (ClobSessionSetRunSeed + ClobSessionRunHoldout).  Prints per strategy the
 * mean best training score, the mean held-out score of that point, and the
 * gap.  Reports numbers; asserts nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clob.h"
#include "clob_internal.h"
#include "history.h"
#include "pt_alloc.h"
#include "space.h"
#include "strategy.h"

/* One search; its best training score and that point's held-out score. */
static int
search(const char *strategy, const PtSpace *space, uint64_t seed, int budget, const char *options,
	   double *best_train, double *best_holdout)
{
	PtError		err;
	ClobSession *s = ClobSessionCreate(options, NULL, &err);
	PtHistory  *h = PtHistoryCreate(space, &err);
	PtStrategy *st = PtStrategyCreateFromText(strategy, space, seed, "{}", &err);
	double	   *x = calloc((size_t) space->n_params, sizeof(double));
	double		values[CLOB_N_PARAMS];
	double		best_values[CLOB_N_PARAMS];
	double		se;
	int			it;

	if (s == NULL || h == NULL || st == NULL)
	{
		fprintf(stderr, "clob_gap: %s\n", err.message);
		exit(1);
	}
	*best_train = -INFINITY;
	ClobSessionSetRunSeed(s, seed);
	for (it = 1; it <= budget; it++)
	{
		PtProposal	prop = {.x = x, .source = PT_SOURCE_RANDOM};
		PtTrial		t;
		ClobResult	res;
		char	   *json;

		if (PtStrategyPropose(st, h, it, &prop, NULL, &err) != PT_OK)
		{
			fprintf(stderr, "clob_gap: %s\n", err.message);
			exit(1);
		}
		PtFree(prop.reasoning);
		json = PtSpacePointToJson(space, x, &err);
		if (json == NULL || ClobParamsParse(json, values, &err) != PT_OK ||
			ClobSessionRunValues(s, values, NULL, &res, &err) != PT_OK)
		{
			fprintf(stderr, "clob_gap: %s\n", err.message);
			exit(1);
		}
		PtFree(json);
		memset(&t, 0, sizeof(t));
		t.iter = it;
		t.x = x;
		t.score = res.score;
		t.status = PT_TRIAL_OK;
		t.source = prop.source;
		ClobResultClear(&res);
		if (PtHistoryAppend(h, &t, &err) != PT_OK)
			exit(1);
		PtStrategyObserve(st, h, &h->trials[h->n - 1]);
		if (t.score > *best_train)
		{
			*best_train = t.score;
			memcpy(best_values, values, sizeof(values));
		}
	}
	if (ClobSessionRunHoldout(s, best_values, NULL, best_holdout, &se, &err) != PT_OK)
	{
		fprintf(stderr, "clob_gap: %s\n", err.message);
		exit(1);
	}
	free(x);
	PtStrategyFree(st);
	PtHistoryFree(h);
	ClobSessionFree(s);
	return 0;
}

/* Random and TPE, runs seeds each; mean best training score, its held-out score, the gap. */
int
main(int argc, char **argv)
{
	int			runs = argc > 1 ? atoi(argv[1]) : 10;
	int			budget = argc > 2 ? atoi(argv[2]) : 100;
	const char *options = argc > 3 ? argv[3] : NULL;
	static const char *const strategies[] = {"random", "tpe"};
	char	   *space_json = ClobDefaultSpaceJson(false, false);
	PtError		err;
	PtSpace    *space = PtSpaceParse(space_json, &err);
	int			k;

	if (space == NULL)
	{
		fprintf(stderr, "clob_gap: %s\n", err.message);
		return 1;
	}
	printf("# clob_gap: %d searches of %d trials per strategy, default space, options %s\n", runs, budget,
		   options ? options : "(default)");
	for (k = 0; k < 2; k++)
	{
		double		tr = 0;
		double		ho = 0;
		double		gap2 = 0;
		int			r;

		for (r = 0; r < runs; r++)
		{
			double		t;
			double		h;

			search(strategies[k], space, (uint64_t) r, budget, options, &t, &h);
			printf("%-6s seed %2d  best training %.4f  its held-out %.4f  gap %.4f\n", strategies[k], r, t, h,
				   t - h);
			tr += t / runs;
			ho += h / runs;
			gap2 += (t - h) * (t - h) / runs;
		}
		printf("%-6s mean best training %.4f  mean held-out of that point %.4f  mean gap %.4f\n",
			   strategies[k], tr, ho, tr - ho);
	}
	PtSpaceFree(space);
	PtFree(space_json);
	return PtAllocLive() == 0 ? 0 : 1;
}
