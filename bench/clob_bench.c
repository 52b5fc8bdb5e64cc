/*
 * clob_bench.c — throughput of the synthetic CLOB V2 backtest.
 *
 * Usage: clob_bench [trials] [options_json] [params_json]
 *
 * Builds one session (default: the mixed scenario, 8 training and 4 held-out
 * seeds), times the first trial (it generates and caches the worlds), then
 * times `trials` more trials over the cached tapes and reports the median
 * and best time of a trial, events per second through the whole simulator
 * (tape events, strategy order operations and timers, exchange phases), and
 * tape memory per seed.  Then the same per preset scenario.  Benchmarks
 * report numbers; nothing here asserts a timing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clob.h"
#include "clob_internal.h"
#include "clob_world.h"
#include "pt_alloc.h"

#define DEFAULT_TRIALS 30
#define MAX_TRIALS 1000

/* Monotonic seconds. */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Ascending doubles. */
static int
cmp_d(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* Events of the last trial, over every seed. */
static long long
trial_events(const ClobSession *s)
{
	const ClobSeedMetrics *m;
	int			n_train;
	int			n = ClobSessionSeedMetrics(s, &m, &n_train);
	long long	total = 0;
	int			i;

	for (i = 0; i < n; i++)
		total += m[i].events;
	return total;
}

/* Time a session: first trial (with world generation), then trials over the cache. */
static int
bench_one(const char *label, const char *options, const char *params, int trials, bool verbose)
{
	PtError		err;
	ClobResult	res;
	ClobSession *s;
	double		t0;
	double		first;
	double	   *times;
	double		median;
	long long	events;
	size_t		bytes;
	int			n_tapes;
	int			i;

	s = ClobSessionCreate(options, NULL, &err);
	if (s == NULL)
	{
		fprintf(stderr, "clob_bench: %s\n", err.message);
		return 1;
	}
	t0 = now_s();
	if (ClobSessionRun(s, params, NULL, &res, &err) != PT_OK)
	{
		fprintf(stderr, "clob_bench: %s\n", err.message);
		ClobSessionFree(s);
		return 1;
	}
	first = now_s() - t0;
	if (verbose)
		printf("score %.6f  holdout %.6f\n", res.score, res.holdout_score);
	ClobResultClear(&res);

	times = malloc(sizeof(double) * (size_t) trials);
	for (i = 0; i < trials; i++)
	{
		t0 = now_s();
		if (ClobSessionRun(s, params, NULL, &res, &err) != PT_OK)
		{
			fprintf(stderr, "clob_bench: %s\n", err.message);
			free(times);
			ClobSessionFree(s);
			return 1;
		}
		times[i] = now_s() - t0;
		ClobResultClear(&res);
	}
	qsort(times, (size_t) trials, sizeof(double), cmp_d);
	median = times[trials / 2];
	events = trial_events(s);
	bytes = ClobSessionTapeBytes(s, &n_tapes);
	printf("%-10s seeds %2d  events/trial %8lld  trial median %7.2f ms  best %7.2f ms  "
		   "events/s %6.2f M  first trial (with generation) %7.2f ms  tape %6.1f KiB/seed\n",
		   label, n_tapes, events, median * 1e3, times[0] * 1e3, events / median / 1e6,
		   first * 1e3, (double) bytes / n_tapes / 1024.0);
	free(times);
	ClobSessionFree(s);
	return 0;
}

/* Measure the backtest: arguments are the trial count, then options and params as JSON. */
int
main(int argc, char **argv)
{
	int			trials = argc > 1 ? atoi(argv[1]) : DEFAULT_TRIALS;
	const char *options = argc > 2 ? argv[2] : NULL;
	const char *params = argc > 3 ? argv[3] : NULL;
	char		opts[256];
	int			i;
	int			rc = 0;

	if (trials < 1 || trials > MAX_TRIALS)
		trials = DEFAULT_TRIALS;
	printf("# clob_bench: %d timed trials per line, one core\n", trials);
	rc |= bench_one(options ? "custom" : "default", options, params, trials, true);
	if (options == NULL)
	{
		for (i = 0; i < CLOB_N_PRESETS; i++)
		{
			snprintf(opts, sizeof(opts),
					 "{\"scenario\": \"%s\", \"train_seeds\": 4, \"holdout_seeds\": 0}",
					 ClobPresetName(i));
			rc |= bench_one(ClobPresetName(i), opts, params, trials, false);
		}
	}
	if (PtAllocLive() != 0)
	{
		fprintf(stderr, "clob_bench: %ld allocations leaked\n", PtAllocLive());
		rc = 1;
	}
	return rc;
}
