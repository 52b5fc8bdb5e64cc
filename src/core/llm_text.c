/*
 * llm_text.c — the text buffer the prompt builder writes into, and the
 * held-out filter: a prompt is made from training results only.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "llm_text.h"
#include "pt_alloc.h"

#define PT_BUF_MIN 1024

/* Make room for n more bytes and the NUL; false (and oom set) when out of memory. */
static bool
reserve(PtBuf *buf, size_t n)
{
	size_t		cap;
	char	   *p;

	if (buf->oom)
		return false;
	if (buf->len + n + 1 <= buf->cap)
		return true;
	cap = buf->cap < PT_BUF_MIN ? PT_BUF_MIN : buf->cap;
	while (cap < buf->len + n + 1)
		cap *= 2;
	p = PtRealloc(buf->data, cap);
	if (p == NULL)
	{
		buf->oom = true;
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

	if (buf->oom)
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

/* True when s starts (case-insensitively) with "held", a gap of dashes, spaces or none, then "out". */
static bool
holdout_at(const char *s, size_t n)
{
	size_t		i = 4;

	if (n < 7 || strncasecmp(s, "held", 4) != 0)
		return false;
	while (i < n && i < 8 && (s[i] == '-' || s[i] == ' ' || s[i] == '_' || s[i] == '\t'))
		i++;
	return i + 3 <= n && strncasecmp(s + i, "out", 3) == 0;
}

/* True when the n bytes at s mention a held-out result ("hold-out" and "holdout" too). */
static bool
mentions_holdout_n(const char *s, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		if (tolower((unsigned char) s[i]) != 'h')
			continue;
		if (holdout_at(s + i, n - i))
			return true;
		if (n - i >= 7 && strncasecmp(s + i, "hold", 4) == 0)
		{
			size_t		j = i + 4;

			while (j < n && j < i + 6 && (s[j] == '-' || s[j] == ' ' || s[j] == '_'))
				j++;
			if (j + 3 <= n && strncasecmp(s + j, "out", 3) == 0)
				return true;
		}
	}
	return false;
}

/* True when text mentions a held-out result. */
bool
PtTextMentionsHoldout(const char *text)
{
	return text != NULL && mentions_holdout_n(text, strlen(text));
}

/* Length of the clause starting at s: up to and including ". ", "; " or a new line, or the end. */
static size_t
clause_len(const char *s)
{
	size_t		i;

	for (i = 0; s[i] != '\0'; i++)
	{
		if (s[i] == '\n' || s[i] == '\r')
			return i + 1;
		if ((s[i] == '.' || s[i] == ';') && (s[i + 1] == ' ' || s[i + 1] == '\0' || s[i + 1] == '\n'))
			return i + 1;
	}
	return i;
}

/* Append text minus its held-out clauses, on one line, cut to max bytes. */
void
PtBufAppendTraining(PtBuf *buf, const char *text, size_t max)
{
	size_t		start = buf->len;
	const char *s = text;

	if (text == NULL)
		return;
	while (*s != '\0')
	{
		size_t		n = clause_len(s);

		if (!mentions_holdout_n(s, n))
		{
			size_t		i;

			for (i = 0; i < n; i++)
			{
				char		c = (s[i] == '\n' || s[i] == '\r' || s[i] == '\t') ? ' ' : s[i];

				if (c == ' ' && (buf->len == start || buf->data[buf->len - 1] == ' '))
					continue;	/* no leading or doubled spaces */
				PtBufAppendN(buf, &c, 1);
			}
		}
		s += n;
	}
	if (buf->data != NULL && buf->len - start > max)
	{
		size_t		cut = start + (max > 3 ? max - 3 : 0);

		/* back up to the start of a UTF-8 character */
		while (cut > start && ((unsigned char) buf->data[cut] & 0xC0) == 0x80)
			cut--;
		PtBufTruncate(buf, cut);
		PtBufAppend(buf, "...");
	}
	/* clauses joined by the dropping can spell it again ("held\nout"): then drop it all */
	if (buf->data != NULL && mentions_holdout_n(buf->data + start, buf->len - start))
		PtBufTruncate(buf, start);
	/* trailing separators left by a dropped clause */
	while (buf->len > start && (buf->data[buf->len - 1] == ' ' || buf->data[buf->len - 1] == ';'))
		PtBufTruncate(buf, buf->len - 1);
}
