/*
 * llm_settings.h — what the LLM client needs to reach a model: provider,
 * endpoint, model, key file, timeouts and retries.
 *
 * The glue fills one from the ptopt.llm_* settings (src/pg/pt_llm_settings.c)
 * and hands it to the strategies through PtStrategyInit; the unit tests fill
 * it by hand.  The strings are borrowed: they must outlive the calls.  The key
 * itself is never here: only the name of the file that holds it, read anew
 * on every call.
 */
#ifndef PTOPT_LLM_SETTINGS_H
#define PTOPT_LLM_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#define PT_LLM_DEFAULT_TIMEOUT_MS 60000		/* whole request, connect included */
#define PT_LLM_DEFAULT_CONNECT_TIMEOUT_MS 10000
#define PT_LLM_DEFAULT_MAX_RETRIES 3
#define PT_LLM_DEFAULT_MAX_REPLY_BYTES (1024 * 1024)	/* a reply larger than this is refused */
#define PT_LLM_DEFAULT_MAX_TOKENS 2048		/* anthropic's required max_tokens */
#define PT_LLM_DEFAULT_BACKOFF_MS 500		/* first retry delay; doubles each retry */
#define PT_LLM_MAX_BACKOFF_MS 30000			/* longest wait between retries, Retry-After included */

typedef enum PtLlmProvider
{
	PT_LLM_OPENAI,				/* chat completions: OpenAI, Ollama, llama.cpp, vLLM */
	PT_LLM_ANTHROPIC			/* messages */
} PtLlmProvider;

typedef struct PtLlmSettings
{
	PtLlmProvider provider;
	const char *endpoint;		/* full URL of the completions/messages resource; NULL or "" = none */
	const char *model;			/* default model; options.llm.model overrides it */
	const char *api_key_file;	/* NULL or "" = send no key (a local model) */
	int			timeout_ms;		/* total time of one attempt */
	int			connect_timeout_ms;
	int			max_retries;	/* further attempts after a 429, a 5xx or a dropped connection */
	int			backoff_ms;		/* first retry delay (0 = PT_LLM_DEFAULT_BACKOFF_MS) */
	size_t		max_reply_bytes;	/* 0 = PT_LLM_DEFAULT_MAX_REPLY_BYTES */
	int			max_tokens;		/* 0 = PT_LLM_DEFAULT_MAX_TOKENS */
} PtLlmSettings;

/* Fill s with the defaults (provider openai, nothing configured). */
extern void PtLlmSettingsDefault(PtLlmSettings *s);

/* "openai" or "anthropic". */
extern const char *PtLlmProviderName(PtLlmProvider provider);

/* Read a provider name; false when it is neither. */
extern bool PtLlmProviderParse(const char *name, PtLlmProvider *out);

#endif							/* PTOPT_LLM_SETTINGS_H */
