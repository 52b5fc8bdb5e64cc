/*
 * llm_settings.c — defaults and provider names of the LLM settings.
 */
#include <string.h>
#include <strings.h>

#include "llm_settings.h"

/* Fill s with the defaults (provider openai, nothing configured). */
void
PtLlmSettingsDefault(PtLlmSettings *s)
{
	memset(s, 0, sizeof(*s));
	s->provider = PT_LLM_OPENAI;
	s->timeout_ms = PT_LLM_DEFAULT_TIMEOUT_MS;
	s->connect_timeout_ms = PT_LLM_DEFAULT_CONNECT_TIMEOUT_MS;
	s->max_retries = PT_LLM_DEFAULT_MAX_RETRIES;
	s->backoff_ms = PT_LLM_DEFAULT_BACKOFF_MS;
	s->max_reply_bytes = PT_LLM_DEFAULT_MAX_REPLY_BYTES;
	s->max_tokens = PT_LLM_DEFAULT_MAX_TOKENS;
}

/* "openai" or "anthropic". */
const char *
PtLlmProviderName(PtLlmProvider provider)
{
	return provider == PT_LLM_ANTHROPIC ? "anthropic" : "openai";
}

/* Read a provider name; false when it is neither. */
bool
PtLlmProviderParse(const char *name, PtLlmProvider *out)
{
	if (name == NULL)
		return false;
	if (strcasecmp(name, "openai") == 0)
		*out = PT_LLM_OPENAI;
	else if (strcasecmp(name, "anthropic") == 0)
		*out = PT_LLM_ANTHROPIC;
	else
		return false;
	return true;
}
