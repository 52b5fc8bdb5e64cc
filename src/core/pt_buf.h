/*
 * pt_buf.h — the growable text buffer core writes prompts, reports and messages into.
 *
 * Appends never fail loudly: an allocation failure sets failed, later
 * appends do nothing, and PtBufTake returns NULL, so a caller checks once.
 */
#ifndef PTOPT_PT_BUF_H
#define PTOPT_PT_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct PtBuf
{
	char	   *data;			/* NUL-terminated, PtMalloc'd */
	size_t		len;
	size_t		cap;
	bool		failed;			/* an append failed: the text is incomplete */
} PtBuf;

/* Append printf-style text. */
extern void PtBufPrintf(PtBuf *buf, const char *fmt,...) __attribute__((format(printf, 2, 3)));

/* Append at most n bytes of s. */
extern void PtBufAppendN(PtBuf *buf, const char *s, size_t n);

/* Append a string. */
extern void PtBufAppend(PtBuf *buf, const char *s);

/* Cut the text back to len bytes. */
extern void PtBufTruncate(PtBuf *buf, size_t len);

/* Hand the text over (PtMalloc'd; "" when empty) and reset the buffer; NULL when out of memory. */
extern char *PtBufTake(PtBuf *buf);

/* Free the buffer's text. */
extern void PtBufFree(PtBuf *buf);

#endif							/* PTOPT_PT_BUF_H */
