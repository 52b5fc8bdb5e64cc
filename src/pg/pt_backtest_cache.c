/*
 * pt_backtest_cache.c — backtest sessions kept across direct ptopt_backtest calls.
 *
 * A run keeps one session (and its generated worlds) for all its
 * iterations; a direct ptopt_backtest call used to build and throw away a
 * session each time, regenerating every world.  This per-backend cache
 * keeps the last few sessions, keyed by the options and the policy snapshot
 * (scenario, seeds and overrides are in the options), so an external
 * optimizer driving ptopt_backtest pays what an iteration of a run pays.
 * Bounded: at most PT_BACKTEST_CACHE_SESSIONS sessions and
 * PT_BACKTEST_CACHE_BYTES of cached worlds; least recently used go first.
 * Sessions are allocated by src/clob through pt_alloc in the cache's own
 * context (the caller points the allocator there), the keys in
 * TopMemoryContext, so both outlive the statement.
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "clob_internal.h"
#include "pt_backtest_cache.h"
#include "pt_glue.h"

#define PT_BACKTEST_CACHE_SESSIONS 4
#define PT_BACKTEST_CACHE_BYTES (256.0 * 1024 * 1024)

typedef struct CacheEntry
{
	char	   *options;		/* TopMemoryContext */
	char	   *policy;
	ClobSession *session;
	uint64		last_used;
} CacheEntry;

static CacheEntry cache[PT_BACKTEST_CACHE_SESSIONS];
static uint64 use_clock = 0;

/* Free one entry. */
static void
entry_clear(CacheEntry *e)
{
	ClobSessionFree(e->session);
	if (e->options != NULL)
		pfree(e->options);
	if (e->policy != NULL)
		pfree(e->policy);
	memset(e, 0, sizeof(*e));
}

/* The cached or a new session for options and policy. */
ClobSession *
PtBacktestSession(const char *options, const char *policy)
{
	CacheEntry *slot = NULL;
	ClobSession *s;
	PtError		err;
	int			i;

	for (i = 0; i < PT_BACKTEST_CACHE_SESSIONS; i++)
	{
		CacheEntry *e = &cache[i];

		if (e->session != NULL && strcmp(e->options, options) == 0 && strcmp(e->policy, policy) == 0)
		{
			e->last_used = ++use_clock;
			return e->session;
		}
	}
	s = ClobSessionCreate(options, policy, &err);
	if (s == NULL)
		PtRaise(&err);
	for (i = 0; i < PT_BACKTEST_CACHE_SESSIONS; i++)
		if (slot == NULL || cache[i].session == NULL ||
			(slot->session != NULL && cache[i].last_used < slot->last_used))
			slot = &cache[i];
	entry_clear(slot);
	slot->options = MemoryContextStrdup(TopMemoryContext, options);
	slot->policy = MemoryContextStrdup(TopMemoryContext, policy);
	slot->session = s;
	slot->last_used = ++use_clock;
	return s;
}

/* Forget a session. */
void
PtBacktestSessionDrop(ClobSession *session)
{
	int			i;

	for (i = 0; i < PT_BACKTEST_CACHE_SESSIONS; i++)
		if (cache[i].session == session)
			entry_clear(&cache[i]);
}

/* Keep the cached worlds under the byte budget, dropping the least recently used. */
void
PtBacktestCacheTrim(void)
{
	for (;;)
	{
		double		total = 0;
		CacheEntry *oldest = NULL;
		int			n_live = 0;
		int			i;

		for (i = 0; i < PT_BACKTEST_CACHE_SESSIONS; i++)
		{
			int			n_tapes;

			if (cache[i].session == NULL)
				continue;
			n_live++;
			total += (double) ClobSessionTapeBytes(cache[i].session, &n_tapes);
			if (oldest == NULL || cache[i].last_used < oldest->last_used)
				oldest = &cache[i];
		}
		if (total <= PT_BACKTEST_CACHE_BYTES || n_live <= 1)
			return;
		entry_clear(oldest);
	}
}

/* The memory context cached sessions and their worlds live in (made on first use). */
MemoryContext
PtBacktestCacheContext(void)
{
	static MemoryContext cxt = NULL;

	if (cxt == NULL)
		cxt = AllocSetContextCreate(TopMemoryContext, "ptopt backtest cache", ALLOCSET_DEFAULT_SIZES);
	return cxt;
}
