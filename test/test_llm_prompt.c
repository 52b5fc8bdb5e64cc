/*
 * test_llm_prompt.c — the LLM prompt: what it says, that it stays under its
 * cap at iteration 1,000, and that no held-out result ever reaches it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clob.h"
#include "history.h"
#include "llm_prompt.h"
#include "llm_text.h"
#include "pt_alloc.h"
#include "rng.h"
#include "space.h"
#include "strategy.h"
#include "unit.h"

/* A space over every tunable CLOB parameter, with descriptions (as the glue would give it). */
static PtSpace *
clob_space(void)
{
	char	   *text = ClobDefaultSpaceJson(false, true);
	PtError		err;
	PtSpace    *space = text != NULL ? PtSpaceParse(text, &err) : NULL;

	if (space == NULL && text != NULL)
		printf("# space: %s %s\n", err.message, err.detail);
	PtFree(text);
	return space;
}

/* A history of n trials with CLOB-like summaries that carry a held-out score, and long reasonings. */
static PtHistory *
grown_history(const PtSpace *space, int n)
{
	PtHistory  *h = PtHistoryCreate(space, NULL);
	PtRng		rng;
	double		x[PT_SPACE_MAX_PARAMS];
	char		summary[700];
	char		reasoning[600];
	int			i;

	PtRngSeed(&rng, 7);
	for (i = 1; i <= n; i++)
	{
		PtTrial		t = {0};
		double		score = PtRngUniform(&rng) - 0.5;

		PtSampleUniformPoint(space, &rng, x);
		snprintf(summary, sizeof(summary),
				 "Synthetic replay over 4 training seeds of the mixed scenario, not a forecast. "
				 "Mean net PnL was %.2f pUSD per seed (0.12%% of 1000 pUSD start cash): 1.00 from edge at the "
				 "fill, -0.20 from inventory. The maker filled 31.0 times per seed and had both sides quoted "
				 "88%% of the time; its 60 s markout was -0.0010 pUSD per share and adverse selection cost "
				 "3.10 pUSD. Mean max drawdown was 4.00 pUSD and the kill switch tripped on 0 of 4 seeds. "
				 "Score %.4f; held-out score %.4f over 8 seeds.", score * 100, score, score + 0.123456);
		memset(reasoning, 'r', sizeof(reasoning) - 1);
		reasoning[sizeof(reasoning) - 1] = '\0';
		t.iter = i;
		t.x = x;
		t.score = score;
		t.status = i % 50 == 0 ? PT_TRIAL_REFUSED : PT_TRIAL_OK;
		t.source = PT_SOURCE_LLM;
		t.summary = summary;
		t.reasoning = i % 3 == 0 ? "The Holdout score was better, so I widened the spread." : reasoning;
		PtHistoryAppend(h, &t, NULL);
	}
	return h;
}

/* The held-out filter on its own. */
static void
test_filter(void)
{
	PtBuf		b = {0};
	char	   *s;

	CHECK(PtTextMentionsHoldout("held-out score 0.3") && PtTextMentionsHoldout("HOLDOUT") &&
		  PtTextMentionsHoldout("the held out worlds") && PtTextMentionsHoldout("hold-out") &&
		  !PtTextMentionsHoldout("holding outcomes") && !PtTextMentionsHoldout("the shell outputs"),
		  "the held-out detector finds held-out, held out, hold-out, holdout and nothing else");
	PtBufAppendTraining(&b, "Mean net PnL was 3. Score 0.5; held-out score 0.7 over 8 seeds.", 1000);
	s = PtBufTake(&b);
	CHECK(strcmp(s, "Mean net PnL was 3. Score 0.5") == 0, "the held-out clause is cut: \"%s\"", s);
	PtFree(s);
	PtBufAppendTraining(&b, "Holdout 0.9 was great. Spread up.\nNext line", 1000);
	s = PtBufTake(&b);
	CHECK(strcmp(s, "Spread up. Next line") == 0, "a held-out sentence anywhere is dropped: \"%s\"", s);
	PtFree(s);
}

/* Prompt contents, the cap, and the held-out rule. */
int
main(void)
{
	long		live = PtAllocLive();
	PtSpace    *space = clob_space();
	PtHistory  *h;
	PtLlmPromptInput in = {0};
	PtLlmPrompt p;
	PtError		err;
	int			rc;
	double		tpe[2 * PT_SPACE_MAX_PARAMS];
	PtRng		rng;

	test_filter();
	CHECK(space != NULL, "the CLOB space with descriptions parses");
	if (space == NULL)
		return UnitDone();

	in.space = space;
	in.iter = 1;
	in.candidates = 1;
	rc = PtLlmPromptBuild(&in, &p, &err);
	CHECK(rc == PT_OK && strstr(p.user, "SEARCH SPACE") && strstr(p.user, space->params[0].name) &&
		  strstr(p.user, "\"description\"") && strstr(p.user, "nothing evaluated yet"),
		  "iteration 1: the space with descriptions and an empty history");
	CHECK(rc == PT_OK && strstr(p.system, "risk.killswitch") && strstr(p.system, "sec.signer") &&
		  strstr(p.system, "not a forecast") && strstr(p.system, "score"),
		  "the system text names the gate families, says it is synthetic and what the score rewards");
	PtLlmPromptFree(&p);

	h = grown_history(space, 1000);
	in.history = h;
	in.iter = 1001;
	in.history_k = PT_LLM_MAX_HISTORY;
	in.candidates = 4;
	rc = PtLlmPromptBuild(&in, &p, &err);
	CHECK(rc == PT_OK, "a prompt at iteration 1,000 builds (%s)", err.message);
	if (rc == PT_OK)
	{
		printf("# iteration 1,000: user text %zu bytes (cap %d), system %zu bytes, %d in full, %d summarised\n",
			   strlen(p.user), PT_LLM_PROMPT_MAX_BYTES, strlen(p.system), p.n_full, p.n_summarised);
		CHECK(strlen(p.user) <= PT_LLM_PROMPT_MAX_BYTES, "at iteration 1,000 the prompt is within the cap (%zu <= %d)",
			  strlen(p.user), PT_LLM_PROMPT_MAX_BYTES);
		CHECK(p.n_full > 0 && p.n_full + p.n_summarised == 1000 && strstr(p.user, "Summary of the"),
			  "the best and latest are in full, the rest summarised (%d + %d)", p.n_full, p.n_summarised);
		CHECK(strstr(p.user, "Iteration 1000:") != NULL, "the latest iteration is shown");
		CHECK(strstr(p.user, "exactly 4 candidate") != NULL, "k candidates are asked for");
		CHECK(strstr(p.user, "report: Synthetic replay") != NULL && strstr(p.user, "kill switch tripped") != NULL,
			  "report lines are in the prompt");
		CHECK(!PtTextMentionsHoldout(p.user) && strstr(p.user, "0.123456") == NULL,
			  "no held-out text or figure reaches the prompt though every summary carried one");
		CHECK(strstr(p.user, "widened") == NULL, "a reasoning that cites a held-out score is cut");
		PtLlmPromptFree(&p);
	}

	/* llm_tpe: ranked candidates */
	PtRngSeed(&rng, 3);
	PtSampleUniformPoint(space, &rng, tpe);
	PtSampleUniformPoint(space, &rng, tpe + space->n_params);
	in.tpe_points = tpe;
	in.n_tpe = 2;
	in.note = "Your last proposal repeated iteration 7.";
	rc = PtLlmPromptBuild(&in, &p, &err);
	CHECK(rc == PT_OK && strstr(p.user, "Candidate 1: {") && strstr(p.user, "Candidate 2: {") &&
		  strstr(p.user, "\"choice\"") && strstr(p.user, "NOTE: Your last proposal repeated"),
		  "llm_tpe: the ranked candidates, the choice format and the note");
	PtLlmPromptFree(&p);

	PtHistoryFree(h);
	PtSpaceFree(space);
	CHECK(PtAllocLive() == live, "no allocation left behind");
	return UnitDone();
}
