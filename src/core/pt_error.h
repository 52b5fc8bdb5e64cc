/*
 * pt_error.h — error values returned by the PostgreSQL-free layers.
 *
 * core and clob never raise; they fill a PtError and return its code.  The
 * glue (src/pg/pt_report.c) maps each code to a SQLSTATE.
 */
#ifndef PTOPT_PT_ERROR_H
#define PTOPT_PT_ERROR_H

#define PT_ERROR_MESSAGE_MAX 512
#define PT_ERROR_DETAIL_MAX 1024
#define PT_ERROR_HINT_MAX 512

typedef enum PtErrorCode
{
	PT_OK = 0,
	PT_ERR_INVALID_PARAMETER,	/* a bad argument value: 22023 */
	PT_ERR_INVALID_TEXT,		/* malformed text or JSON: 22P02 */
	PT_ERR_HARD_GATE,			/* a hard-gated key: PT001 */
	PT_ERR_LLM_TIMEOUT,			/* PT002 */
	PT_ERR_LLM_HTTP,			/* PT003 */
	PT_ERR_LLM_REPLY,			/* PT004 */
	PT_ERR_LLM_CONFIG,			/* PT005 */
	PT_ERR_CANCELLED,			/* the stop callback fired */
	PT_ERR_OUT_OF_MEMORY,		/* 53200 */
	PT_ERR_INTERNAL				/* cannot happen: XX000 */
} PtErrorCode;

typedef struct PtError
{
	PtErrorCode code;
	char		message[PT_ERROR_MESSAGE_MAX];	/* lower case, no period */
	char		detail[PT_ERROR_DETAIL_MAX];	/* a full sentence, or "" */
	char		hint[PT_ERROR_HINT_MAX];		/* a full sentence, or "" */
	char		sqlstate[6];	/* the five-character SQLSTATE of an error that came from
								 * outside core (a user's SQL objective), or "" */
} PtError;

/* Reset an error to PT_OK with empty texts. */
extern void PtErrorClear(PtError *err);

/* Set code and message (printf-style); returns the code for "return PtErrorSet(...)". */
extern PtErrorCode PtErrorSet(PtError *err, PtErrorCode code, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/* Set the detail sentence of an error already set. */
extern void PtErrorDetail(PtError *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/* Set the hint sentence of an error already set. */
extern void PtErrorHint(PtError *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/* The name of a code, for tests and logs ("PT_ERR_HARD_GATE"). */
extern const char *PtErrorCodeName(PtErrorCode code);

#endif							/* PTOPT_PT_ERROR_H */
