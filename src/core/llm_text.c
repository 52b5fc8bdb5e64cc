/*
 * llm_text.c — the held-out filter: a prompt is made from training results only.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "llm_text.h"
#include "pt_alloc.h"


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
