/*
 * pt_llm_settings.c — the ptopt.llm_* settings and the ptopt_llm_user privilege.
 *
 * The endpoint and the key file are PGC_SUSET (only a superuser points the
 * server at a host: an outbound URL is an SSRF lever); the key file is also
 * GUC_SUPERUSER_ONLY, so SHOW refuses it to others.  The key itself is never
 * in a setting: the client reads it from the file on each call.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "lib/stringinfo.h"
#include "utils/guc.h"

#include "llm_strategy.h"
#include "pt_llm.h"

static int	llm_provider = PT_LLM_OPENAI;
static char *llm_endpoint = NULL;
static char *llm_model = NULL;
static char *llm_api_key_file = NULL;
static int	llm_timeout_ms = PT_LLM_DEFAULT_TIMEOUT_MS;
static int	llm_max_retries = PT_LLM_DEFAULT_MAX_RETRIES;

static const struct config_enum_entry provider_options[] = {
	{"openai", PT_LLM_OPENAI, false},
	{"anthropic", PT_LLM_ANTHROPIC, false},
	{NULL, 0, false}
};

/* The endpoint must be an http or https URL (or empty). */
static bool
check_endpoint(char **newval, void **extra, GucSource source)
{
	const char *v = *newval;

	if (v == NULL || v[0] == '\0')
		return true;
	if (pg_strncasecmp(v, "http://", 7) == 0 || pg_strncasecmp(v, "https://", 8) == 0)
		return true;
	GUC_check_errdetail("The LLM endpoint must be an http:// or https:// URL.");
	return false;
}

/* Define the ptopt.llm_* settings. */
void
PtLlmDefineSettings(void)
{
	DefineCustomEnumVariable("ptopt.llm_provider",
							 "Protocol of the LLM endpoint: openai (also Ollama, llama.cpp, vLLM) or anthropic.",
							 NULL, &llm_provider, PT_LLM_OPENAI, provider_options,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("ptopt.llm_endpoint",
							   "URL of the LLM endpoint (chat completions or messages resource).",
							   "Only a superuser can set it: an outbound URL must not be a user's choice.",
							   &llm_endpoint, "", PGC_SUSET, 0, check_endpoint, NULL, NULL);
	DefineCustomStringVariable("ptopt.llm_model",
							   "Model name sent to the LLM endpoint; options.llm.model overrides it per run.",
							   NULL, &llm_model, "", PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("ptopt.llm_api_key_file",
							   "File holding the LLM API key on its first line (empty: send no key).",
							   "The key is read on each call and kept in memory only for the call.",
							   &llm_api_key_file, "", PGC_SUSET, GUC_SUPERUSER_ONLY, NULL, NULL, NULL);
	DefineCustomIntVariable("ptopt.llm_timeout_ms",
							"Longest wait for one LLM request, connecting included.",
							NULL, &llm_timeout_ms, PT_LLM_DEFAULT_TIMEOUT_MS, 100, 600000,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("ptopt.llm_max_retries",
							"Retries of an LLM request after HTTP 429, a 5xx status or a dropped connection.",
							NULL, &llm_max_retries, PT_LLM_DEFAULT_MAX_RETRIES, 0, 10,
							PGC_USERSET, 0, NULL, NULL, NULL);
}

/* Fill s from the current settings. */
void
PtLlmSettingsFill(PtLlmSettings *s)
{
	PtLlmSettingsDefault(s);
	s->provider = (PtLlmProvider) llm_provider;
	s->endpoint = llm_endpoint;
	s->model = llm_model;
	s->api_key_file = llm_api_key_file;
	s->timeout_ms = llm_timeout_ms;
	if (s->connect_timeout_ms > llm_timeout_ms)
		s->connect_timeout_ms = llm_timeout_ms;
	s->max_retries = llm_max_retries;
}

/* True when an endpoint is set. */
bool
PtLlmConfigured(void)
{
	return llm_endpoint != NULL && llm_endpoint[0] != '\0';
}

/* True when the current user may reach the model. */
bool
PtLlmUserAllowed(void)
{
	Oid			role = get_role_oid(PTOPT_LLM_ROLE, true);

	if (superuser())
		return true;
	return OidIsValid(role) && has_privs_of_role(GetUserId(), role);
}

/* Refuse an LLM strategy to a role outside ptopt_llm_user. */
void
PtLlmCheckPrivilege(const char *strategy)
{
	if (strategy == NULL || (strcmp(strategy, "llm") != 0 && strcmp(strategy, "llm_tpe") != 0))
		return;
	if (!PtLlmUserAllowed())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to use the LLM strategies"),
				 errdetail("The strategies llm and llm_tpe send data to a network endpoint."),
				 errhint("A superuser can grant the role %s to this role.", PTOPT_LLM_ROLE)));
}

/* The ptopt.llm_* settings a run worker takes over from its caller's session. */
static const char *const llm_setting_names[] = {
	"ptopt.llm_provider", "ptopt.llm_endpoint", "ptopt.llm_model", "ptopt.llm_api_key_file",
	"ptopt.llm_timeout_ms", "ptopt.llm_max_retries", NULL
};

/* The caller's ptopt.llm_* values as text, "name=value" per line (the key file's path, never a key). */
char *
PtLlmSettingsCapture(void)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; llm_setting_names[i] != NULL; i++)
	{
		const char *v = GetConfigOption(llm_setting_names[i], true, false);

		if (v != NULL && strchr(v, '\n') == NULL)
			appendStringInfo(&buf, "%s=%s\n", llm_setting_names[i], v);
	}
	return buf.data;
}

/*
 * Apply captured settings in a run worker, with the rights they were set
 * with in the caller (as parallel workers restore their leader's settings).
 */
void
PtLlmSettingsApply(const char *captured)
{
	char	   *copy = pstrdup(captured);
	char	   *line = copy;

	while (line != NULL && *line != '\0')
	{
		char	   *next = strchr(line, '\n');
		char	   *eq = strchr(line, '=');

		if (next != NULL)
			*next++ = '\0';
		if (eq != NULL)
		{
			*eq = '\0';
			SetConfigOption(line, eq + 1, PGC_SUSET, PGC_S_SESSION);
		}
		line = next;
	}
	pfree(copy);
}
