/*
 * pt_llm.h — the LLM glue: the ptopt.llm_* settings, the ptopt_llm_user
 * privilege, and the settings handed to the LLM strategies.
 */
#ifndef PTOPT_PT_LLM_H
#define PTOPT_PT_LLM_H

#include "llm_settings.h"

#define PTOPT_LLM_ROLE "ptopt_llm_user"

/* Define the ptopt.llm_* settings (called from _PG_init). */
extern void PtLlmDefineSettings(void);

/* Fill s from the current settings (its strings are the settings' own: copy them to keep them). */
extern void PtLlmSettingsFill(PtLlmSettings *s);

/* True when an endpoint is set. */
extern bool PtLlmConfigured(void);

/* True when the current user may reach the model (a member of ptopt_llm_user, or a superuser). */
extern bool PtLlmUserAllowed(void);

/*
 * Refuse (42501, with a hint) a run with strategy llm or llm_tpe for a role
 * outside ptopt_llm_user; any other strategy passes.
 */
extern void PtLlmCheckPrivilege(const char *strategy);

/* The caller's ptopt.llm_* values as text, for its run worker. */
extern char *PtLlmSettingsCapture(void);

/* Apply captured ptopt.llm_* values in a run worker. */
extern void PtLlmSettingsApply(const char *captured);

#endif							/* PTOPT_PT_LLM_H */
