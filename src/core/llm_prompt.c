/*
 * llm_prompt.c — builds the system and user texts of an LLM proposal.
 *
 * The stand-in (test/llm_stub) and any model read the same text: the space
 * as one JSON object per line after "SEARCH SPACE", each shown iteration as
 * "Iteration N: score S; params {...}" followed by its report line and
 * reasoning, and for llm_tpe "Candidate N: {...}".
 */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gates.h"
#include "llm_prompt.h"
#include "llm_text.h"
#include "pt_alloc.h"

/* The CLOB objective's description for the system text. */
static const char *const clob_score_text =
	"The score is the mean return per training seed (net PnL over start cash), minus one charge for the "
	"tail of bad seeds and a stated charge per kill-switch trip. Doing nothing scores exactly 0, a sensible "
	"maker scores above 0, and an invalid run (negative cash, NaN) scores -1e9. Higher is better.";

/* Append one point as a JSON object. */
bool
PtLlmAppendPoint(PtBuf *buf, const PtSpace *space, const double *x)
{
	PtError		err;
	char	   *json = PtSpacePointToJson(space, x, &err);

	if (json == NULL)
	{
		PtBufAppend(buf, "{}");
		return false;
	}
	PtBufAppend(buf, json);
	PtFree(json);
	return !buf->failed;
}

/* The system text. */
static void
write_system(PtBuf *b, const PtLlmPromptInput *in)
{
	const PtGateFamily *fam;
	int			n_fam;
	int			i;
	bool		clob = in->objective == NULL || strcmp(in->objective, "clob_v2") == 0;

	fam = PtGateFamilies(&n_fam);
	if (clob)
		PtBufAppend(b, "You tune the parameters of a market-making strategy. Each evaluation is a synthetic "
					"backtest: a replay of simulated Polymarket CLOB V2 markets over several training seeds. "
					"It is a simulation, not a forecast, and no real money is involved. ");
	else
		PtBufPrintf(b, "You tune parameters to maximise the score of an objective function (\"%.*s\"). ",
					PT_PARAM_NAME_MAX, in->objective);
	PtBufAppend(b, clob ? clob_score_text : "Higher scores are better.");
	PtBufAppend(b, "\n\nHard safety gates are not parameters. Never name a key of these families, at any "
				"depth, in a proposal; a proposal that does is refused and wastes the iteration: ");
	for (i = 0; i < n_fam; i++)
		PtBufPrintf(b, "%s%s", i > 0 ? ", " : "", fam[i].family);
	PtBufAppend(b, ".\n\nPropose only parameters of the search space, within their bounds (on the step grid "
				"when there is one, one of the choices for a categorical). Do not repeat a point already "
				"evaluated. Learn from the reports: explain in one or two sentences why you expect the "
				"proposal to score better. Answer with one JSON object and nothing else.");
}

/* The space section: one JSON object per parameter. */
static void
write_space(PtBuf *b, const PtSpace *space)
{
	int			i;
	int			c;

	PtBufAppend(b, "SEARCH SPACE (one JSON object per parameter):\n");
	for (i = 0; i < space->n_params; i++)
	{
		const PtParam *p = &space->params[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(p->name));
		json_object_object_add(o, "type", json_object_new_string(PtParamTypeName(p->type)));
		if (p->type == PT_PARAM_FLOAT || p->type == PT_PARAM_INT)
		{
			char		t[PT_DOUBLE_TEXT_MAX];

			PtFormatDouble(p->low, t, sizeof(t));
			json_object_object_add(o, "low", json_object_new_double_s(p->low, t));
			PtFormatDouble(p->high, t, sizeof(t));
			json_object_object_add(o, "high", json_object_new_double_s(p->high, t));
			if (p->log)
				json_object_object_add(o, "log", json_object_new_boolean(1));
			if (p->step > 0 && !(p->type == PT_PARAM_INT && p->step == 1))
			{
				PtFormatDouble(p->step, t, sizeof(t));
				json_object_object_add(o, "step", json_object_new_double_s(p->step, t));
			}
		}
		else
		{
			json_object *arr = json_object_new_array();

			for (c = 0; c < p->n_choices; c++)
			{
				json_object *v = json_tokener_parse(p->choices[c]);

				json_object_array_add(arr, v != NULL ? v : json_object_new_string(p->choices[c]));
			}
			json_object_object_add(o, "choices", arr);
		}
		if (p->description != NULL && !PtTextMentionsHoldout(p->description))
		{
			PtBuf		d = {0};
			char	   *text;

			PtBufAppendTraining(&d, p->description, PT_LLM_DESCRIPTION_MAX);
			text = PtBufTake(&d);
			if (text != NULL)
				json_object_object_add(o, "description", json_object_new_string(text));
			PtFree(text);
		}
		PtBufAppend(b, json_object_to_json_string_ext(o, JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
		PtBufAppend(b, "\n");
		json_object_put(o);
	}
	PtBufAppend(b, "\n");
}

/* One trial in full: params, score, report line, reasoning. */
static void
write_trial(PtBuf *b, const PtSpace *space, const PtTrial *t)
{
	char		s[PT_DOUBLE_TEXT_MAX];

	if (t->status == PT_TRIAL_OK)
	{
		snprintf(s, sizeof(s), "%.6g", t->score);
		PtBufPrintf(b, "Iteration %d: score %s; params ", t->iter, s);
	}
	else
		PtBufPrintf(b, "Iteration %d: %s; params ", t->iter, PtTrialStatusName(t->status));
	PtLlmAppendPoint(b, space, t->x);
	PtBufAppend(b, "\n");
	if (t->summary != NULL && t->summary[0] != '\0')
	{
		PtBufAppend(b, "  report: ");
		PtBufAppendTraining(b, t->summary, PT_LLM_REPORT_LINE_MAX);
		PtBufAppend(b, "\n");
	}
	if (t->reasoning != NULL && t->reasoning[0] != '\0')
	{
		PtBufPrintf(b, "  reasoning (%s): ", PtSourceName(t->source));
		PtBufAppendTraining(b, t->reasoning, PT_LLM_REASONING_LINE_MAX);
		PtBufAppend(b, "\n");
	}
}

/* qsort: doubles ascending. */
static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/*
 * Mark the trials shown in full: the k best ok trials (ties to the earlier)
 * and the k latest.  show has history->n entries.
 */
static void
choose_shown(const PtHistory *h, int k, bool *show)
{
	int			i;
	int			j;

	memset(show, 0, sizeof(bool) * (size_t) h->n);
	for (i = h->n - 1; i >= 0 && i >= h->n - k; i--)
		show[i] = true;
	for (j = 0; j < k; j++)
	{
		int			best = -1;

		for (i = 0; i < h->n; i++)
		{
			const PtTrial *t = &h->trials[i];

			if (t->status != PT_TRIAL_OK || isnan(t->score) || show[i])
				continue;
			if (best < 0 || t->score > h->trials[best].score)
				best = i;
		}
		if (best < 0)
			break;
		show[best] = true;
	}
}

/* The history section with k in full; returns how many were summarised. */
static int
write_history(PtBuf *b, const PtLlmPromptInput *in, int k, bool *show, int *n_full)
{
	const PtHistory *h = in->history;
	int			n_ok = 0;
	int			n_refused = 0;
	int			n_failed = 0;
	int			n_rest = 0;
	double	   *scores;
	int			i;

	*n_full = 0;
	if (h == NULL || h->n == 0)
	{
		PtBufAppend(b, "HISTORY: nothing evaluated yet.\n\n");
		return 0;
	}
	choose_shown(h, k, show);
	scores = PtMalloc(sizeof(double) * (size_t) h->n);
	for (i = 0; i < h->n; i++)
	{
		const PtTrial *t = &h->trials[i];

		if (show[i])
			continue;
		n_rest++;
		if (t->status == PT_TRIAL_OK && !isnan(t->score))
		{
			if (scores != NULL)
				scores[n_ok] = t->score;
			n_ok++;
		}
		else if (t->status == PT_TRIAL_REFUSED)
			n_refused++;
		else
			n_failed++;
	}
	PtBufPrintf(b, "HISTORY (%d iterations so far; the best and the latest in full, in order):\n", h->n);
	if (n_rest > 0)
	{
		PtBufPrintf(b, "Summary of the %d other iterations: %d scored", n_rest, n_ok);
		if (n_ok > 0 && scores != NULL)
		{
			qsort(scores, (size_t) n_ok, sizeof(double), cmp_double);
			PtBufPrintf(b, ", from %.6g to %.6g (median %.6g)", scores[0], scores[n_ok - 1],
						scores[n_ok / 2]);
		}
		PtBufPrintf(b, "; %d refused, %d failed.\n", n_refused, n_failed);
	}
	PtFree(scores);
	for (i = 0; i < h->n; i++)
	{
		if (!show[i])
			continue;
		write_trial(b, in->space, &h->trials[i]);
		(*n_full)++;
	}
	PtBufAppend(b, "\n");
	return n_rest;
}

/* The closing instruction: the answer format. */
static void
write_instruction(PtBuf *b, const PtLlmPromptInput *in, int candidates)
{
	int			i;

	if (in->n_tpe > 0 && in->tpe_points != NULL)
	{
		PtBufPrintf(b, "TPE CANDIDATES (drawn by a Tree-structured Parzen Estimator from this history, "
					"ranked by its l/g ratio, most promising first):\n");
		for (i = 0; i < in->n_tpe; i++)
		{
			PtBufPrintf(b, "Candidate %d: ", i + 1);
			PtLlmAppendPoint(b, in->space, in->tpe_points + (size_t) i * in->space->n_params);
			PtBufAppend(b, "\n");
		}
		PtBufAppend(b, "\n");
	}
	if (in->note != NULL && in->note[0] != '\0')
	{
		PtBufAppend(b, "NOTE: ");
		PtBufAppendTraining(b, in->note, PT_LLM_REASONING_LINE_MAX);
		PtBufAppend(b, "\n\n");
	}
	PtBufPrintf(b, "This is iteration %d. ", in->iter);
	if (in->n_tpe > 0 && in->tpe_points != NULL)
		PtBufAppend(b, "Pick the candidate you expect to score best, or propose your own point. Answer "
					"with JSON only: {\"choice\": <candidate number>, \"reasoning\": \"...\"} or "
					"{\"params\": {<name>: <value>, ...}, \"reasoning\": \"...\"}.");
	else if (candidates > 1)
		PtBufPrintf(b, "Propose exactly %d candidate points, all different. Answer with JSON only: "
					"{\"candidates\": [{\"params\": {<name>: <value>, ...}, \"reasoning\": \"...\"}, ...]}.",
					candidates);
	else
		PtBufAppend(b, "Propose the next point. Answer with JSON only: "
					"{\"params\": {<name>: <value>, ...}, \"reasoning\": \"...\"}.");
	PtBufAppend(b, "\n");
}

/* Build the prompt. */
int
PtLlmPromptBuild(const PtLlmPromptInput *in, PtLlmPrompt *out, PtError *err)
{
	PtBuf		sys = {0};
	PtBuf		user = {0};
	size_t		space_len;
	bool	   *show = NULL;
	int			k = in->history_k > 0 ? in->history_k : PT_LLM_DEFAULT_HISTORY;
	int			candidates = in->candidates < 1 ? 1 :
		(in->candidates > PT_LLM_MAX_CANDIDATES ? PT_LLM_MAX_CANDIDATES : in->candidates);

	memset(out, 0, sizeof(*out));
	if (k > PT_LLM_MAX_HISTORY)
		k = PT_LLM_MAX_HISTORY;
	write_system(&sys, in);
	write_space(&user, in->space);
	space_len = user.len;
	if (in->history != NULL && in->history->n > 0)
	{
		show = PtMalloc(sizeof(bool) * (size_t) in->history->n);
		if (show == NULL)
			goto oom;
	}
	for (;;)
	{
		PtBufTruncate(&user, space_len);
		out->n_summarised = write_history(&user, in, k, show, &out->n_full);
		write_instruction(&user, in, candidates);
		if (user.failed || sys.failed)
			goto oom;
		if (user.len <= PT_LLM_PROMPT_MAX_BYTES)
			break;
		if (k == 0)
		{
			PtFree(show);
			PtBufFree(&sys);
			PtBufFree(&user);
			PtErrorSet(err, PT_ERR_LLM_CONFIG, "the search space is too large for an LLM prompt");
			PtErrorDetail(err, "Its description alone takes more than %d bytes.", PT_LLM_PROMPT_MAX_BYTES);
			PtErrorHint(err, "Search fewer parameters or shorter choices with the LLM strategies.");
			return PT_ERR_LLM_CONFIG;
		}
		k--;
	}
	PtFree(show);
	out->system = PtBufTake(&sys);
	out->user = PtBufTake(&user);
	if (out->system == NULL || out->user == NULL)
		goto oom_taken;
	/* Belt and braces: a held-out figure must never be sent. */
	if (PtTextMentionsHoldout(out->user) || PtTextMentionsHoldout(out->system))
	{
		PtLlmPromptFree(out);
		PtErrorSet(err, PT_ERR_LLM_CONFIG, "an LLM prompt mentioned a held-out result and was not sent");
		PtErrorDetail(err, "A parameter name or description speaks of held-out results; prompts carry training results only.");
		return PT_ERR_LLM_CONFIG;
	}
	return PT_OK;

oom:
	PtFree(show);
	PtBufFree(&sys);
	PtBufFree(&user);
oom_taken:
	PtLlmPromptFree(out);
	return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory building the LLM prompt");
}

/* Free a prompt's texts. */
void
PtLlmPromptFree(PtLlmPrompt *prompt)
{
	PtFree(prompt->system);
	PtFree(prompt->user);
	prompt->system = NULL;
	prompt->user = NULL;
}
