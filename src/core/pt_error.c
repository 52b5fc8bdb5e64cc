/*
 * pt_error.c — filling PtError values.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pt_error.h"

/* Reset an error to PT_OK with empty texts. */
void
PtErrorClear(PtError *err)
{
	if (err == NULL)
		return;
	err->code = PT_OK;
	err->message[0] = '\0';
	err->detail[0] = '\0';
	err->hint[0] = '\0';
	err->sqlstate[0] = '\0';
}

/* Set code and message; returns the code. */
PtErrorCode
PtErrorSet(PtError *err, PtErrorCode code, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return code;
	PtErrorClear(err);
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

/* Set the detail sentence. */
void
PtErrorDetail(PtError *err, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

/* Set the hint sentence. */
void
PtErrorHint(PtError *err, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

/* The symbolic name of a code. */
const char *
PtErrorCodeName(PtErrorCode code)
{
	switch (code)
	{
		case PT_OK:
			return "PT_OK";
		case PT_ERR_INVALID_PARAMETER:
			return "PT_ERR_INVALID_PARAMETER";
		case PT_ERR_INVALID_TEXT:
			return "PT_ERR_INVALID_TEXT";
		case PT_ERR_HARD_GATE:
			return "PT_ERR_HARD_GATE";
		case PT_ERR_LLM_TIMEOUT:
			return "PT_ERR_LLM_TIMEOUT";
		case PT_ERR_LLM_HTTP:
			return "PT_ERR_LLM_HTTP";
		case PT_ERR_LLM_REPLY:
			return "PT_ERR_LLM_REPLY";
		case PT_ERR_LLM_CONFIG:
			return "PT_ERR_LLM_CONFIG";
		case PT_ERR_CANCELLED:
			return "PT_ERR_CANCELLED";
		case PT_ERR_OUT_OF_MEMORY:
			return "PT_ERR_OUT_OF_MEMORY";
		case PT_ERR_INTERNAL:
			return "PT_ERR_INTERNAL";
	}
	return "PT_ERR_UNKNOWN";
}
