/*
 * llm_overhead.c — ptopt's own work per LLM iteration, the model's time
 * excluded: building the prompt, reading the answer (parse, coerce, clip,
 * gate check) and the repeat check, over the CLOB space with described
 * parameters, at several history lengths; and the prompt's size.
 *
 *   make -C bench llm-overhead
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clob.h"
#include "history.h"
#include "llm_prompt.h"
#include "llm_reply.h"
#include "llm_text.h"
#include "pt_alloc.h"
#include "rng.h"
#include "strategy.h"

#define REPS_MIN 20

/* Seconds on the monotonic clock. */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The CLOB space with descriptions. */
static PtSpace *
clob_space(void)
{
	char	   *text = ClobDefaultSpaceJson(false, true);
	PtError		err;
	PtSpace    *space = text != NULL ? PtSpaceParse(text, &err) : NULL;

	PtFree(text);
	return space;
}

/* A history of n trials with CLOB-sized summaries and reasonings. */
static PtHistory *
history_of(const PtSpace *space, int n)
{
	PtHistory  *h = PtHistoryCreate(space, NULL);
	PtRng		rng;
	double		x[PT_SPACE_MAX_PARAMS];
	char		summary[700];
	int			i;

	PtRngSeed(&rng, 11);
	for (i = 1; i <= n; i++)
	{
		PtTrial		t = {0};
		double		s = PtRngUniform(&rng);

		PtSampleUniformPoint(space, &rng, x);
		snprintf(summary, sizeof(summary),
				 "Synthetic replay over 4 training seeds of the mixed scenario, not a forecast. Mean net PnL was "
				 "%.2f pUSD per seed (0.12%% of 1000 pUSD start cash): 1.00 from edge at the fill, -0.20 from "
				 "inventory. The maker filled 31.0 times per seed and had both sides quoted 88%% of the time; "
				 "its 60 s markout was -0.0010 pUSD per share and adverse selection cost 3.10 pUSD. Mean max "
				 "drawdown was 4.00 pUSD and the kill switch tripped on 0 of 4 seeds. Score %.4f; held-out "
				 "score %.4f over 8 seeds.", s * 100, s, s);
		t.iter = i;
		t.x = x;
		t.score = s;
		t.status = PT_TRIAL_OK;
		t.source = PT_SOURCE_LLM;
		t.summary = summary;
		t.reasoning = "Widened the spread a little because adverse selection dominated the last reports, "
			"and kept the layers where the best iterations had them.";
		PtHistoryAppend(h, &t, NULL);
	}
	return h;
}

/* Time prompt building and reply reading at each history length. */
int
main(void)
{
	PtSpace    *space = clob_space();
	static const int lengths[] = {0, 10, 100, 1000, 10000};
	PtError		err;
	int			k;

	if (space == NULL)
		return 1;
	printf("%d parameters; prompt cap %d bytes; history k = %d (best k + latest k in full)\n",
		   space->n_params, PT_LLM_PROMPT_MAX_BYTES, PT_LLM_DEFAULT_HISTORY);
	printf("%8s %12s %8s %8s %14s %14s %14s\n", "history", "user_bytes", "in_full", "summed",
		   "prompt_us", "read_us", "repeat_us");
	for (k = 0; k < (int) (sizeof(lengths) / sizeof(lengths[0])); k++)
	{
		PtHistory  *h = history_of(space, lengths[k]);
		PtLlmPromptInput in = {0};
		PtLlmPrompt p;
		PtLlmParsed r;
		PtBuf		reply = {0};
		char	   *reply_text;
		double		t0;
		double		t_prompt;
		double		t_read;
		double		t_rep;
		size_t		bytes;
		int			full;
		int			summed;
		int			reps = REPS_MIN;
		int			i;

		in.space = space;
		in.history = h;
		in.iter = lengths[k] + 1;
		in.candidates = 1;
		/* a typical answer: every parameter, in prose and a fence */
		PtBufAppend(&reply, "My proposal:\n```json\n{\"params\": ");
		{
			double		x[PT_SPACE_MAX_PARAMS];
			PtRng		rng;

			PtRngSeed(&rng, 99);
			PtSampleUniformPoint(space, &rng, x);
			PtLlmAppendPoint(&reply, space, x);
		}
		PtBufAppend(&reply, ", \"reasoning\": \"Tighter spread, fewer layers.\"}\n```\n");
		reply_text = PtBufTake(&reply);

		PtLlmPromptBuild(&in, &p, &err);
		bytes = strlen(p.user) + strlen(p.system);
		full = p.n_full;
		summed = p.n_summarised;
		PtLlmPromptFree(&p);
		t0 = now_s();
		for (i = 0; i < reps; i++)
		{
			PtLlmPromptBuild(&in, &p, &err);
			PtLlmPromptFree(&p);
		}
		t_prompt = (now_s() - t0) / reps;
		t0 = now_s();
		for (i = 0; i < reps * 10; i++)
		{
			PtLlmReplyRead(space, reply_text, NULL, NULL, 0, &r, &err);
			PtLlmParsedFree(&r);
		}
		t_read = (now_s() - t0) / (reps * 10);
		PtLlmReplyRead(space, reply_text, NULL, NULL, 0, &r, &err);
		t0 = now_s();
		for (i = 0; i < reps * 10; i++)
			(void) PtLlmFindRepeat(h, r.c[0].x);
		t_rep = (now_s() - t0) / (reps * 10);
		PtLlmParsedFree(&r);
		printf("%8d %12zu %8d %8d %14.1f %14.1f %14.1f\n", lengths[k], bytes, full, summed,
			   t_prompt * 1e6, t_read * 1e6, t_rep * 1e6);
		PtFree(reply_text);
		PtHistoryFree(h);
	}
	PtSpaceFree(space);
	return 0;
}
