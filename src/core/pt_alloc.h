/*
 * pt_alloc.h — the one allocator interface of the PostgreSQL-free layers.
 *
 * Every allocation in core and clob goes through these, so a test can count
 * them and the glue can point them at memory contexts (as pgvector does):
 * in the server an ERROR then frees core memory with its context, with no
 * PG_TRY ladders.  Tests, benchmarks and fuzzers keep the default, malloc.
 * They return NULL on failure; callers report PT_ERR_OUT_OF_MEMORY.
 */
#ifndef PTOPT_PT_ALLOC_H
#define PTOPT_PT_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

/* Where PtMalloc and friends get their memory from. */
typedef struct PtAllocator
{
	void	   *(*alloc) (size_t size, bool zero);	/* NULL on failure */
	void	   *(*realloc) (void *ptr, size_t size);	/* ptr is never NULL; keeps ptr's arena */
	void		(*free) (void *ptr);	/* ptr is never NULL */
} PtAllocator;

/* Route every later allocation through allocator (NULL: back to malloc). */
extern void PtAllocUse(const PtAllocator *allocator);

/* malloc through the allocator. */
extern void *PtMalloc(size_t size);

/* calloc through the allocator (zeroed, overflow-checked). */
extern void *PtCalloc(size_t count, size_t size);

/* realloc through the allocator. */
extern void *PtRealloc(void *ptr, size_t size);

/* strdup through the allocator; NULL in gives NULL out. */
extern char *PtStrdup(const char *s);

/* free through the allocator; NULL is fine. */
extern void PtFree(void *ptr);

/* Number of live allocations (for leak checks in unit tests). */
extern long PtAllocLive(void);

/*
 * Refuse every later allocation call of the calling thread: PtMalloc,
 * PtCalloc, PtStrdup and PtRealloc return NULL and PtFree does nothing, and
 * each refused call is counted.  For threads that must never reach the
 * allocator (the backtest's world threads: in the server the allocator is a
 * memory context, which is not thread-safe).  Lasts until the thread ends.
 */
extern void PtAllocRefuseThisThread(void);

/* Allocation calls refused to the calling thread so far. */
extern long PtAllocRefusedThisThread(void);

#endif							/* PTOPT_PT_ALLOC_H */
