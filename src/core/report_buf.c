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
			PtBufAppendN(b, s + start, i - start);
			PtBufAppend(b, rep);
			start = i + 1;
		}
	}
	PtBufAppendN(b, s + start, len - start);
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
	PtBufAppend(b, "\xe2\x80\xa6");	/* … */
}

/* Append a score in shortest round-trip form. */
void
PtBufScore(PtBuf *b, bool has, double v)
{
	char		num[PT_DOUBLE_TEXT_MAX];

	if (!has || !isfinite(v))
	{
		PtBufAppend(b, has ? (isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity")) : "\xe2\x80\x93");
		return;
	}
	if (v == 0)
		v = 0;					/* no -0 */
	PtFormatDouble(v, num, sizeof(num));
	PtBufAppend(b, num);
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
