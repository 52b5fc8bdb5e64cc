/*
 * pt_alloc.h — the one allocator interface of the PostgreSQL-free layers.
 *
 * Every allocation in core goes through these, so a test can count them and
 * the glue knows that everything core hands back is freed with PtFree.
 * They return NULL on failure; callers report PT_ERR_OUT_OF_MEMORY.
 */
#ifndef PTOPT_PT_ALLOC_H
#define PTOPT_PT_ALLOC_H

#include <stddef.h>

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

#endif							/* PTOPT_PT_ALLOC_H */
