/*
 * pt_backtest_cache.h — backtest sessions kept across direct ptopt_backtest calls.
 */
#ifndef PTOPT_PT_BACKTEST_CACHE_H
#define PTOPT_PT_BACKTEST_CACHE_H

#include "clob.h"

/*
 * The session for these options and policy snapshot (JSON text): the one a
 * previous call of this backend made, with its generated worlds, or a new
 * one.  Raises on invalid options.  The session stays owned by the cache.
 */
extern ClobSession *PtBacktestSession(const char *options, const char *policy);

/* Forget and free a cached session (after an error left it mid-run). */
extern void PtBacktestSessionDrop(ClobSession *session);

/* Evict least recently used sessions while the cached worlds exceed the byte budget. */
extern void PtBacktestCacheTrim(void);

/* The memory context cached sessions and their worlds live in. */
extern MemoryContext PtBacktestCacheContext(void);

#endif							/* PTOPT_PT_BACKTEST_CACHE_H */
