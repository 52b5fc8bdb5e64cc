/*
 * llm_strategy.c — the "llm" and "llm_tpe" strategies: prompt, call, read,
 * check, and fall back to TPE when the model cannot help.
 */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "llm_client.h"
#include "llm_prompt.h"
#include "llm_reply.h"
#include "llm_strategy.h"
#include "llm_text.h"
#include "pt_alloc.h"
#include "run_plan.h"
#include "tpe.h"

#define LLM_ASKS_PER_ITERATION 2	/* a repeat is asked again once */
#define LLM_URL_MAX 2048
#define LLM_PATH_MAX 4096

typedef struct LlmState
{
	const PtSpace *space;
	bool		hybrid;			/* llm_tpe */
	PtLlmOptions opt;
	PtLlmSettings settings;		/* strings point at the copies below */
	char		endpoint[LLM_URL_MAX];
	char		model[256];
	char		key_file[LLM_PATH_MAX];
	char		objective[PT_OBJECTIVE_NAME_MAX + 1];
	void	   *tpe;			/* fallback, and llm_tpe's candidates */
	PtLlmParsed queue;			/* further candidates of the last answer */
	int			next;			/* next unused one in queue */
	double	   *tpe_points;		/* llm_tpe: tpe_candidates x n_params */
} LlmState;

/* An integer member of o in [lo, hi] into *v; false with err set when it is not. */
static bool
int_member(json_object *o, const char *name, int lo, int hi, int *v, PtError *err)
{
	json_object *m;

	if (!json_object_object_get_ex(o, name, &m))
		return true;
	if (!json_object_is_type(m, json_type_int) || json_object_get_int64(m) < lo || json_object_get_int64(m) > hi)
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "options.llm.%s must be an integer from %d to %d", name, lo, hi);
		return false;
	}
	*v = (int) json_object_get_int64(m);
	return true;
}

/* Read options.llm into opt. */
int
PtLlmOptionsParse(const struct json_object *options, PtLlmOptions *opt, PtError *err)
{
	json_object *llm;
	json_object *m;

	memset(opt, 0, sizeof(*opt));
	opt->temperature = PT_LLM_DEFAULT_TEMPERATURE;
	opt->history = PT_LLM_DEFAULT_HISTORY;
	opt->candidates = 1;
	opt->tpe_candidates = PT_LLM_DEFAULT_TPE_CANDIDATES;
	if (options == NULL || !json_object_object_get_ex(options, "llm", &llm))
		return PT_OK;
	if (!json_object_is_type(llm, json_type_object))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "options.llm must be a JSON object");
	{
		json_object_object_foreach(llm, key, val)
		{
			(void) val;
			if (strcmp(key, "model") != 0 && strcmp(key, "temperature") != 0 && strcmp(key, "history") != 0 &&
				strcmp(key, "candidates") != 0 && strcmp(key, "tpe_candidates") != 0)
			{
				PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "unknown key \"%.*s\" in options.llm",
						   PT_PARAM_NAME_MAX, key);
				PtErrorHint(err, "options.llm takes model, temperature, history, candidates and tpe_candidates.");
				return PT_ERR_INVALID_PARAMETER;
			}
		}
	}
	if (json_object_object_get_ex(llm, "model", &m))
	{
		if (!json_object_is_type(m, json_type_string) || json_object_get_string_len(m) == 0 ||
			json_object_get_string_len(m) >= (int) sizeof(opt->model))
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "options.llm.model must be a non-empty string of at most %zu bytes",
							  sizeof(opt->model) - 1);
		strcpy(opt->model, json_object_get_string(m));
	}
	if (json_object_object_get_ex(llm, "temperature", &m))
	{
		if ((!json_object_is_type(m, json_type_double) && !json_object_is_type(m, json_type_int)) ||
			!(json_object_get_double(m) >= 0 && json_object_get_double(m) <= 2))
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "options.llm.temperature must be a number from 0 to 2");
		opt->temperature = json_object_get_double(m);
	}
	if (!int_member(llm, "history", 1, PT_LLM_MAX_HISTORY, &opt->history, err) ||
		!int_member(llm, "candidates", 1, PT_LLM_MAX_CANDIDATES, &opt->candidates, err) ||
		!int_member(llm, "tpe_candidates", 1, PT_LLM_MAX_TPE_CANDIDATES, &opt->tpe_candidates, err))
		return err->code;
	return PT_OK;
}

/* Copy src into a fixed buffer; false when it does not fit. */
static bool
copy_setting(char *dst, size_t size, const char *src)
{
	if (src == NULL)
		src = "";
	if (strlen(src) >= size)
		return false;
	strcpy(dst, src);
	return true;
}

/* Release the state. */
void
LlmStrategyFree(void *vstate)
{
	LlmState   *st = vstate;

	if (st == NULL)
		return;
	if (st->tpe != NULL)
		PtTpeStrategy.free(st->tpe);
	PtLlmParsedFree(&st->queue);
	PtFree(st->tpe_points);
	PtFree(st);
}

/* New state. */
void *
LlmStrategyInit(const PtStrategyInit *init, bool hybrid, PtError *err)
{
	LlmState   *st;
	TpeOptions	topt;
	json_object *obj;
	const char *options_text;
	const char *name = hybrid ? "llm_tpe" : "llm";

	/*
	 * Without settings (the plan's probe, which checks options.llm only) the
	 * state cannot reach a model; the glue passes settings to every real run.
	 */
	if (init->llm != NULL && (init->llm->endpoint == NULL || init->llm->endpoint[0] == '\0'))
	{
		PtErrorSet(err, PT_ERR_LLM_CONFIG, "the %s strategy needs an LLM endpoint", name);
		PtErrorDetail(err, "ptopt.llm_endpoint is not set.");
		PtErrorHint(err, "A superuser sets ptopt.llm_endpoint (and ptopt.llm_provider, ptopt.llm_model).");
		return NULL;
	}
	st = PtCalloc(1, sizeof(LlmState));
	if (st == NULL)
	{
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory creating the %s strategy", name);
		return NULL;
	}
	st->space = init->space;
	st->hybrid = hybrid;
	if (PtLlmOptionsParse(init->options, &st->opt, err) != PT_OK)
		goto fail;
	if (init->llm == NULL)
		return st;
	st->settings = *init->llm;
	if (!copy_setting(st->endpoint, sizeof(st->endpoint), init->llm->endpoint) ||
		!copy_setting(st->model, sizeof(st->model), init->llm->model) ||
		!copy_setting(st->key_file, sizeof(st->key_file), init->llm->api_key_file))
	{
		PtErrorSet(err, PT_ERR_LLM_CONFIG, "an LLM setting is too long");
		goto fail;
	}
	st->settings.endpoint = st->endpoint;
	st->settings.model = st->model;
	st->settings.api_key_file = st->key_file;
	if (st->opt.model[0] == '\0' && st->model[0] == '\0')
	{
		PtErrorSet(err, PT_ERR_LLM_CONFIG, "the %s strategy needs a model name", name);
		PtErrorHint(err, "Set ptopt.llm_model, or options.llm.model for one run.");
		goto fail;
	}
	obj = NULL;
	if (init->options != NULL && json_object_object_get_ex(init->options, "objective", &obj) &&
		json_object_is_type(obj, json_type_string))
		copy_setting(st->objective, sizeof(st->objective), json_object_get_string(obj));
	/* the fallback TPE reads options.tpe like the tpe strategy */
	options_text = init->options != NULL ?
		json_object_to_json_string_ext((json_object *) init->options, JSON_C_TO_STRING_PLAIN) : NULL;
	if (TpeOptionsParse(options_text, &topt, err) != PT_OK)
		goto fail;
	if (hybrid && topt.n_ei_candidates < st->opt.tpe_candidates)
		st->opt.tpe_candidates = topt.n_ei_candidates;
	st->tpe = TpeCreate(init->space, init->seed, &topt, err);
	if (st->tpe == NULL)
		goto fail;
	if (hybrid)
	{
		st->tpe_points = PtMalloc(sizeof(double) * (size_t) st->opt.tpe_candidates *
								  (size_t) (init->space->n_params > 0 ? init->space->n_params : 1));
		if (st->tpe_points == NULL)
		{
			PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory creating the %s strategy", name);
			goto fail;
		}
	}
	return st;

fail:
	LlmStrategyFree(st);
	return NULL;
}

/* Fill out from a candidate of the model's answer. */
static int
take_candidate(LlmState *st, const PtLlmCandidate *c, int index, int count, PtProposal *out, PtError *err)
{
	PtBuf		b = {0};

	memcpy(out->x, c->x, sizeof(double) * (size_t) st->space->n_params);
	out->source = PT_SOURCE_LLM;
	if (c->gated_keys != NULL)
	{
		out->refused = true;
		PtBufPrintf(&b, "Refused: the proposal named hard-gated keys (%s); their values were dropped and "
					"the point was not evaluated.", c->gated_keys);
		if (c->reasoning != NULL)
			PtBufAppend(&b, " Model: ");
	}
	if (c->choice >= 0)
		PtBufPrintf(&b, "Picked TPE candidate %d. ", c->choice + 1);
	if (count > 1)
		PtBufPrintf(&b, "Candidate %d of %d from one answer. ", index + 1, count);
	if (c->reasoning != NULL)
		PtBufAppendN(&b, c->reasoning, PT_LLM_PROPOSAL_REASONING_MAX);
	if (c->notes != NULL)
		PtBufPrintf(&b, " [ptopt: %s.]", c->notes);
	out->reasoning = PtBufTake(&b);
	if (out->reasoning == NULL)
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory in the LLM strategy");
	return PT_OK;
}

/* TPE proposes the point; failure says why the model could not. */
static int
fallback(LlmState *st, const PtHistory *history, int iter, const char *failure,
		 bool have_tpe_points, PtProposal *out, const PtStop *stop, PtError *err)
{
	PtBuf		b = {0};
	int			rc;

	if (have_tpe_points)
		memcpy(out->x, st->tpe_points, sizeof(double) * (size_t) st->space->n_params);
	else
	{
		rc = PtTpeStrategy.propose(st->tpe, history, iter, out, stop, err);
		PtFree(out->reasoning);
		out->reasoning = NULL;
		if (rc != PT_OK)
			return rc;
	}
	out->source = PT_SOURCE_LLM_FALLBACK;
	out->refused = false;
	PtBufPrintf(&b, "The model could not propose (%s); TPE proposed this point instead.", failure);
	out->reasoning = PtBufTake(&b);
	if (out->reasoning == NULL)
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory in the LLM strategy");
	return PT_OK;
}

/* Describe an error in one line for a reasoning. */
static void
describe_error(const PtError *e, char *buf, size_t size)
{
	snprintf(buf, size, "%s: %s%s%s", PtErrorCodeName(e->code), e->message, e->detail[0] ? ". " : "", e->detail);
}

/* Ask the model once; tokens go to out.  On success parsed holds the answer. */
static int
ask(LlmState *st, const PtHistory *history, int iter, const char *note, int n_tpe,
	PtLlmParsed *parsed, PtProposal *out, const PtStop *stop, PtError *err)
{
	PtLlmPromptInput in = {0};
	PtLlmPrompt prompt;
	PtLlmRequest req = {0};
	PtLlmResponse resp;
	const double *base = NULL;
	int			rc;

	memset(parsed, 0, sizeof(*parsed));
	in.space = st->space;
	in.history = history;
	in.objective = st->objective[0] ? st->objective : NULL;
	in.iter = iter;
	in.history_k = st->opt.history;
	in.candidates = st->hybrid ? 1 : st->opt.candidates;
	in.tpe_points = n_tpe > 0 ? st->tpe_points : NULL;
	in.n_tpe = n_tpe;
	in.note = note;
	rc = PtLlmPromptBuild(&in, &prompt, err);
	if (rc != PT_OK)
		return rc;
	req.system = prompt.system;
	req.user = prompt.user;
	req.model = st->opt.model[0] ? st->opt.model : NULL;
	req.temperature = st->opt.temperature;
	req.json_mode = true;
	rc = PtLlmCall(&st->settings, &req, stop, &resp, err);
	PtLlmPromptFree(&prompt);
	out->tokens_in += resp.tokens_in;
	out->tokens_out += resp.tokens_out;
	if (rc == PT_OK)
	{
		if (history != NULL && history->best >= 0)
			base = history->trials[history->best].x;
		rc = PtLlmReplyRead(st->space, resp.text, base, in.tpe_points, n_tpe, parsed, err);
	}
	PtLlmResponseFree(&resp);
	return rc;
}

/* Propose the point of iteration iter. */
int
LlmStrategyPropose(void *vstate, const PtHistory *history, int iter, PtProposal *out,
				   const PtStop *stop, PtError *err)
{
	LlmState   *st = vstate;
	char		note[PT_ERROR_MESSAGE_MAX] = "";
	char		failure[PT_ERROR_MESSAGE_MAX + PT_ERROR_DETAIL_MAX + 64];
	int			n_tpe = 0;
	bool		ranked = false;
	int			a;
	int			rc;

	out->source = PT_SOURCE_LLM;
	out->reasoning = NULL;
	out->refused = false;
	/* the rest of the last answer first */
	while (st->next < st->queue.n)
	{
		const PtLlmCandidate *c = &st->queue.c[st->next++];

		if (c->gated_keys != NULL || PtLlmFindRepeat(history, c->x) == 0)
			return take_candidate(st, c, st->next - 1, st->queue.n, out, err);
	}
	PtLlmParsedFree(&st->queue);
	st->next = 0;

	if (st->hybrid)
	{
		n_tpe = TpeRankCandidates(st->tpe, history, iter, st->opt.tpe_candidates, st->tpe_points, &ranked, err);
		if (n_tpe < 0)
			return err->code;
	}
	for (a = 0; a < LLM_ASKS_PER_ITERATION; a++)
	{
		PtLlmParsed parsed;
		int			i;
		int			repeat_of = 0;

		rc = ask(st, history, iter, note[0] ? note : NULL, n_tpe, &parsed, out, stop, err);
		if (rc == PT_ERR_CANCELLED || rc == PT_ERR_OUT_OF_MEMORY)
		{
			PtLlmParsedFree(&parsed);
			return rc;
		}
		if (rc != PT_OK)
		{
			PtLlmParsedFree(&parsed);
			describe_error(err, failure, sizeof(failure));
			PtErrorClear(err);
			return fallback(st, history, iter, failure, n_tpe > 0, out, stop, err);
		}
		for (i = 0; i < parsed.n; i++)
		{
			const PtLlmCandidate *c = &parsed.c[i];
			int			r = c->gated_keys != NULL ? 0 : PtLlmFindRepeat(history, c->x);

			if (r == 0)
			{
				rc = take_candidate(st, c, i, parsed.n, out, err);
				st->queue = parsed;	/* the later ones wait for the next iterations */
				st->next = i + 1;
				return rc;
			}
			if (repeat_of == 0)
				repeat_of = r;
		}
		PtLlmParsedFree(&parsed);
		snprintf(note, sizeof(note), "Your last answer proposed only points already evaluated (iteration %d "
				 "has the same params). Propose a point that differs from every evaluated one.", repeat_of);
	}
	snprintf(failure, sizeof(failure), "it proposed only already evaluated points, twice");
	return fallback(st, history, iter, failure, n_tpe > 0, out, stop, err);
}
