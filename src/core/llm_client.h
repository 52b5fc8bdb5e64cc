/*
 * llm_client.h — one chat request to a model over HTTP (libcurl + json-c),
 * with retries, timeouts, a reply cap and cancellation.
 *
 * PostgreSQL-free: the caller passes the settings and a PtStop; the glue maps
 * the error codes (PT_ERR_LLM_TIMEOUT PT002, PT_ERR_LLM_HTTP PT003,
 * PT_ERR_LLM_REPLY PT004, PT_ERR_LLM_CONFIG PT005, PT_ERR_CANCELLED 57014).
 * The API key is read from its file on each call, lives in memory only for
 * the call, is wiped before it is freed, and never enters an error text.
 */
#ifndef PTOPT_LLM_CLIENT_H
#define PTOPT_LLM_CLIENT_H

#include "llm_settings.h"
#include "pt_error.h"
#include "pt_stop.h"

#define PT_LLM_KEY_MAX 4096			/* bytes of an API key file */

typedef struct PtLlmRequest
{
	const char *system;			/* system text */
	const char *user;			/* user text */
	const char *model;			/* NULL = settings->model */
	double		temperature;	/* < 0 = leave it out */
	bool		json_mode;		/* openai: response_format json_object */
} PtLlmRequest;

typedef struct PtLlmResponse
{
	char	   *text;			/* the model's answer (PtMalloc'd) */
	long		tokens_in;		/* summed over attempts that returned usage */
	long		tokens_out;
	int			attempts;		/* HTTP requests made */
	int			http_status;	/* of the last attempt, 0 when none completed */
} PtLlmResponse;

/*
 * Send one request and wait for the answer, retrying 429, 5xx and dropped
 * connections up to settings->max_retries times with exponential backoff
 * (Retry-After honoured).  On error out->text is NULL, but the token counts
 * and attempts are still filled; free out with PtLlmResponseFree either way.
 */
extern int	PtLlmCall(const PtLlmSettings *settings, const PtLlmRequest *req, const PtStop *stop,
					  PtLlmResponse *out, PtError *err);

/* Release what a response holds (the struct itself is the caller's). */
extern void PtLlmResponseFree(PtLlmResponse *resp);

/* Release the process's reusable curl handle (tests call it before a leak check). */
extern void PtLlmClientShutdown(void);

/*
 * Read an API key file: the first line, surrounding white space removed.
 * PT_ERR_LLM_CONFIG (without the key or the file's contents in the text) when
 * it cannot be read or is empty.  Wipe and free the key with PtLlmKeyFree.
 */
extern int	PtLlmReadKey(const char *path, char **key_out, PtError *err);

/* Overwrite a key with zeros and free it (NULL is fine). */
extern void PtLlmKeyFree(char *key);

#endif							/* PTOPT_LLM_CLIENT_H */
