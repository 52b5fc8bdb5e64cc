/*
 * pt_json.h — the JSON helpers core shares: strict parsing with json-c,
 * shortest round-trip numbers, and a small text builder for JSON output.
 *
 * JSON reaches core only at the edges (a run's space and options, a
 * parameter set a test or the glue hands over); inside, points are arrays of
 * doubles.  Input that came from jsonb has no repeated keys and is valid by
 * construction, so there is no scanner of our own: json-c parses, with a
 * nesting limit far above what any space or option needs.
 */
#ifndef PTOPT_PT_JSON_H
#define PTOPT_PT_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "pt_error.h"

#define PT_DOUBLE_TEXT_MAX 32		/* bytes of a double in shortest round-trip form */
#define PT_JSON_MAX_DEPTH 10000		/* nesting json-c accepts (its default is 32) */

struct json_object;

/*
 * Parse JSON text: one value, nothing but white space after it, nesting up
 * to PT_JSON_MAX_DEPTH.  what names the text in messages ("the search
 * space").  NULL with err set when it is malformed (PT_ERR_INVALID_TEXT) or
 * nested deeper (PT_ERR_INVALID_PARAMETER).  Release with json_object_put.
 * A key given twice keeps its last value (jsonb input never repeats one).
 */
extern struct json_object *PtJsonParse(const char *json_text, const char *what, PtError *err);

/* Write v in its shortest round-trip form (%.15g, %.16g or %.17g) into buf. */
extern void PtFormatDouble(double v, char *buf, size_t size);

/* The kind of a JSON value for messages ("a string", "an array", "null"). */
extern const char *PtJsonKind(const struct json_object *v);

/* Compact canonical JSON text of a value (owned by v, valid until v changes). */
extern const char *PtJsonCanonical(struct json_object *v);

/* A growing PtMalloc'd text buffer; oom is set once an append fails. */
typedef struct PtJsonBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		oom;
} PtJsonBuf;

/* Append raw bytes. */
extern void PtJsonBufAppend(PtJsonBuf *buf, const char *s, size_t len);

/* Append a NUL-terminated string as a quoted, escaped JSON string. */
extern void PtJsonBufAppendString(PtJsonBuf *buf, const char *s);

/* Append a double in shortest round-trip form. */
extern void PtJsonBufAppendDouble(PtJsonBuf *buf, double v);

/* The finished text (the caller PtFrees it), or NULL when an append ran out of memory. */
extern char *PtJsonBufFinish(PtJsonBuf *buf);

#endif							/* PTOPT_PT_JSON_H */
