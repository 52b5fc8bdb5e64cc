/*
 * tpe_history.c — what the shape of the history costs a TPE suggestion.
 *
 * Usage: tpe_history <params> <trials>
 * Builds two histories of n trials over d floats in [-5, 5] scored by
 * -sum (v - 2)^2 (the quadratic objective): one of uniform random points
 * (what tpe_speed and the Optuna side time) and one of TPE's own proposals
 * (what a real search, and so the in-database column, has: points crowd
 * around the optimum).  Prints the CPU time per suggestion for each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "history.h"
#include "pt_alloc.h"
#include "strategy.h"

#define HISTORY_MAX_PARAMS 6
#define HISTORY_MIN_SECONDS 1.0

/* CPU seconds used by this process. */
static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Grow a history of n trials proposed by strategy name; returns it. */
static PtHistory *
grow_history(const PtSpace *space, const char *name, int n)
{
	PtError		err;
	PtHistory  *h = PtHistoryCreate(space, &err);
	PtStrategy *st = PtStrategyCreateFromText(name, space, 1, "{}", &err);
	double		x[HISTORY_MAX_PARAMS];
	PtProposal	prop = {0};
	int			i;
	int			j;

	prop.x = x;
	for (i = 0; i < n; i++)
	{
		PtTrial		t = {0};

		PtStrategyPropose(st, h, i + 1, &prop, NULL, &err);
		PtFree(prop.reasoning);
		prop.reasoning = NULL;
		t.iter = i + 1;
		t.x = x;
		t.status = PT_TRIAL_OK;
		t.source = PT_SOURCE_TPE;
		for (j = 0; j < space->n_params; j++)
			t.score -= (x[j] - 2) * (x[j] - 2);
		PtHistoryAppend(h, &t, &err);
		PtStrategyObserve(st, h, &h->trials[h->n - 1]);
	}
	PtStrategyFree(st);
	return h;
}

/* CPU ms per TPE suggestion on a given history. */
static double
time_suggestion(const PtSpace *space, PtHistory *h)
{
	PtError		err;
	PtStrategy *st = PtStrategyCreateFromText("tpe", space, 2, "{}", &err);
	double		x[HISTORY_MAX_PARAMS];
	PtProposal	prop = {0};
	double		t0;
	int			reps = 0;
	int			i;

	prop.x = x;
	for (i = 0; i < h->n; i++)
		PtStrategyObserve(st, h, &h->trials[i]);
	t0 = cpu_now();
	while (cpu_now() - t0 < HISTORY_MIN_SECONDS)
	{
		PtStrategyPropose(st, h, h->n + 1, &prop, NULL, &err);
		PtFree(prop.reasoning);
		prop.reasoning = NULL;
		reps++;
	}
	PtStrategyFree(st);
	return (cpu_now() - t0) * 1000.0 / reps;
}

/* Print the time per suggestion on a uniform and on a TPE-grown history. */
int
main(int argc, char **argv)
{
	int			d = argc > 1 ? atoi(argv[1]) : 2;
	int			n = argc > 2 ? atoi(argv[2]) : 1000;
	PtParam		params[HISTORY_MAX_PARAMS];
	PtSpace		space = {d, params};
	char		names[HISTORY_MAX_PARAMS][8];
	PtHistory  *uniform;
	PtHistory  *grown;
	int			j;

	if (d < 1 || d > HISTORY_MAX_PARAMS || n < 1)
	{
		fprintf(stderr, "usage: tpe_history <params 1..%d> <trials>\n", HISTORY_MAX_PARAMS);
		return 2;
	}
	memset(params, 0, sizeof(params));
	for (j = 0; j < d; j++)
	{
		snprintf(names[j], sizeof(names[j]), "x%d", j);
		params[j].name = names[j];
		params[j].type = PT_PARAM_FLOAT;
		params[j].low = -5;
		params[j].high = 5;
	}
	uniform = grow_history(&space, "random", n);
	grown = grow_history(&space, "tpe", n);
	printf("params %d, trials %d: uniform history %.3f ms, TPE-grown history %.3f ms per suggestion\n",
		   d, n, time_suggestion(&space, uniform), time_suggestion(&space, grown));
	PtHistoryFree(uniform);
	PtHistoryFree(grown);
	return 0;
}
