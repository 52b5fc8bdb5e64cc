/*
 * pt_json.c — strict json-c parsing, shortest round-trip doubles, a JSON text builder.
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "pt_alloc.h"
#include "pt_json.h"

#define PT_JSON_BUF_INITIAL 256		/* first allocation of a text builder */

/* Write v in its shortest round-trip form into buf. */
void
PtFormatDouble(double v, char *buf, size_t size)
{
	int			digits;

	if (size == 0)
		return;
	if (!isfinite(v))
	{
		snprintf(buf, size, "%s", isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"));
		return;
	}
	for (digits = 15; digits <= 17; digits++)
	{
		snprintf(buf, size, "%.*g", digits, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

/* The kind of a JSON value for messages. */
const char *
PtJsonKind(const struct json_object *v)
{
	switch (json_object_get_type(v))
	{
		case json_type_null:
			return "null";
		case json_type_boolean:
			return "a boolean";
		case json_type_double:
		case json_type_int:
			return "a number";
		case json_type_string:
			return "a string";
		case json_type_array:
			return "an array";
		case json_type_object:
			return "an object";
	}
	return "an unknown value";
}

/* Compact canonical JSON text of a value. */
const char *
PtJsonCanonical(struct json_object *v)
{
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Parse JSON text strictly, refusing trailing garbage. */
struct json_object *
PtJsonParse(const char *json_text, const char *what, PtError *err)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	size_t		len;
	size_t		used;

	if (what == NULL)
		what = "the JSON text";
	if (json_text == NULL)
	{
		PtErrorSet(err, PT_ERR_INVALID_TEXT, "%s is missing", what);
		return NULL;
	}
	len = strlen(json_text);
	while (len > 0 && isspace((unsigned char) json_text[len - 1]))
		len--;
	if (len == 0)
	{
		PtErrorSet(err, PT_ERR_INVALID_TEXT, "%s is empty, not JSON", what);
		return NULL;
	}
	if (len > (size_t) INT32_MAX)
	{
		PtErrorSet(err, PT_ERR_INVALID_TEXT, "%s is too long", what);
		return NULL;
	}
	tok = json_tokener_new_ex(PT_JSON_MAX_DEPTH);
	if (tok == NULL)
	{
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory parsing %s", what);
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, json_text, (int) len);
	jerr = json_tokener_get_error(tok);
	used = json_tokener_get_parse_end(tok);
	if (obj == NULL && jerr == json_tokener_continue)
	{
		/* A bare number or literal ends only at the terminating NUL: feed it. */
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
	}
	json_tokener_free(tok);
	if (jerr == json_tokener_error_depth)
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "%s is nested deeper than %d levels",
				   what, PT_JSON_MAX_DEPTH);
		return NULL;
	}
	if (obj == NULL || jerr != json_tokener_success || used != len)
	{
		if (obj != NULL)
			json_object_put(obj);
		PtErrorSet(err, PT_ERR_INVALID_TEXT, "%s is not valid JSON", what);
		if (jerr == json_tokener_success)
			PtErrorDetail(err, "Unexpected characters follow the JSON value at offset %zu.", used);
		else
			PtErrorDetail(err, "json-c reports \"%s\" at offset %zu.",
						  json_tokener_error_desc(jerr), used);
		return NULL;
	}
	return obj;
}

/* Make room for len more bytes and a NUL; false (and oom set) when out of memory. */
static bool
buf_reserve(PtJsonBuf *buf, size_t len)
{
	size_t		need;
	size_t		cap;
	char	   *data;

	if (buf->oom)
		return false;
	need = buf->len + len + 1;
	if (need <= buf->cap)
		return true;
	cap = buf->cap == 0 ? PT_JSON_BUF_INITIAL : buf->cap;
	while (cap < need)
		cap *= 2;
	data = PtRealloc(buf->data, cap);
	if (data == NULL)
	{
		buf->oom = true;
		return false;
	}
	buf->data = data;
	buf->cap = cap;
	return true;
}

/* Append raw bytes. */
void
PtJsonBufAppend(PtJsonBuf *buf, const char *s, size_t len)
{
	if (!buf_reserve(buf, len))
		return;
	memcpy(buf->data + buf->len, s, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
}

/* Append a NUL-terminated string as a quoted, escaped JSON string. */
void
PtJsonBufAppendString(PtJsonBuf *buf, const char *s)
{
	const unsigned char *p;

	PtJsonBufAppend(buf, "\"", 1);
	for (p = (const unsigned char *) s; *p != '\0'; p++)
	{
		char		esc[8];

		switch (*p)
		{
			case '"':
				PtJsonBufAppend(buf, "\\\"", 2);
				break;
			case '\\':
				PtJsonBufAppend(buf, "\\\\", 2);
				break;
			case '\n':
				PtJsonBufAppend(buf, "\\n", 2);
				break;
			case '\r':
				PtJsonBufAppend(buf, "\\r", 2);
				break;
			case '\t':
				PtJsonBufAppend(buf, "\\t", 2);
				break;
			default:
				if (*p < 0x20)
				{
					snprintf(esc, sizeof(esc), "\\u%04x", *p);
					PtJsonBufAppend(buf, esc, 6);
				}
				else
					PtJsonBufAppend(buf, (const char *) p, 1);
		}
	}
	PtJsonBufAppend(buf, "\"", 1);
}

/* Append a double in shortest round-trip form. */
void
PtJsonBufAppendDouble(PtJsonBuf *buf, double v)
{
	char		text[PT_DOUBLE_TEXT_MAX];

	PtFormatDouble(v, text, sizeof(text));
	PtJsonBufAppend(buf, text, strlen(text));
}

/* The finished text, or NULL when an append ran out of memory. */
char *
PtJsonBufFinish(PtJsonBuf *buf)
{
	char	   *data;

	if (buf->oom || !buf_reserve(buf, 0))
	{
		PtFree(buf->data);
		data = NULL;
	}
	else
		data = buf->data;
	buf->data = NULL;
	buf->len = buf->cap = 0;
	return data;
}
