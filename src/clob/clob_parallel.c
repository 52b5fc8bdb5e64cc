/*
 * clob_parallel.c — the worlds of one trial played on several threads.
 *
 * Worlds are handed out in index order from an atomic counter; each thread
 * plays its worlds on its own ClobSim into metrics[world], so the metrics are
 * those of a serial replay and the caller aggregates them in world order.  A
 * failed world stops the threads playing higher worlds and no higher world is
 * started: every world below it still finishes, as in a serial replay, and its
 * error is the one returned.  The calling thread alone calls the caller's
 * PtStop, every CLOB_STOP_EVERY events while it plays and every
 * CLOB_STOP_POLL_US while it waits; the others poll an atomic flag it sets at
 * the same event interval, so a stop ends every thread within one poll
 * interval of the calling thread seeing it.  See clob_parallel.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* sched_getaffinity, CPU_COUNT */
#endif
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clob_parallel.h"
#include "pt_alloc.h"

/* What the threads of one ClobPlayWorlds call share. */
typedef struct ClobPlayShared
{
	const ClobTape *tapes;
	ClobSeedMetrics *metrics;
	int			count;
	const ClobMmParams *mm;
	const ClobPolicy *policy;
	const PtStop *caller_stop;	/* called by the calling thread only */
	atomic_int	next;			/* the next world to hand out */
	atomic_int	first_failed;	/* the lowest world that failed; count when none */
	atomic_bool stop;			/* set by the calling thread when caller_stop fired */
	pthread_mutex_t lock;
	pthread_cond_t done;		/* signalled as each other thread ends */
	int			running;		/* other threads not ended yet, under lock */
} ClobPlayShared;

/* Lower first_failed to world when it is lower. */
static void
note_failure(ClobPlayShared *sh, int world)
{
	int			cur = atomic_load(&sh->first_failed);

	while (world < cur && !atomic_compare_exchange_weak(&sh->first_failed, &cur, world))
		;
}

/* A thread's stop: the calling thread saw a stop, or a lower world failed. */
static bool
thread_should_stop(void *arg)
{
	const ClobThread *t = arg;
	ClobPlayShared *sh = t->shared;

	return atomic_load_explicit(&sh->stop, memory_order_relaxed) ||
		atomic_load_explicit(&sh->first_failed, memory_order_relaxed) < t->world;
}

/* The calling thread's stop: as the others', and it polls the caller's PtStop for them. */
static bool
caller_should_stop(void *arg)
{
	const ClobThread *t = arg;
	ClobPlayShared *sh = t->shared;

	if (thread_should_stop(arg))
		return true;
	if (PtStopRequested(sh->caller_stop))
	{
		atomic_store(&sh->stop, true);
		return true;
	}
	return false;
}

/* Play worlds as they are handed out until none is left, a lower one failed, or this one fails. */
static void
play_loop(ClobThread *t, const PtStop *stop)
{
	ClobPlayShared *sh = t->shared;

	for (;;)
	{
		int			world = atomic_fetch_add(&sh->next, 1);
		int			rc;

		if (world >= sh->count || world > atomic_load(&sh->first_failed))
			return;
		t->world = world;
		if (PtStopRequested(stop))
			rc = PtErrorSet(&t->err, PT_ERR_CANCELLED, "backtest cancelled");
		else
			rc = ClobSimRun(t->sim, &sh->tapes[world], sh->mm, sh->policy, stop,
							&sh->metrics[world], &t->err);
		if (PtAllocRefusedThisThread() > 0)
		{
			rc = PtErrorSet(&t->err, PT_ERR_INTERNAL,
							"a backtest thread called the allocator while playing world %d", world);
			PtErrorDetail(&t->err, "The replay must allocate nothing once its context is reserved for the tape.");
		}
		if (rc != PT_OK)
		{
			t->failed_world = world;
			note_failure(sh, world);
			return;
		}
	}
}

/* A world thread: no allocator, plays worlds, then says it has ended. */
static void *
thread_main(void *arg)
{
	ClobThread *t = arg;
	ClobPlayShared *sh = t->shared;
	PtStop		stop = {thread_should_stop, t};

	PtAllocRefuseThisThread();
	play_loop(t, &stop);
	pthread_mutex_lock(&sh->lock);
	sh->running--;
	pthread_cond_signal(&sh->done);
	pthread_mutex_unlock(&sh->lock);
	return NULL;
}

/* Wait for the other threads to end, polling the caller's stop for them meanwhile. */
static void
wait_for_others(ClobPlayShared *sh)
{
	pthread_mutex_lock(&sh->lock);
	while (sh->running > 0)
	{
		struct timespec until;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += CLOB_STOP_POLL_US * 1000L;
		if (until.tv_nsec >= 1000000000L)
		{
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		(void) pthread_cond_timedwait(&sh->done, &sh->lock, &until);
		if (sh->running > 0 && !atomic_load(&sh->stop))
		{
			pthread_mutex_unlock(&sh->lock);
			if (PtStopRequested(sh->caller_stop))
				atomic_store(&sh->stop, true);
			pthread_mutex_lock(&sh->lock);
		}
	}
	pthread_mutex_unlock(&sh->lock);
}

/* The serial replay: world after world on one sim, the stop polled before each. */
static int
play_serial(ClobSim *sim, const ClobTape *tapes, ClobSeedMetrics *metrics, int count,
			const ClobMmParams *mm, const ClobPolicy *policy, const PtStop *stop, PtError *err)
{
	int			i;

	for (i = 0; i < count; i++)
	{
		int			rc;

		if (PtStopRequested(stop))
			return PtErrorSet(err, PT_ERR_CANCELLED, "backtest cancelled");
		rc = ClobSimRun(sim, &tapes[i], mm, policy, stop, &metrics[i], err);
		if (rc != PT_OK)
			return rc;
	}
	return PT_OK;
}

/* Start the other threads with every signal blocked in them; returns how many started. */
static int
start_threads(ClobThread *threads, int n, ClobPlayShared *sh)
{
	sigset_t	all;
	sigset_t	old;
	int			started = 0;
	int			k;

	/* A thread inherits the mask: block all here, so signal handlers run on the calling thread only. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_mutex_lock(&sh->lock);
	sh->running = n - 1;
	pthread_mutex_unlock(&sh->lock);
	for (k = 1; k < n; k++)
	{
		threads[k].started = pthread_create(&threads[k].handle, NULL, thread_main, &threads[k]) == 0;
		if (threads[k].started)
			started++;
		else
		{
			pthread_mutex_lock(&sh->lock);
			sh->running--;
			pthread_mutex_unlock(&sh->lock);
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return started;
}

/* Play count worlds on up to n_threads threads; the lowest failed world's error. */
int
ClobPlayWorlds(ClobThread *threads, int n_threads, const ClobTape *tapes, ClobSeedMetrics *metrics,
			   int count, const ClobMmParams *mm, const ClobPolicy *policy, const PtStop *stop,
			   PtError *err)
{
	ClobPlayShared sh;
	pthread_condattr_t cattr;
	PtStop		caller_stop = {caller_should_stop, &threads[0]};
	int			n = n_threads < count ? n_threads : count;
	int			best = -1;
	int			k;
	int			i;

	if (n > CLOB_MAX_THREADS)
		n = CLOB_MAX_THREADS;
	if (n <= 1)
		return play_serial(threads[0].sim, tapes, metrics, count, mm, policy, stop, err);

	/* Everything a replay could allocate, allocated here, in the calling thread. */
	for (k = 0; k < n; k++)
		for (i = 0; i < count; i++)
			if (!ClobSimReserveTape(threads[k].sim, &tapes[i]))
				return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory in the backtest replay");

	memset(&sh, 0, sizeof(sh));
	sh.tapes = tapes;
	sh.metrics = metrics;
	sh.count = count;
	sh.mm = mm;
	sh.policy = policy;
	sh.caller_stop = stop;
	atomic_init(&sh.next, 0);
	atomic_init(&sh.first_failed, count);
	atomic_init(&sh.stop, false);
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	if (pthread_mutex_init(&sh.lock, NULL) != 0 || pthread_cond_init(&sh.done, &cattr) != 0)
	{
		pthread_condattr_destroy(&cattr);
		return play_serial(threads[0].sim, tapes, metrics, count, mm, policy, stop, err);
	}
	pthread_condattr_destroy(&cattr);
	for (k = 0; k < n; k++)
	{
		threads[k].shared = &sh;
		threads[k].started = false;
		threads[k].world = -1;
		threads[k].failed_world = -1;
		PtErrorClear(&threads[k].err);
	}

	(void) start_threads(threads, n, &sh);
	play_loop(&threads[0], &caller_stop);
	wait_for_others(&sh);
	for (k = 1; k < n; k++)
		if (threads[k].started)
			pthread_join(threads[k].handle, NULL);
	pthread_cond_destroy(&sh.done);
	pthread_mutex_destroy(&sh.lock);

	for (k = 0; k < n; k++)
	{
		threads[k].shared = NULL;
		if (threads[k].failed_world >= 0 &&
			(best < 0 || threads[k].failed_world < threads[best].failed_world))
			best = k;
	}
	if (best < 0)
		return PT_OK;
	*err = threads[best].err;
	return err->code;
}

/* The CPUs this process may run on. */
int
ClobUsableCores(void)
{
	long		n = 0;
	cpu_set_t	set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	if (n < 1)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > CLOB_MAX_THREADS ? CLOB_MAX_THREADS : (int) n;
}

/* Runnable tasks of the machine besides the calling thread (-1 when unknown). */
static int
other_runnable(void)
{
	char		buf[128];
	int			fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
	ssize_t		len;
	double		l1;
	double		l5;
	double		l15;
	int			running;

	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	/* "0.63 0.50 0.57 1/82 25071": the fourth field is runnable/total scheduling entities. */
	if (sscanf(buf, "%lf %lf %lf %d/", &l1, &l5, &l15, &running) != 4 || running < 1)
		return -1;
	return running - 1;
}

/* Cores free for a trial now. */
int
ClobFreeCores(void)
{
	int			cores = ClobUsableCores();
	int			busy = other_runnable();
	int			free_cores;

	if (busy < 0)
	{
		double		load;

		busy = getloadavg(&load, 1) == 1 ? (int) (load + 0.5) : 0;
	}
	free_cores = cores - busy;
	return free_cores < 1 ? 1 : free_cores;
}
