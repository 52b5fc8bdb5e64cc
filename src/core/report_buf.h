/*
 * report_buf.h — the growing text buffer and HTML helpers the report files share.
 */
#ifndef PTOPT_REPORT_BUF_H
#define PTOPT_REPORT_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct PtBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		failed;			/* an allocation failed: the text is incomplete */
} PtBuf;

/* Append len bytes. */
extern void PtBufAppend(PtBuf *b, const char *s, size_t len);

/* Append a NUL-terminated string. */
extern void PtBufPuts(PtBuf *b, const char *s);

/* Append printf-style. */
extern void PtBufPrintf(PtBuf *b, const char *fmt,...) __attribute__((format(printf, 2, 3)));

/* Append s HTML-escaped (& < > " ' and control characters); NULL appends nothing. */
extern void PtBufEscape(PtBuf *b, const char *s);

/* Append at most max bytes of s escaped, cut at a UTF-8 character boundary, with an ellipsis when cut. */
extern void PtBufEscapeMax(PtBuf *b, const char *s, size_t max);

/* Append a score: shortest round-trip form, "–" for none. */
extern void PtBufScore(PtBuf *b, bool has, double v);

/* Append a number with 4 significant digits (axis labels, table cells). */
extern void PtBufShort(PtBuf *b, double v);

/* The CSS class fragment of a source or status: [a-z_] only, else "other". */
extern const char *PtReportClass(const char *s);

/* The colour of a source. */
extern const char *PtReportSourceColour(const char *source);



/* Open the page: doctype, head with title (escaped), the shared CSS, a meta refresh when refresh_s > 0. */
extern void PtReportHead(PtBuf *b, const char *title, int refresh_s);

/* Close the page. */
extern void PtReportFoot(PtBuf *b);

/* Append an elapsed time ("850 ms", "12.3 s", "4 min 12 s", "2 h 5 min"). */
extern void PtBufElapsed(PtBuf *b, double seconds);
#endif							/* PTOPT_REPORT_BUF_H */
