/*
 * llm_text.h — a growable text buffer, and the filter that keeps held-out
 * results out of anything a model reads.
 */
#ifndef PTOPT_LLM_TEXT_H
#define PTOPT_LLM_TEXT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct PtBuf
{
	char	   *data;			/* NUL-terminated, PtMalloc'd */
	size_t		len;
	size_t		cap;
	bool		oom;			/* an append failed: the text is incomplete */
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

/*
 * True when text mentions a held-out result: "held-out", "held out",
 * "holdout" (any case, any dash or space between the words).
 */
extern bool PtTextMentionsHoldout(const char *text);

/*
 * Append text to buf with every clause that mentions a held-out result left
 * out (clauses end at ". ", "; " or a line end), new lines turned into
 * spaces, and at most max bytes kept (cut at a character boundary, "..."
 * appended when cut).
 */
extern void PtBufAppendTraining(PtBuf *buf, const char *text, size_t max);

#endif							/* PTOPT_LLM_TEXT_H */
