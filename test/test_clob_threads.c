/*
 * test_clob_threads.c — the worlds of a trial played on several threads.
 *
 * The same trials with 1, 2 and 4 threads (and the automatic count) give the
 * same metrics for every world, bit for bit, the same scores and the same
 * envelope text; a stop request mid-trial returns PT_ERR_CANCELLED and the
 * stop callback runs on the calling thread only; signals reach the calling
 * thread only; a thread that must not allocate is refused and counted.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clob.h"
#include "clob_internal.h"
#include "clob_parallel.h"
#include "pt_alloc.h"
#include "unit.h"

#define N_WORLDS_MAX 32

/* What one trial produced: scores, envelope text and every world's metrics. */
typedef struct TrialOut
{
	int			rc;
	double		score;
	double		holdout_score;
	double		holdout_only;	/* ClobSessionRunHoldout */
	char	   *envelope;
	int			n_worlds;
	int			threads_used;
	ClobSeedMetrics m[N_WORLDS_MAX];
} TrialOut;

static const char *const PARAMS[] = {
	"{}",
	/* large and aggressive: the kill switch trips on some worlds */
	"{\"mm.half_spread_min_ticks\": 1, \"mm.c_tox\": 0, \"mm.c_vol\": 0, \"mm.gamma_skew\": 0, \"mm.layers\": 5, "
	"\"risk.inventory.q_max_pusd\": 2000, \"risk.inventory.q_soft_frac\": 1, "
	"\"mm.base_size_pusd\": 400, \"mm.post_only\": false}",
	"{\"mm.layers\": 2, \"mm.c_vol\": 1.5, \"mm.requote_interval_ms\": 200, \"exec.allow_taker_exit\": true}",
};

#define N_PARAMS ((int) (sizeof(PARAMS) / sizeof(PARAMS[0])))

/* Monotonic seconds. */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Run trial k of a session (params k, held-out worlds in the envelope) and copy what it produced. */
static void
run_one(ClobSession *s, int k, TrialOut *out)
{
	ClobResult	res;
	PtError		err;
	const ClobSeedMetrics *m;
	int			n_train;
	double		v[CLOB_N_PARAMS];

	memset(out, 0, sizeof(*out));
	out->rc = ClobSessionRun(s, PARAMS[k], NULL, &res, &err);
	out->threads_used = ClobSessionThreadsUsed(s);
	if (out->rc != PT_OK)
		return;
	out->score = res.score;
	out->holdout_score = res.holdout_score;
	out->envelope = strdup(res.envelope_json);
	ClobResultClear(&res);
	if (ClobParamsParse(PARAMS[k], v, &err) != PT_OK ||
		ClobSessionRunHoldout(s, v, NULL, &out->holdout_only, NULL, &err) != PT_OK)
		out->rc = err.code;
	/* Training worlds from the trial, held-out ones from ClobSessionRunHoldout. */
	out->n_worlds = ClobSessionSeedMetrics(s, &m, &n_train);
	if (out->n_worlds > N_WORLDS_MAX)
		out->n_worlds = N_WORLDS_MAX;
	memcpy(out->m, m, sizeof(ClobSeedMetrics) * (size_t) out->n_worlds);
}

/* True when two trials produced the same thing, bit for bit. */
static bool
same_trial(const TrialOut *a, const TrialOut *b, int *first_diff)
{
	int			i;

	*first_diff = -1;
	if (a->rc != PT_OK || b->rc != PT_OK || a->n_worlds != b->n_worlds)
		return false;
	for (i = 0; i < a->n_worlds; i++)
		if (memcmp(&a->m[i], &b->m[i], sizeof(ClobSeedMetrics)) != 0)
		{
			*first_diff = i;
			return false;
		}
	return memcmp(&a->score, &b->score, sizeof(double)) == 0 &&
		memcmp(&a->holdout_score, &b->holdout_score, sizeof(double)) == 0 &&
		memcmp(&a->holdout_only, &b->holdout_only, sizeof(double)) == 0 &&
		strcmp(a->envelope, b->envelope) == 0;
}

/*
 * Sessions with 1, 2, 4 threads and automatic: every trial, the first one
 * (which generates the worlds) included, equals the serial one.
 */
static void
test_same_results(const char *options, int n_worlds)
{
	static const int counts[] = {1, 2, 4, CLOB_THREADS_AUTO};
	TrialOut   *serial = calloc(N_PARAMS, sizeof(TrialOut));
	TrialOut   *par = calloc(1, sizeof(TrialOut));
	int			c;
	int			k;

	for (c = 0; c < 4; c++)
	{
		PtError		err;
		ClobSession *s = ClobSessionCreate(options, NULL, &err);
		bool		all_same = true;
		int			used = 0;
		int			diff = -1;

		CHECK(s != NULL, "session %s", options);
		if (s == NULL)
			continue;
		ClobSessionSetThreads(s, counts[c]);
		for (k = 0; k < N_PARAMS; k++)
		{
			TrialOut   *o = c == 0 ? &serial[k] : par;

			run_one(s, k, o);
			if (o->threads_used > used)
				used = o->threads_used;
			if (c > 0)
			{
				int			d;

				if (!same_trial(&serial[k], par, &d))
				{
					all_same = false;
					if (diff < 0)
						diff = d;
				}
				free(par->envelope);
				par->envelope = NULL;
			}
		}
		if (c == 0)
		{
			int			tripped = 0;
			int			i;

			for (i = 0; i < serial[1].n_worlds; i++)
				tripped += serial[1].m[i].kill_trips > 0;
			CHECK(serial[0].rc == PT_OK && serial[0].n_worlds == n_worlds && used == 1,
				  "%s: serial trials ran (%d worlds, %d thread)", options, serial[0].n_worlds, used);
			CHECK(tripped > 0, "%s: the aggressive parameters trip the kill switch on %d worlds", options, tripped);
		}
		else if (counts[c] != CLOB_THREADS_AUTO)
		{
			CHECK(used == counts[c], "%s: %d threads were used (asked %d)", options, used, counts[c]);
			CHECK(all_same, "%s: %d threads give the serial metrics, scores and envelopes bit for bit "
				  "(first differing world %d)", options, counts[c], diff);
		}
		else
		{
			int			cap = ClobUsableCores() < n_worlds ? ClobUsableCores() : n_worlds;

			CHECK(used >= 1 && used <= cap, "%s: automatic used %d threads (1 to %d)", options, used, cap);
			CHECK(all_same, "%s: automatic threads give the serial results bit for bit (first differing world %d)",
				  options, diff);
		}
		ClobSessionFree(s);
	}
	for (k = 0; k < N_PARAMS; k++)
		free(serial[k].envelope);
	free(serial);
	free(par);
}

/* A stop that fires after a number of calls or seconds, and notes which threads called it. */
typedef struct StopProbe
{
	pthread_t	caller;
	long		calls;
	long		fire_at_call;	/* 0: never by count */
	double		fire_after_s;	/* 0: never by time */
	double		start;
	bool		fired;
	atomic_int	foreign_calls;	/* calls from another thread than the caller */
} StopProbe;

/* StopProbe's callback. */
static bool
probe_stop(void *arg)
{
	StopProbe  *p = arg;

	if (!pthread_equal(pthread_self(), p->caller))
	{
		atomic_fetch_add(&p->foreign_calls, 1);
		return false;
	}
	p->calls++;
	if ((p->fire_at_call > 0 && p->calls >= p->fire_at_call) ||
		(p->fire_after_s > 0 && now_s() - p->start >= p->fire_after_s))
		p->fired = true;
	return p->fired;
}

/* A stop request mid-trial with 4 threads returns PT_ERR_CANCELLED; the next trial is whole again. */
static void
test_cancel(void)
{
	static const long at_call[] = {1, 2, 5, 10};
	static const double after_s[] = {0.0005, 0.002, 0.005};
	PtError		err;
	ClobResult	res;
	ClobSession *s = ClobSessionCreate(NULL, NULL, &err);
	ClobSession *long_trial;
	TrialOut	before;
	TrialOut	after;
	int			i;
	int			d;

	ClobSessionSetThreads(s, 4);
	run_one(s, 0, &before);
	for (i = 0; i < 4; i++)
	{
		StopProbe	p = {.caller = pthread_self(), .fire_at_call = at_call[i]};
		PtStop		stop = {probe_stop, &p};
		int			rc = ClobSessionRun(s, "{}", &stop, &res, &err);

		CHECK(rc == PT_ERR_CANCELLED && res.envelope_json == NULL && strcmp(err.message, "backtest cancelled") == 0,
			  "4 threads, stop at poll %ld: %s (%s)", at_call[i], PtErrorCodeName((PtErrorCode) rc), err.message);
		CHECK(p.calls == at_call[i] && atomic_load(&p.foreign_calls) == 0,
			  "4 threads: the stop callback ran %ld times, on the calling thread only (%d other calls)",
			  p.calls, atomic_load(&p.foreign_calls));
		ClobResultClear(&res);
	}
	/*
	 * Stops by time need a trial far longer than the last one: 64 worlds of
	 * about 50 000 events each (tens of ms on any machine), generated first.
	 */
	long_trial = ClobSessionCreate("{\"train_seeds\": 64}", NULL, &err);
	ClobSessionSetThreads(long_trial, 4);
	CHECK(ClobSessionRun(long_trial, "{}", NULL, &res, &err) == PT_OK, "64 worlds: a whole trial first");
	ClobResultClear(&res);
	for (i = 0; i < 3; i++)
	{
		StopProbe	p = {.caller = pthread_self(), .fire_after_s = after_s[i], .start = now_s()};
		PtStop		stop = {probe_stop, &p};
		int			rc = ClobSessionRun(long_trial, "{}", &stop, &res, &err);
		double		took = now_s() - p.start;

		CHECK(rc == PT_ERR_CANCELLED && atomic_load(&p.foreign_calls) == 0,
			  "4 threads, stop after %.1f ms: %s after %.1f ms, callback on the calling thread only",
			  after_s[i] * 1e3, PtErrorCodeName((PtErrorCode) rc), took * 1e3);
		ClobResultClear(&res);
	}
	ClobSessionFree(long_trial);
	run_one(s, 0, &after);
	CHECK(same_trial(&before, &after, &d), "a trial after cancelled ones gives the same results");
	free(before.envelope);
	free(after.envelope);
	ClobSessionFree(s);
}

static pthread_t signal_caller;
static atomic_int signals_caller;
static atomic_int signals_other;
static atomic_bool sender_done;

/* Count where SIGUSR1 lands. */
static void
on_usr1(int sig)
{
	if (pthread_equal(pthread_self(), signal_caller))
		atomic_fetch_add(&signals_caller, 1);
	else
		atomic_fetch_add(&signals_other, 1);
}

/* Send SIGUSR1 to the process every 20 us until told to stop (this thread blocks it). */
static void *
signal_sender(void *arg)
{
	sigset_t	usr1;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	while (!atomic_load(&sender_done))
	{
		struct timespec ts = {0, 20000};

		kill(getpid(), SIGUSR1);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* Process-directed signals during parallel trials run their handler on the calling thread only. */
static void
test_signals(void)
{
	struct sigaction sa;
	struct sigaction old;
	pthread_t	sender;
	PtError		err;
	ClobResult	res;
	ClobSession *s = ClobSessionCreate(NULL, NULL, &err);
	int			ok = 0;
	int			i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, &old);
	signal_caller = pthread_self();
	ClobSessionSetThreads(s, 4);
	(void) ClobSessionRun(s, "{}", NULL, &res, &err);	/* worlds generated before the signals */
	ClobResultClear(&res);
	atomic_store(&sender_done, false);
	pthread_create(&sender, NULL, signal_sender, NULL);
	for (i = 0; i < 10; i++)
	{
		ok += ClobSessionRun(s, "{}", NULL, &res, &err) == PT_OK;
		ClobResultClear(&res);
	}
	atomic_store(&sender_done, true);
	pthread_join(sender, NULL);
	sigaction(SIGUSR1, &old, NULL);
	CHECK(ok == 10 && atomic_load(&signals_caller) > 0 && atomic_load(&signals_other) == 0,
		  "signals during 10 trials on 4 threads: %d on the calling thread, %d elsewhere",
		  atomic_load(&signals_caller), atomic_load(&signals_other));
	ClobSessionFree(s);
}

/* A refused thread: every allocation call gives NULL and is counted, PtFree leaves the block. */
static void *
refused_thread(void *arg)
{
	long	   *result = arg;
	void	   *block = arg;
	void	   *a;
	void	   *b;
	void	   *c;

	PtAllocRefuseThisThread();
	a = PtMalloc(16);
	b = PtCalloc(2, 8);
	c = PtStrdup("x");
	PtFree(block);				/* refused: a no-op */
	result[0] = (a == NULL && b == NULL && c == NULL) ? PtAllocRefusedThisThread() : -1;
	return NULL;
}

/* PtAllocRefuseThisThread holds for its thread only. */
static void
test_alloc_refusal(void)
{
	long	   *shared = PtMalloc(sizeof(long) * 4);
	long		live = PtAllocLive();
	pthread_t	t;
	void	   *mine;

	shared[0] = 0;
	pthread_create(&t, NULL, refused_thread, shared);
	pthread_join(t, NULL);
	CHECK(shared[0] == 4 && PtAllocLive() == live,
		  "a refused thread's four allocation calls are refused and counted (%ld)", shared[0]);
	mine = PtMalloc(8);
	CHECK(mine != NULL && PtAllocRefusedThisThread() == 0, "the calling thread still allocates");
	PtFree(mine);
	PtFree(shared);
}

/* Run the tests. */
int
main(void)
{
	test_alloc_refusal();
	test_same_results("{\"holdout_seeds\": 8}", 16);
	test_same_results("{\"scenario\": \"toxic\", \"train_seeds\": 5, \"holdout_seeds\": 3, \"seed\": 7}", 8);
	test_cancel();
	test_signals();
	CHECK(ClobFreeCores() >= 1 && ClobFreeCores() <= ClobUsableCores(),
		  "free cores %d within 1 and the usable %d", ClobFreeCores(), ClobUsableCores());
	CHECK(PtAllocLive() == 0, "no allocation leaked (%ld live)", PtAllocLive());
	return UnitDone();
}
