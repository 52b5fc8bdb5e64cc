/*
 * clob_bench.c — throughput of the synthetic CLOB V2 backtest.
 *
 * Usage: clob_bench [trials] [options_json] [params_json] [threads]
 *
 * Builds one session (default: the mixed scenario, 8 training seeds), times
 * the first trial (it generates and caches the worlds), then times `trials`
 * more trials over the cached tapes, alternating one thread and `threads`
 * (default: every core this process may use; 1: one thread only, what the
 * callgrind targets count), and reports for each the
 * median and best time of a trial and events per second through the whole
 * simulator (tape events, strategy order operations and timers, exchange
 * phases), and the tape memory per seed.  Then the same per preset scenario,
 * what starting and joining one thread costs, and how long a cancel takes.  Benchmarks report
 * numbers; nothing here asserts a timing.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clob.h"
#include "clob_internal.h"
#include "clob_parallel.h"
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

/* One timed trial on this many threads; negative on error. */
static double
timed_trial(ClobSession *s, const char *params, int threads)
{
	PtError		err;
	ClobResult	res;
	double		t0;
	double		t;

	ClobSessionSetThreads(s, threads);
	t0 = now_s();
	if (ClobSessionRun(s, params, NULL, &res, &err) != PT_OK)
	{
		fprintf(stderr, "clob_bench: %s\n", err.message);
		return -1;
	}
	t = now_s() - t0;
	ClobResultClear(&res);
	return t;
}

/*
 * Time a session: first trial (with world generation, serial), then trials
 * over the cache, one thread and `threads` threads in turn (so both see the
 * same load).
 */
static int
bench_one(const char *label, const char *options, const char *params, int trials, int threads,
		  bool verbose)
{
	PtError		err;
	ClobResult	res;
	ClobSession *s;
	double		t0;
	double		first;
	double	   *times[2];
	long long	events;
	size_t		bytes;
	int			n_tapes;
	int			used = 1;
	int			series = threads > 1 ? 2 : 1;
	int			i;
	int			k;

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

	times[0] = malloc(sizeof(double) * (size_t) trials);
	times[1] = malloc(sizeof(double) * (size_t) trials);
	for (i = 0; i < trials; i++)
		for (k = 0; k < series; k++)
		{
			times[k][i] = timed_trial(s, params, k == 0 ? 1 : threads);
			if (times[k][i] < 0)
			{
				free(times[0]);
				free(times[1]);
				ClobSessionFree(s);
				return 1;
			}
			if (k == 1)
				used = ClobSessionThreadsUsed(s);
		}
	qsort(times[0], (size_t) trials, sizeof(double), cmp_d);
	if (series == 2)
		qsort(times[1], (size_t) trials, sizeof(double), cmp_d);
	events = trial_events(s);
	bytes = ClobSessionTapeBytes(s, &n_tapes);
	printf("%-10s seeds %2d  events/trial %8lld  first trial (with generation) %7.2f ms  tape %6.1f KiB/seed\n",
		   label, n_tapes, events, first * 1e3, (double) bytes / n_tapes / 1024.0);
	for (k = 0; k < series; k++)
	{
		double		median = times[k][trials / 2];

		printf("           %d thread%s  trial median %7.2f ms  best %7.2f ms  events/s median %6.2f M  best %6.2f M\n",
			   k == 0 ? 1 : used, (k == 0 ? 1 : used) == 1 ? " " : "s", median * 1e3, times[k][0] * 1e3,
			   events / median / 1e6, events / times[k][0] / 1e6);
	}
	free(times[0]);
	free(times[1]);
	ClobSessionFree(s);
	return 0;
}

/* A thread that does nothing. */
static void *
idle_thread(void *arg)
{
	return arg;
}

/* What starting and joining one thread costs, with the signal mask set around it as a trial does. */
static void
bench_thread_start(void)
{
	double		times[1000];
	int			i;

	for (i = 0; i < 1000; i++)
	{
		sigset_t	all;
		sigset_t	old;
		pthread_t	t;
		double		t0 = now_s();

		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		pthread_create(&t, NULL, idle_thread, NULL);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_join(t, NULL);
		times[i] = now_s() - t0;
	}
	qsort(times, 1000, sizeof(double), cmp_d);
	printf("thread start + join: median %.1f us  best %.1f us (1000 times)\n", times[500] * 1e6, times[0] * 1e6);
}

/* A stop requested at a set time after the trial started. */
typedef struct TimedStop
{
	double		start;
	double		request_at;		/* seconds after start */
} TimedStop;

/* TimedStop's callback. */
static bool
timed_stop(void *arg)
{
	const TimedStop *t = arg;

	return now_s() - t->start >= t->request_at;
}

/*
 * How long a cancel takes: default trials on 1 thread and on `threads`, a
 * stop requested 0.5 to 6.2 ms after the start; the time from the request to
 * the return of the cancelled trial.
 */
static void
bench_stop_latency(int threads)
{
	PtError		err;
	ClobResult	res;
	ClobSession *s = ClobSessionCreate(NULL, NULL, &err);
	double		lat[200];
	int			k;

	if (s == NULL || ClobSessionRun(s, NULL, NULL, &res, &err) != PT_OK)
	{
		ClobSessionFree(s);
		return;
	}
	ClobResultClear(&res);
	for (k = 0; k < 2; k++)
	{
		int			n = 0;
		int			i;

		ClobSessionSetThreads(s, k == 0 ? 1 : threads);
		for (i = 0; i < 200; i++)
		{
			TimedStop	t = {now_s(), 0.0005 + (i % 20) * 0.0003};
			PtStop		stop = {timed_stop, &t};

			if (ClobSessionRun(s, NULL, &stop, &res, &err) == PT_ERR_CANCELLED)
				lat[n++] = now_s() - (t.start + t.request_at);
			ClobResultClear(&res);
		}
		if (n == 0)
			continue;
		qsort(lat, (size_t) n, sizeof(double), cmp_d);
		printf("cancel, %d thread%s: from the request to the return median %.0f us  90th percentile %.0f us  "
			   "max %.0f us (%d cancelled trials)\n", k == 0 ? 1 : threads, k == 0 ? "" : "s",
			   lat[n / 2] * 1e6, lat[n * 9 / 10] * 1e6, lat[n - 1] * 1e6, n);
		if (threads == 1)
			break;
	}
	ClobSessionFree(s);
}

/* Measure the backtest: arguments are the trial count, then options and params as JSON. */
int
main(int argc, char **argv)
{
	int			trials = argc > 1 ? atoi(argv[1]) : DEFAULT_TRIALS;
	const char *options = argc > 2 ? argv[2] : NULL;
	const char *params = argc > 3 ? argv[3] : NULL;
	int			threads = argc > 4 ? atoi(argv[4]) : ClobUsableCores();
	char		opts[256];
	int			i;
	int			rc = 0;

	if (trials < 1 || trials > MAX_TRIALS)
		trials = DEFAULT_TRIALS;
	if (threads < 1 || threads > CLOB_MAX_THREADS)
		threads = ClobUsableCores();
	if (threads > 1)
		printf("# clob_bench: %d timed trials per line and thread count, 1 thread and %d in turn "
			   "(%d usable cores, %d free at start)\n", trials, threads, ClobUsableCores(), ClobFreeCores());
	else
		printf("# clob_bench: %d timed trials per line, 1 thread\n", trials);
	rc |= bench_one(options ? "custom" : "default", options, params, trials, threads, true);
	if (options == NULL)
	{
		for (i = 0; i < CLOB_N_PRESETS; i++)
		{
			snprintf(opts, sizeof(opts),
					 "{\"scenario\": \"%s\", \"train_seeds\": 4, \"holdout_seeds\": 0}",
					 ClobPresetName(i));
			rc |= bench_one(ClobPresetName(i), opts, params, trials, threads, false);
		}
		bench_thread_start();
		bench_stop_latency(threads);
	}
	if (PtAllocLive() != 0)
	{
		fprintf(stderr, "clob_bench: %ld allocations leaked\n", PtAllocLive());
		rc = 1;
	}
	return rc;
}
