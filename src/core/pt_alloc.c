/*
 * pt_alloc.c — malloc wrappers with a live-allocation counter.
 */
#include <stdlib.h>
#include <string.h>

#include "pt_alloc.h"

/* Live allocations; approximate under threads (core is single-threaded). */
static long pt_alloc_live = 0;

/* malloc through the allocator. */
void *
PtMalloc(size_t size)
{
	void	   *p = malloc(size == 0 ? 1 : size);

	if (p != NULL)
		pt_alloc_live++;
	return p;
}

/* calloc through the allocator. */
void *
PtCalloc(size_t count, size_t size)
{
	void	   *p = calloc(count == 0 ? 1 : count, size == 0 ? 1 : size);

	if (p != NULL)
		pt_alloc_live++;
	return p;
}

/* realloc through the allocator. */
void *
PtRealloc(void *ptr, size_t size)
{
	void	   *p = realloc(ptr, size == 0 ? 1 : size);

	if (p != NULL && ptr == NULL)
		pt_alloc_live++;
	return p;
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
	if (ptr == NULL)
		return;
	pt_alloc_live--;
	free(ptr);
}

/* Number of live allocations. */
long
PtAllocLive(void)
{
	return pt_alloc_live;
}
