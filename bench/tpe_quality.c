/*
 * tpe_quality.c — simple regret of ptopt's strategies on closed-form objectives.
 *
 * Usage: tpe_quality [n_seeds] [budget]
 * For Branin (x1 in [-5, 10], x2 in [0, 15], f* = 0.397887) and the
 * quadratic sum (v - 2)^2 over three parameters in [-10, 10] (f* = 0), runs
 * the "random" and "tpe" strategies (default options) for budget iterations
 * with seeds 0..n_seeds-1, the score being -f (ptopt maximises), and prints
 * one TSV line per run: "ptopt_c <strategy> <objective> <seed>" then the best
 * f - f* after 25, 50, 100 and 200 iterations (those within the budget).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "pt_alloc.h"
#include "strategy.h"

#define BRANIN_MIN 0.397887357729738

static const int checkpoints[] = {25, 50, 100, 200};

/* Branin-Hoo. */
static double
branin(const double *x)
{
	double		b = 5.1 / (4.0 * M_PI * M_PI);
	double		c = 5.0 / M_PI;
	double		t = 1.0 / (8.0 * M_PI);
	double		q = x[1] - b * x[0] * x[0] + c * x[0] - 6.0;

	return q * q + 10.0 * (1.0 - t) * cos(x[0]) + 10.0;
}

/* sum (v - 2)^2 over three parameters. */
static double
quadratic(const double *x)
{
	return (x[0] - 2) * (x[0] - 2) + (x[1] - 2) * (x[1] - 2) + (x[2] - 2) * (x[2] - 2);
}

/* One run; prints its line. */
static void
run(const char *strategy, const char *objective, uint64_t seed, int budget)
{
	PtParam		params[3];
	PtSpace		space = {0, params};
	PtError		err;
	PtHistory  *h;
	PtStrategy *st;
	double		(*f) (const double *);
	double		fstar;
	double		best = INFINITY;
	int			it;
	size_t		c = 0;

	memset(params, 0, sizeof(params));
	if (strcmp(objective, "branin") == 0)
	{
		params[0] = (PtParam) {.name = "x1", .type = PT_PARAM_FLOAT, .low = -5, .high = 10};
		params[1] = (PtParam) {.name = "x2", .type = PT_PARAM_FLOAT, .low = 0, .high = 15};
		space.n_params = 2;
		f = branin;
		fstar = BRANIN_MIN;
	}
	else
	{
		params[0] = (PtParam) {.name = "x", .type = PT_PARAM_FLOAT, .low = -10, .high = 10};
		params[1] = (PtParam) {.name = "y", .type = PT_PARAM_FLOAT, .low = -10, .high = 10};
		params[2] = (PtParam) {.name = "z", .type = PT_PARAM_FLOAT, .low = -10, .high = 10};
		space.n_params = 3;
		f = quadratic;
		fstar = 0.0;
	}
	h = PtHistoryCreate(&space, &err);
	st = PtStrategyCreateFromText(strategy, &space, seed, "{}", &err);
	if (h == NULL || st == NULL)
	{
		fprintf(stderr, "tpe_quality: %s\n", err.message);
		exit(1);
	}
	printf("ptopt_c\t%s\t%s\t%llu", strategy, objective, (unsigned long long) seed);
	for (it = 1; it <= budget; it++)
	{
		double		x[3];
		PtProposal	prop = {0};
		PtTrial		t = {0};
		double		v;

		prop.x = x;
		if (PtStrategyPropose(st, h, it, &prop, NULL, &err) != PT_OK)
		{
			fprintf(stderr, "tpe_quality: %s\n", err.message);
			exit(1);
		}
		PtFree(prop.reasoning);
		v = f(x);
		best = fmin(best, v);
		t.iter = it;
		t.x = x;
		t.score = -v;
		t.status = PT_TRIAL_OK;
		t.source = prop.source;
		if (PtHistoryAppend(h, &t, &err) != PT_OK)
		{
			fprintf(stderr, "tpe_quality: %s\n", err.message);
			exit(1);
		}
		if (c < sizeof(checkpoints) / sizeof(checkpoints[0]) && it == checkpoints[c])
		{
			printf("\t%.10g", best - fstar);
			c++;
		}
	}
	printf("\n");
	PtStrategyFree(st);
	PtHistoryFree(h);
}

/* Print the regret of ptopt random and TPE for the driver in tpe_bench.py. */
int
main(int argc, char **argv)
{
	static const char *const strategies[] = {"random", "tpe"};
	static const char *const objectives[] = {"branin", "quadratic"};
	int			n_seeds = argc > 1 ? atoi(argv[1]) : 20;
	int			budget = argc > 2 ? atoi(argv[2]) : 200;
	size_t		o;
	size_t		s;
	int			seed;

	for (o = 0; o < 2; o++)
		for (s = 0; s < 2; s++)
			for (seed = 0; seed < n_seeds; seed++)
				run(strategies[s], objectives[o], (uint64_t) seed, budget);
	return 0;
}
