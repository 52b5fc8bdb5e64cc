/*
 * test_llm_strategy.c — the llm and llm_tpe strategies against the stand-in
 * over loopback: a normal run, each fault, k candidates per call, the hybrid,
 * both protocols, held-out figures kept out of every prompt, no leak.
 */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "llm_client.h"
#include "llm_strategy.h"
#include "llm_text.h"
#include "pt_alloc.h"
#include "space.h"
#include "llm_stub_run.h"
#include "unit.h"

static const char *const space_json =
	"{\"mm.c_vol\": {\"type\": \"float\", \"low\": 0, \"high\": 5, \"description\": \"volatility spread factor\"},"
	" \"mm.layers\": {\"type\": \"int\", \"low\": 1, \"high\": 5},"
	" \"signal.flow_hl_s\": {\"type\": \"float\", \"low\": 10, \"high\": 600, \"log\": true},"
	" \"mm.post_only\": {\"type\": \"bool\"}}";

/* What a run saw. */
typedef struct RunResult
{
	int			n;
	int			by_source[5];
	int			refused;
	int			with_reasoning;
	int			valid;
	long		tokens_in;
	long		tokens_out;
	bool		error;
	char		last_reasoning[4096];
	char		first_refusal[1024];
	char		any_fallback[1024];
} RunResult;

/* A closed-form score: best near c_vol 2, layers 3, flow 100 s, post_only true. */
static double
score_of(const double *x)
{
	return -pow(x[0] - 2, 2) - 0.1 * pow(x[1] - 3, 2) - pow(log(x[2] / 100), 2) + 0.5 * x[3];
}

/* True when x is inside the space (bounds, ints, choices). */
static bool
valid_point(const PtSpace *s, const double *x)
{
	return x[0] >= 0 && x[0] <= 5 && x[1] >= 1 && x[1] <= 5 && x[1] == floor(x[1]) && x[2] >= 10 &&
		x[2] <= 600 && (x[3] == 0 || x[3] == 1) && s->n_params == 4;
}

/* Run budget iterations of a strategy with a model and options; summaries carry a held-out score. */
static RunResult
run(const PtSpace *space, const PtLlmSettings *settings, bool hybrid, const char *options, int budget)
{
	RunResult	r = {0};
	PtStrategyInit init;
	PtError		err;
	json_object *opt = options ? json_tokener_parse(options) : NULL;
	PtHistory  *h = PtHistoryCreate(space, NULL);
	void	   *st;
	int			i;

	init.space = space;
	init.seed = 42;
	init.options = opt;
	init.llm = settings;
	st = LlmStrategyInit(&init, hybrid, &err);
	json_object_put(opt);
	if (st == NULL)
	{
		printf("# init: %s\n", err.message);
		r.error = true;
		PtHistoryFree(h);
		return r;
	}
	for (i = 1; i <= budget; i++)
	{
		double		x[4];
		PtProposal	p = {0};
		PtTrial		t = {0};
		char		summary[256];

		p.x = x;
		if (LlmStrategyPropose(st, h, i, &p, NULL, &err) != PT_OK)
		{
			printf("# propose: %s\n", err.message);
			r.error = true;
			break;
		}
		r.n++;
		r.by_source[p.source]++;
		r.valid += valid_point(space, x);
		r.tokens_in += p.tokens_in;
		r.tokens_out += p.tokens_out;
		if (p.reasoning && p.reasoning[0])
		{
			r.with_reasoning++;
			snprintf(r.last_reasoning, sizeof(r.last_reasoning), "%s", p.reasoning);
			if (p.source == PT_SOURCE_LLM_FALLBACK && !r.any_fallback[0])
				snprintf(r.any_fallback, sizeof(r.any_fallback), "%s", p.reasoning);
		}
		t.iter = i;
		t.x = x;
		t.source = p.source;
		t.reasoning = p.reasoning;
		if (p.refused)
		{
			r.refused++;
			if (!r.first_refusal[0])
				snprintf(r.first_refusal, sizeof(r.first_refusal), "%s", p.reasoning);
			t.status = PT_TRIAL_REFUSED;
			t.score = NAN;
		}
		else
		{
			t.status = PT_TRIAL_OK;
			t.score = score_of(x);
			snprintf(summary, sizeof(summary), "Mean net PnL was %.2f pUSD. Score %.4f; held-out score 0.777 over 8 seeds.",
					 t.score * 10, t.score);
			t.summary = summary;
		}
		PtHistoryAppend(h, &t, NULL);
		PtFree(p.reasoning);
	}
	LlmStrategyFree(st);
	PtHistoryFree(h);
	return r;
}

/* Count lines of the stub log. */
static int
count_requests(const StubServer *stub)
{
	char	   *log = stub_read_log(stub);
	int			n = 0;
	char	   *p;

	for (p = log; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	free(log);
	return n;
}

/* Every case. */
int
main(void)
{
	StubServer	stub;
	long		live = PtAllocLive();
	PtError		err;
	PtSpace    *space = PtSpaceParse(space_json, &err);
	PtLlmSettings s;
	char		url[128];
	RunResult	r;
	char	   *log;

	if (!stub_start(&stub, 30.0))
	{
		CHECK(false, "the LLM stand-in started");
		stub_stop(&stub);
		return UnitDone();
	}
	PtLlmSettingsDefault(&s);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/chat/completions", stub.port);
	s.endpoint = url;
	s.model = "stub";
	s.api_key_file = stub.key;
	s.timeout_ms = 3000;
	s.max_retries = 1;
	s.backoff_ms = 20;

	{
		PtStrategyInit init = {space, 1, NULL, NULL};
		PtLlmSettings none;
		void	   *probe = LlmStrategyInit(&init, false, &err);

		/* Without settings (the plan's probe) only options.llm is checked. */
		CHECK(probe != NULL, "no settings: a probe that checks options.llm only (%s)", err.message);
		LlmStrategyFree(probe);
		PtLlmSettingsDefault(&none);
		init.llm = &none;
		CHECK(LlmStrategyInit(&init, true, &err) == NULL && err.code == PT_ERR_LLM_CONFIG,
			  "no endpoint: refused with PT_ERR_LLM_CONFIG: %s", err.message);
	}

	stub_clear_log(&stub);
	r = run(space, &s, false, NULL, 12);
	CHECK(!r.error && r.n == 12 && r.by_source[PT_SOURCE_LLM] == 12 && r.with_reasoning == 12 && r.valid == 12,
		  "llm, normal: 12 iterations, all from the model, each with reasoning, all valid");
	CHECK(r.tokens_in > 0 && r.tokens_out > 0, "tokens counted (%ld in, %ld out)", r.tokens_in, r.tokens_out);
	log = stub_read_log(&stub);
	CHECK(strstr(log, "held-out") == NULL && strstr(log, "0.777") == NULL && strstr(log, "Held-out") == NULL,
		  "no held-out text or figure in any prompt the stand-in received");
	CHECK(strstr(log, "Mean net PnL") != NULL && strstr(log, "Iteration 11: score") != NULL,
		  "the prompts carry the training report lines and the history");
	free(log);
	CHECK(count_requests(&stub) == 12, "one request per iteration");

	stub_clear_log(&stub);
	r = run(space, &s, false, "{\"llm\": {\"candidates\": 4, \"temperature\": 0.1, \"history\": 5}}", 12);
	CHECK(!r.error && r.by_source[PT_SOURCE_LLM] == 12 && r.valid == 12 && count_requests(&stub) <= 4,
		  "candidates 4: 12 iterations from at most 4 requests (%d)", count_requests(&stub));

	s.model = "stub-gated";
	r = run(space, &s, false, NULL, 4);
	CHECK(!r.error && r.refused == 4 && r.valid == 4 && strstr(r.first_refusal, "risk.killswitch.max_loss_pusd"),
		  "gated keys: every proposal refused, the keys named: %s", r.first_refusal);

	s.model = "stub-500";
	r = run(space, &s, false, NULL, 3);
	CHECK(!r.error && r.by_source[PT_SOURCE_LLM_FALLBACK] == 3 && r.valid == 3 &&
		  strstr(r.any_fallback, "PT_ERR_LLM_HTTP") != NULL,
		  "HTTP 500 after retries: TPE proposes (llm_fallback), the failure in the reasoning: %s", r.any_fallback);

	s.model = "stub-nonjson";
	r = run(space, &s, false, NULL, 3);
	CHECK(!r.error && r.by_source[PT_SOURCE_LLM_FALLBACK] == 3 && strstr(r.any_fallback, "no JSON object"),
		  "prose without JSON: fallback with the reason");

	s.model = "stub-badbody";
	r = run(space, &s, false, NULL, 2);
	CHECK(!r.error && r.by_source[PT_SOURCE_LLM_FALLBACK] == 2 && r.valid == 2, "a body that is not JSON: fallback");

	s.model = "stub-fenced";
	r = run(space, &s, false, NULL, 3);
	CHECK(!r.error && r.by_source[PT_SOURCE_LLM] == 3 && r.valid == 3, "JSON in a code fence is read");

	s.model = "stub-range";
	r = run(space, &s, false, NULL, 3);
	CHECK(!r.error && r.by_source[PT_SOURCE_LLM] >= 1 && r.valid == 3 && strstr(r.last_reasoning, "clipped"),
		  "out of range: clipped, noted, valid: %s", r.last_reasoning);

	s.model = "stub-types";
	r = run(space, &s, false, NULL, 3);
	CHECK(!r.error && r.by_source[PT_SOURCE_LLM] == 3 && r.valid == 3 && strstr(r.last_reasoning, "string"),
		  "numbers as strings: coerced and noted: %s", r.last_reasoning);

	s.model = "stub-unknown";
	r = run(space, &s, false, NULL, 2);
	CHECK(!r.error && r.by_source[PT_SOURCE_LLM] == 2 && strstr(r.last_reasoning, "mm.not_a_parameter"),
		  "an unknown key: dropped and noted");

	stub_clear_log(&stub);
	s.model = "stub-repeat";
	r = run(space, &s, false, NULL, 3);
	log = stub_read_log(&stub);
	CHECK(!r.error && r.valid == 3 && r.by_source[PT_SOURCE_LLM_FALLBACK] == 2 &&
		  strstr(log, "NOTE: Your last answer proposed only points already evaluated") != NULL &&
		  strstr(r.any_fallback, "already evaluated") != NULL,
		  "repeats: asked again once with a note, then TPE (%d fallbacks)", r.by_source[PT_SOURCE_LLM_FALLBACK]);
	free(log);

	s.model = "stub-huge";
	r = run(space, &s, false, NULL, 2);
	CHECK(!r.error && r.by_source[PT_SOURCE_LLM_FALLBACK] == 2 && strstr(r.any_fallback, "larger than"),
		  "a huge body: fallback");

	s.model = "stub-drop";
	r = run(space, &s, false, NULL, 2);
	CHECK(!r.error && r.by_source[PT_SOURCE_LLM_FALLBACK] == 2 && r.valid == 2, "a dropped connection: fallback");

	s.model = "stub-slow";
	s.timeout_ms = 500;
	r = run(space, &s, false, NULL, 2);
	CHECK(!r.error && r.by_source[PT_SOURCE_LLM_FALLBACK] == 2 && strstr(r.any_fallback, "PT_ERR_LLM_TIMEOUT"),
		  "a slow model: timeout, fallback");
	s.timeout_ms = 3000;

	s.model = "stub";
	stub_clear_log(&stub);
	r = run(space, &s, true, "{\"llm\": {\"tpe_candidates\": 3}, \"tpe\": {\"n_startup_trials\": 4}}", 10);
	log = stub_read_log(&stub);
	CHECK(!r.error && r.by_source[PT_SOURCE_LLM] == 10 && r.valid == 10 && strstr(r.last_reasoning, "Picked TPE candidate 1"),
		  "llm_tpe: the model picks among TPE's ranked candidates: %s", r.last_reasoning);
	CHECK(strstr(log, "Candidate 3: {") != NULL && strstr(log, "Candidate 4: {") == NULL,
		  "llm_tpe: the top 3 candidates are in the prompt");
	free(log);

	s.model = "stub-500";
	r = run(space, &s, true, "{\"tpe\": {\"n_startup_trials\": 2}}", 4);
	CHECK(!r.error && r.by_source[PT_SOURCE_LLM_FALLBACK] == 4 && r.valid == 4,
		  "llm_tpe: when the model fails, TPE's top candidate is used");

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/messages", stub.port);
	s.provider = PT_LLM_ANTHROPIC;
	s.model = "stub";
	r = run(space, &s, false, NULL, 5);
	CHECK(!r.error && r.by_source[PT_SOURCE_LLM] == 5 && r.valid == 5 && r.tokens_in > 0,
		  "anthropic: a normal run");
	s.model = "stub-gated";
	r = run(space, &s, true, NULL, 2);
	CHECK(!r.error && r.valid == 2, "anthropic llm_tpe with gated faults stays valid");

	PtSpaceFree(space);
	PtLlmClientShutdown();
	CHECK(PtAllocLive() == live, "no allocation left behind (%ld)", PtAllocLive() - live);
	stub_stop(&stub);
	return UnitDone();
}
