/*
 * pt_alloc.c — the allocator indirection, malloc by default, with a live-allocation counter.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pt_alloc.h"

/* Live allocations; only threads allowed to allocate change it. */
static long pt_alloc_live = 0;

/* malloc, or calloc when zero is asked. */
static void *
malloc_alloc(size_t size, bool zero)
{
	return zero ? calloc(1, size) : malloc(size);
}

static const PtAllocator malloc_allocator = {malloc_alloc, realloc, free};
static PtAllocator pt_allocator = {malloc_alloc, realloc, free};

/* Set in threads that must not allocate (PtAllocRefuseThisThread), with their refused calls. */
static _Thread_local bool pt_alloc_refused_thread = false;
static _Thread_local long pt_alloc_refused_calls = 0;

/* True (and the call counted) when the calling thread may not allocate. */
static inline bool
refused(void)
{
	if (!pt_alloc_refused_thread)
		return false;
	pt_alloc_refused_calls++;
	return true;
}

/* Refuse every later allocation call of the calling thread. */
void
PtAllocRefuseThisThread(void)
{
	pt_alloc_refused_thread = true;
}

/* Allocation calls refused to the calling thread so far. */
long
PtAllocRefusedThisThread(void)
{
	return pt_alloc_refused_calls;
}

/* Route every later allocation through allocator (NULL: back to malloc). */
void
PtAllocUse(const PtAllocator *allocator)
{
	pt_allocator = allocator != NULL ? *allocator : malloc_allocator;
}

/* malloc through the allocator. */
void *
PtMalloc(size_t size)
{
	void	   *p;

	if (refused())
		return NULL;
	p = pt_allocator.alloc(size == 0 ? 1 : size, false);

	if (p != NULL)
		pt_alloc_live++;
	return p;
}

/* calloc through the allocator. */
void *
PtCalloc(size_t count, size_t size)
{
	void	   *p;

	if (refused())
		return NULL;
	if (count == 0)
		count = 1;
	if (size == 0)
		size = 1;
	if (count > SIZE_MAX / size)
		return NULL;
	p = pt_allocator.alloc(count * size, true);
	if (p != NULL)
		pt_alloc_live++;
	return p;
}

/* realloc through the allocator. */
void *
PtRealloc(void *ptr, size_t size)
{
	if (ptr == NULL)
		return PtMalloc(size);
	if (refused())
		return NULL;
	return pt_allocator.realloc(ptr, size == 0 ? 1 : size);
}

/* strdup through the allocator. */
char *
PtStrdup(const char *s)
{
	size_t		len;
	char	   *p;

	if (s == NULL)
		return NULL;
	len = strlen(s);
	p = PtMalloc(len + 1);
	if (p != NULL)
		memcpy(p, s, len + 1);
	return p;
}

/* free through the allocator. */
void
PtFree(void *ptr)
{
	if (ptr == NULL || refused())
		return;
	pt_alloc_live--;
	pt_allocator.free(ptr);
}

/* Number of live allocations. */
long
PtAllocLive(void)
{
	return pt_alloc_live;
}
