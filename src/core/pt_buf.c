/*
 * pt_buf.c — the growable text buffer core writes prompts, reports and messages into.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pt_alloc.h"
#include "pt_buf.h"

#define PT_BUF_MIN 1024

/* Make rfailed for n more bytes and the NUL; false (and failed set) when out of memory. */
static bool
reserve(PtBuf *buf, size_t n)
{
	size_t		cap;
	char	   *p;

	if (buf->failed)
		return false;
	if (buf->len + n + 1 <= buf->cap)
		return true;
	cap = buf->cap < PT_BUF_MIN ? PT_BUF_MIN : buf->cap;
	while (cap < buf->len + n + 1)
		cap *= 2;
	p = PtRealloc(buf->data, cap);
	if (p == NULL)
	{
		buf->failed = true;
		return false;
	}
	buf->data = p;
	buf->cap = cap;
	return true;
}

/* Append at most n bytes of s. */
void
PtBufAppendN(PtBuf *buf, const char *s, size_t n)
{
	size_t		m = strnlen(s, n);

	if (!reserve(buf, m))
		return;
	memcpy(buf->data + buf->len, s, m);
	buf->len += m;
	buf->data[buf->len] = '\0';
}

/* Append a string. */
void
PtBufAppend(PtBuf *buf, const char *s)
{
	PtBufAppendN(buf, s, strlen(s));
}

/* Append printf-style text. */
void
PtBufPrintf(PtBuf *buf, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(buf, (size_t) n))
		return;
	va_start(ap, fmt);
	vsnprintf(buf->data + buf->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	buf->len += (size_t) n;
}

/* Cut the text back to len bytes. */
void
PtBufTruncate(PtBuf *buf, size_t len)
{
	if (buf->data != NULL && len < buf->len)
	{
		buf->len = len;
		buf->data[len] = '\0';
	}
}

/* Hand the text over and reset the buffer. */
char *
PtBufTake(PtBuf *buf)
{
	char	   *s;

	if (buf->failed)
	{
		PtBufFree(buf);
		return NULL;
	}
	s = buf->data != NULL ? buf->data : PtStrdup("");
	memset(buf, 0, sizeof(*buf));
	return s;
}

/* Free the buffer's text. */
void
PtBufFree(PtBuf *buf)
{
	PtFree(buf->data);
	memset(buf, 0, sizeof(*buf));
}
