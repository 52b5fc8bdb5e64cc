/*
 * pt_alloc_pg.h — core's allocator pointed at memory contexts.
 */
#ifndef PTOPT_PT_ALLOC_PG_H
#define PTOPT_PT_ALLOC_PG_H

#include "postgres.h"

/* Point core's allocator at memory contexts (from _PG_init). */
extern void PtPgAllocInit(void);

/*
 * Make target the context core allocates in until the next call, and return
 * the previous target.  NULL (the default) means CurrentMemoryContext at the
 * time of each allocation: right for one-shot SQL calls, whose core objects
 * die with the call.  Anything that must outlive the current context (a
 * run's plan, history, strategy and objective in the worker, a cache kept
 * for the session) needs an explicit target that lives long enough.
 */
extern MemoryContext PtAllocTarget(MemoryContext target);

#endif							/* PTOPT_PT_ALLOC_PG_H */
