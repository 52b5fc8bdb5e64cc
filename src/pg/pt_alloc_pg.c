/*
 * pt_alloc_pg.c — core's allocator on memory contexts (pgvector's pattern).
 *
 * Allocation asks MemoryContextAllocExtended(..., MCXT_ALLOC_NO_OOM) so core
 * sees NULL and reports PT_ERR_OUT_OF_MEMORY itself; an ERROR anywhere frees
 * core memory with the context it lives in.  repalloc keeps a chunk in its
 * own context, so an object grown later stays where it was made (PostgreSQL
 * 15 has no NO_OOM repalloc: running out of memory while growing raises
 * ERROR 53200 instead of returning NULL).
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "pt_alloc.h"
#include "pt_alloc_pg.h"

static MemoryContext pt_alloc_target = NULL;

/* Allocate in the target context, or the current one. */
static void *
pg_alloc(size_t size, bool zero)
{
	MemoryContext cxt = pt_alloc_target != NULL ? pt_alloc_target : CurrentMemoryContext;

	return MemoryContextAllocExtended(cxt, size,
									  MCXT_ALLOC_NO_OOM | MCXT_ALLOC_HUGE | (zero ? MCXT_ALLOC_ZERO : 0));
}

/* Grow or shrink a chunk in its own context. */
static void *
pg_realloc(void *ptr, size_t size)
{
	return repalloc_huge(ptr, size);
}

/* Free a chunk. */
static void
pg_free(void *ptr)
{
	pfree(ptr);
}

static const PtAllocator pg_allocator = {pg_alloc, pg_realloc, pg_free};

/* Point core's allocator at memory contexts. */
void
PtPgAllocInit(void)
{
	PtAllocUse(&pg_allocator);
}

/* Set the context core allocates in; returns the previous target. */
MemoryContext
PtAllocTarget(MemoryContext target)
{
	MemoryContext old = pt_alloc_target;

	pt_alloc_target = target;
	return old;
}
