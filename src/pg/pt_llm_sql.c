/*
 * pt_llm_sql.c — ptopt_llm_ping(): one small request to the configured LLM
 * endpoint, to check the settings (EXECUTE is granted to ptopt_llm_user only).
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "llm_client.h"
#include "pt_glue.h"
#include "pt_llm.h"

PG_FUNCTION_INFO_V1(ptopt_llm_ping);

/* ptopt_llm_ping() returns text. */
Datum
ptopt_llm_ping(PG_FUNCTION_ARGS)
{
	PtLlmSettings s;
	PtLlmRequest req = {0};
	PtLlmResponse resp;
	PtError		err;
	int			rc;
	char	   *result;

	PtLlmSettingsFill(&s);
	req.system = "You are being checked for reachability.";
	req.user = "Reply with the JSON object {\"ok\": true} and nothing else.";
	req.temperature = 0;
	req.json_mode = true;
	rc = PtLlmCall(&s, &req, PtPgStop(), &resp, &err);
	if (rc != PT_OK)
	{
		PtLlmResponseFree(&resp);
		PtRaise(&err);
	}
	result = psprintf("%s endpoint answered model %s after %d attempt%s (%ld tokens in, %ld out)",
					  PtLlmProviderName(s.provider), s.model, resp.attempts, resp.attempts == 1 ? "" : "s",
					  resp.tokens_in, resp.tokens_out);
	PtLlmResponseFree(&resp);
	PG_RETURN_TEXT_P(cstring_to_text(result));
}
