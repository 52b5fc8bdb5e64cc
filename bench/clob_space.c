/*
 * clob_space.c — how much of the default search space is dead.
 *
 * Usage: clob_space [draws] [options_json]
 *
 * Draws `draws` points uniformly over the tunable parameters (log scale
 * where the table says so, ints and bools uniform over their values, the
 * same law as ptopt_default_space() under random search) from a fixed seed,
 * runs each on the training worlds of one session, and reports the share of
 * draws that end with zero maker fills over every training world ("dead"),
 * the share scoring exactly 0, and score quantiles.  Reports numbers;
 * asserts nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "clob.h"
#include "clob_internal.h"
#include "pt_alloc.h"
#include "rng.h"

#include "clob_draw.h"

#define DEFAULT_DRAWS 300
#define SPACE_SEED 42

/* Ascending doubles. */
static int
cmp_d(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* Draw points, run them, report the dead share and score quantiles. */
int
main(int argc, char **argv)
{
	int			draws = argc > 1 ? atoi(argv[1]) : DEFAULT_DRAWS;
	const char *options = argc > 2 ? argv[2] : NULL;
	int			n;
	const ClobParamInfo *info = ClobTunableParams(&n);
	double		values[CLOB_N_PARAMS];
	double	   *scores;
	PtError		err;
	PtRng		rng;
	ClobSession *s;
	int			dead = 0;
	int			zero = 0;
	int			positive = 0;
	int			i;
	int			k;

	if (draws < 1)
		draws = DEFAULT_DRAWS;
	s = ClobSessionCreate(options, NULL, &err);
	if (s == NULL)
	{
		fprintf(stderr, "clob_space: %s\n", err.message);
		return 1;
	}
	scores = malloc(sizeof(double) * (size_t) draws);
	PtRngSeed(&rng, SPACE_SEED);
	for (i = 0; i < draws; i++)
	{
		ClobResult	res;
		const ClobSeedMetrics *m;
		int			n_train;
		int64_t		fills = 0;

		for (k = 0; k < n; k++)
			values[k] = ClobBenchDraw(&rng, &info[k]);
		if (ClobSessionRunValues(s, values, NULL, &res, &err) != PT_OK)
		{
			fprintf(stderr, "clob_space: %s\n", err.message);
			return 1;
		}
		(void) ClobSessionSeedMetrics(s, &m, &n_train);
		for (k = 0; k < n_train; k++)
			fills += m[k].fills_maker;
		dead += fills == 0;
		zero += res.score == 0.0;
		positive += res.score > 0.0;
		scores[i] = res.score;
		ClobResultClear(&res);
	}
	qsort(scores, (size_t) draws, sizeof(double), cmp_d);
	printf("draws %d  dead (no maker fill in any training world) %d = %.1f%%  score exactly 0: %.1f%%  "
		   "score > 0: %.1f%%\n", draws, dead, 100.0 * dead / draws, 100.0 * zero / draws,
		   100.0 * positive / draws);
	printf("score quantiles: min %.4f  10%% %.4f  median %.4f  90%% %.4f  max %.4f\n",
		   scores[0], scores[draws / 10], scores[draws / 2], scores[draws * 9 / 10], scores[draws - 1]);
	free(scores);
	ClobSessionFree(s);
	return 0;
}
