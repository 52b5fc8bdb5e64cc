/*
 * clob_parallel.h — the worlds of one trial played on several threads.
 *
 * Internal to src/clob (tests drive it through the session).  Each world's
 * metrics depend on its tape and the parameters alone, so worlds can be
 * played at once, one ClobSim per thread, and give what a serial replay
 * gives, bit for bit.  The calling thread takes part and is the only one
 * that calls the caller's PtStop (in the server it reads backend state); the
 * others poll a flag it sets.  The other threads never call the allocator
 * (in the server it is a memory context): every sim is reserved for every
 * tape first, and an allocation call from them is refused and reported.
 */
#ifndef PTOPT_CLOB_PARALLEL_H
#define PTOPT_CLOB_PARALLEL_H

#include <pthread.h>
#include <stdbool.h>

#include "clob.h"
#include "clob_sim.h"
#include "clob_world.h"
#include "pt_error.h"
#include "pt_stop.h"

#define CLOB_STOP_POLL_US 100		/* the calling thread's stop polls while it waits for the others */

struct ClobPlayShared;

/* One thread's place in a parallel replay; the sim is owned by whoever owns the array. */
typedef struct ClobThread
{
	ClobSim    *sim;
	/* the rest is set by ClobPlayWorlds */
	pthread_t	handle;
	bool		started;
	int			world;			/* the world it is playing */
	int			failed_world;	/* the world it failed on, or -1 */
	PtError		err;			/* that world's error */
	struct ClobPlayShared *shared;
} ClobThread;

/*
 * Play count worlds (tapes[i] into metrics[i]) on up to n_threads threads,
 * threads[0] being the calling thread; every threads[k].sim for k below
 * n_threads must exist.  Reserves each sim for the largest tape first (in the
 * calling thread), then starts the other threads with every signal blocked.
 * Returns PT_OK, or the error of the lowest world that failed, as a serial
 * replay in world order would (PT_ERR_CANCELLED when stop fired).  With one
 * thread, or one world, it is the serial loop itself.
 */
extern int	ClobPlayWorlds(ClobThread *threads, int n_threads, const ClobTape *tapes,
						   ClobSeedMetrics *metrics, int count, const ClobMmParams *mm,
						   const ClobPolicy *policy, const PtStop *stop, PtError *err);

/*
 * Cores free for a trial now: the CPUs this process may run on, less the
 * other runnable tasks of the machine (Linux: /proc/loadavg's running count,
 * less the calling thread; elsewhere the 1-minute load average, rounded).
 * At least 1, at most CLOB_MAX_THREADS.
 */
extern int	ClobFreeCores(void);

/* The CPUs this process may run on (at least 1, at most CLOB_MAX_THREADS). */
extern int	ClobUsableCores(void);

#endif							/* PTOPT_CLOB_PARALLEL_H */
