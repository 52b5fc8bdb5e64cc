/*
 * report_buf.c — the text buffer, HTML escaping and number formatting of the reports.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pt_alloc.h"
#include "report_buf.h"
#include "space.h"

/* Append len bytes, growing the buffer by doubling. */
void
PtBufAppend(PtBuf *b, const char *s, size_t len)
{
	if (b->failed)
		return;
	if (b->len + len + 1 > b->cap)
	{
		size_t		cap = b->cap == 0 ? 8192 : b->cap;
		char	   *nd;

		while (cap < b->len + len + 1)
			cap *= 2;
		nd = PtRealloc(b->data, cap);
		if (nd == NULL)
		{
			b->failed = true;
			return;
		}
		b->data = nd;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, len);
	b->len += len;
	b->data[b->len] = '\0';
}

/* Append a string. */
void
PtBufPuts(PtBuf *b, const char *s)
{
	PtBufAppend(b, s, strlen(s));
}

/* Append printf-style. */
void
PtBufPrintf(PtBuf *b, const char *fmt,...)
{
	char		small[512];
	va_list		ap;
	int			len;

	va_start(ap, fmt);
	len = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if ((size_t) len < sizeof(small))
	{
		PtBufAppend(b, small, (size_t) len);
		return;
	}
	{
		char	   *big = PtMalloc((size_t) len + 1);

		if (big == NULL)
		{
			b->failed = true;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(big, (size_t) len + 1, fmt, ap);
		va_end(ap);
		PtBufAppend(b, big, (size_t) len);
		PtFree(big);
	}
}

/* Append up to len bytes of s, escaped. */
static void
escape_n(PtBuf *b, const char *s, size_t len)
{
	size_t		start = 0;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];
		const char *rep = NULL;
		char		num[16];

		switch (c)
		{
			case '&':
				rep = "&amp;";
				break;
			case '<':
				rep = "&lt;";
				break;
			case '>':
				rep = "&gt;";
				break;
			case '"':
				rep = "&quot;";
				break;
			case '\'':
				rep = "&#39;";
				break;
			default:
				if (c < 0x20 && c != '\n' && c != '\t')
				{
					snprintf(num, sizeof(num), "&#%u;", c == '\r' ? 10u : 0xfffdu);
					rep = num;
				}
				break;
		}
		if (rep != NULL)
		{
			PtBufAppend(b, s + start, i - start);
			PtBufPuts(b, rep);
			start = i + 1;
		}
	}
	PtBufAppend(b, s + start, len - start);
}

/* Append s escaped. */
void
PtBufEscape(PtBuf *b, const char *s)
{
	if (s != NULL)
		escape_n(b, s, strlen(s));
}

/* Append at most max bytes of s escaped, with an ellipsis when cut. */
void
PtBufEscapeMax(PtBuf *b, const char *s, size_t max)
{
	size_t		len;

	if (s == NULL)
		return;
	len = strlen(s);
	if (len <= max)
	{
		escape_n(b, s, len);
		return;
	}
	while (max > 0 && ((unsigned char) s[max] & 0xC0) == 0x80)
		max--;					/* do not cut a UTF-8 character */
	escape_n(b, s, max);
	PtBufPuts(b, "\xe2\x80\xa6");	/* … */
}

/* Append a score in shortest round-trip form. */
void
PtBufScore(PtBuf *b, bool has, double v)
{
	char		num[PT_DOUBLE_TEXT_MAX];

	if (!has || !isfinite(v))
	{
		PtBufPuts(b, has ? (isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity")) : "\xe2\x80\x93");
		return;
	}
	if (v == 0)
		v = 0;					/* no -0 */
	PtFormatDouble(v, num, sizeof(num));
	PtBufPuts(b, num);
}

/* Append a number with 4 significant digits. */
void
PtBufShort(PtBuf *b, double v)
{
	if (fabs(v) < 1e-300)
		v = 0;
	PtBufPrintf(b, "%.4g", v);
}

/* A CSS class fragment: the word itself when it is [a-z_], else "other". */
const char *
PtReportClass(const char *s)
{
	const char *p;

	if (s == NULL || *s == '\0' || strlen(s) > 32)
		return "other";
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
			return "other";
	return s;
}

/* The colour of a source (the legend and the points agree). */
const char *
PtReportSourceColour(const char *source)
{
	static const struct
	{
		const char *source;
		const char *colour;
	}			colours[] = {
		{"random", "#1f77b4"}, {"tpe", "#2ca02c"}, {"llm", "#9467bd"},
		{"llm_fallback", "#ff7f0e"}, {"warm_start", "#8c564b"},
	};
	size_t		i;

	for (i = 0; source != NULL && i < sizeof(colours) / sizeof(colours[0]); i++)
		if (strcmp(source, colours[i].source) == 0)
			return colours[i].colour;
	return "#7f7f7f";
}
