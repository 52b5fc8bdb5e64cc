/*
 * tpe_speed.c — time per TPE suggestion on a synthetic in-memory history.
 *
 * Usage: tpe_speed [min_seconds] [options_json] [params] [trials]
 * (params and trials pick a single case, for profiling.)
 * For 2 and 6 float parameters in [0, 1] and histories of 100, 1,000 and
 * 10,000 ok trials (uniform points, score -sum (v - 0.3)^2), calls the "tpe"
 * strategy's propose directly, as the run loop does, repeating until
 * min_seconds (default 0.5) of CPU time have been used.  The history does not grow while
 * timing, so every call sees exactly n trials.  Prints one TSV line per
 * case: "ptopt_c <params> <trials> <CPU ms per suggestion> <repetitions>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "history.h"
#include "pt_alloc.h"
#include "rng.h"
#include "strategy.h"

#define SPEED_MIN_REPS 5

/*
 * CPU seconds used by this process: unlike wall time, not inflated when
 * other work shares the machine (the Optuna side measures the same way).
 */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Time one (params, trials) case; returns ms per suggestion. */
static double
time_case(int d, int n, double min_seconds, const char *options, int *reps_out)
{
	PtParam		params[6];
	PtSpace		space = {d, params};
	PtError		err;
	PtHistory  *h = PtHistoryCreate(&space, &err);
	PtStrategy *st;
	PtRng		rng;
	double		x[6];
	double		t0;
	double		elapsed;
	int			reps = 0;
	int			i;
	int			j;
	char		names[6][8];

	memset(params, 0, sizeof(params));
	for (j = 0; j < d; j++)
	{
		snprintf(names[j], sizeof(names[j]), "x%d", j);
		params[j].name = names[j];
		params[j].type = PT_PARAM_FLOAT;
		params[j].low = 0.0;
		params[j].high = 1.0;
	}
	PtRngSeed(&rng, 12345);
	for (i = 0; i < n; i++)
	{
		PtTrial		t = {0};
		double		s = 0.0;

		for (j = 0; j < d; j++)
		{
			x[j] = PtRngUniform(&rng);
			s -= (x[j] - 0.3) * (x[j] - 0.3);
		}
		t.iter = i + 1;
		t.x = x;
		t.score = s;
		t.status = PT_TRIAL_OK;
		t.source = PT_SOURCE_RANDOM;
		if (PtHistoryAppend(h, &t, &err) != PT_OK)
		{
			fprintf(stderr, "tpe_speed: %s\n", err.message);
			exit(1);
		}
	}
	st = PtStrategyCreateFromText("tpe", &space, 1, options, &err);
	if (st == NULL)
	{
		fprintf(stderr, "tpe_speed: %s\n", err.message);
		exit(1);
	}
	t0 = now();
	do
	{
		PtProposal	prop = {0};

		prop.x = x;
		if (PtStrategyPropose(st, h, h->n + 1, &prop, NULL, &err) != PT_OK)
		{
			fprintf(stderr, "tpe_speed: %s\n", err.message);
			exit(1);
		}
		PtFree(prop.reasoning);
		reps++;
		elapsed = now() - t0;
	} while (elapsed < min_seconds || reps < SPEED_MIN_REPS);
	PtStrategyFree(st);
	PtHistoryFree(h);
	*reps_out = reps;
	return elapsed * 1000.0 / reps;
}

/* Print the time per TPE suggestion for the driver in tpe_bench.py. */
int
main(int argc, char **argv)
{
	static const int dims[] = {2, 6};
	static const int trials[] = {100, 1000, 10000};
	double		min_seconds = argc > 1 ? atof(argv[1]) : 0.5;
	const char *options = argc > 2 ? argv[2] : "{}";
	int			only_d = argc > 3 ? atoi(argv[3]) : 0;
	int			only_n = argc > 4 ? atoi(argv[4]) : 0;
	size_t		a;
	size_t		b;

	for (a = 0; a < sizeof(dims) / sizeof(dims[0]); a++)
		for (b = 0; b < sizeof(trials) / sizeof(trials[0]); b++)
		{
			int			reps;
			double		ms;

			if ((only_d && dims[a] != only_d) || (only_n && trials[b] != only_n))
				continue;
			ms = time_case(dims[a], trials[b], min_seconds, options, &reps);

			printf("ptopt_c\t%d\t%d\t%.6f\t%d\n", dims[a], trials[b], ms, reps);
			fflush(stdout);
		}
	return 0;
}
