/*
 * test_llm_reply.c — the reader of a model's answer: JSON in prose or fences,
 * unknown keys, gated keys, coercion, clipping, candidates, choices, repeats.
 */
#include <stdio.h>
#include <string.h>

#include "history.h"
#include "llm_reply.h"
#include "pt_alloc.h"
#include "space.h"
#include "unit.h"

static const char *const space_json =
	"{\"a\": {\"type\": \"float\", \"low\": 0, \"high\": 10},"
	" \"n\": {\"type\": \"int\", \"low\": 1, \"high\": 5},"
	" \"q\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"step\": 0.25},"
	" \"mm.post_only\": {\"type\": \"bool\"},"
	" \"mode\": {\"type\": \"categorical\", \"choices\": [\"fast\", \"slow\", 3]}}";

/* Read text and return the code; out is filled. */
static int
read(const PtSpace *space, const char *text, const double *base, PtLlmParsed *out, PtError *err)
{
	return PtLlmReplyRead(space, text, base, NULL, 0, out, err);
}

/* Every case of the reader. */
int
main(void)
{
	long		live = PtAllocLive();
	PtError		err;
	PtSpace    *space = PtSpaceParse(space_json, &err);
	PtLlmParsed r;
	int			rc;
	double		base[5] = {5, 2, 0.5, 1, 1};
	double		tpe[10] = {1, 1, 0, 0, 0, 9, 5, 1, 1, 2};

	CHECK(space != NULL, "the test space parses");

	rc = read(space, "Sure! Here it is:\n```json\n{\"params\": {\"a\": 2.5, \"n\": 3, \"q\": 0.75, "
			  "\"mm.post_only\": true, \"mode\": \"slow\"}, \"reasoning\": \"wider\"}\n```\nGood luck {not json}.",
			  NULL, &r, &err);
	CHECK(rc == PT_OK && r.n == 1 && r.c[0].x[0] == 2.5 && r.c[0].x[1] == 3 && r.c[0].x[2] == 0.75 &&
		  r.c[0].x[3] == 1 && r.c[0].x[4] == 1 && strcmp(r.c[0].reasoning, "wider") == 0 && r.c[0].notes == NULL,
		  "JSON in prose and a code fence is read whole, with no notes");
	PtLlmParsedFree(&r);

	rc = read(space, "{\"params\": {\"a\": 1, \"zzz\": 4}, \"reasoning\": \"r\"}", base, &r, &err);
	CHECK(rc == PT_OK && r.c[0].notes && strstr(r.c[0].notes, "\"zzz\" is not a parameter") &&
		  strstr(r.c[0].notes, "4 parameters left out took the best point's values") && r.c[0].x[1] == 2,
		  "an unknown key is dropped and noted; left-out params come from the base point: %s", r.c[0].notes);
	PtLlmParsedFree(&r);

	rc = read(space, "{\"params\": {\"a\": 1, \"risk.killswitch.max_loss_pusd\": 5, "
			  "\"risk\": {\"ExposureGuard\": {\"max\": 1}}}}", base, &r, &err);
	CHECK(rc == PT_OK && r.c[0].gated_keys && strstr(r.c[0].gated_keys, "risk.killswitch.max_loss_pusd") &&
		  strstr(r.c[0].gated_keys, "risk.ExposureGuard"),
		  "gated keys, flat and nested, mark the proposal refused: %s", r.c[0].gated_keys);
	PtLlmParsedFree(&r);

	rc = read(space, "{\"params\": {\"a\": 99, \"n\": -4, \"q\": 0.3}}", NULL, &r, &err);
	CHECK(rc == PT_OK && r.c[0].x[0] == 10 && r.c[0].x[1] == 1 && r.c[0].x[2] == 0.25 &&
		  strstr(r.c[0].notes, "99 was out of range and was clipped") && strstr(r.c[0].notes, "step grid"),
		  "out-of-range values are clipped and off-grid values snapped, each noted: %s", r.c[0].notes);
	PtLlmParsedFree(&r);

	rc = read(space, "{\"params\": {\"a\": \"2.5\", \"n\": 2.6, \"mm.post_only\": \"false\", \"mode\": 3, "
			  "\"q\": 1}}", NULL, &r, &err);
	CHECK(rc == PT_OK && r.c[0].x[0] == 2.5 && r.c[0].x[1] == 3 && r.c[0].x[3] == 0 && r.c[0].x[4] == 2,
		  "unambiguous coercions: \"2.5\", 2.6 for an int, \"false\", 3 as a choice: %s", r.c[0].notes);
	PtLlmParsedFree(&r);

	rc = read(space, "{\"params\": {\"mode\": \"SLOW\"}}", NULL, &r, &err);
	CHECK(rc == PT_OK && r.c[0].x[4] == 1, "a string choice in another case is read when only one matches");
	PtLlmParsedFree(&r);

	rc = read(space, "{\"params\": {\"a\": true}}", NULL, &r, &err);
	CHECK(rc == PT_ERR_LLM_REPLY && strstr(err.detail, "needs a number"),
		  "a boolean for a float is rejected: %s", err.detail);
	PtLlmParsedFree(&r);

	rc = read(space, "{\"params\": {\"mode\": \"medium\"}}", NULL, &r, &err);
	CHECK(rc == PT_ERR_LLM_REPLY && strstr(err.detail, "one of its 3 choices"), "an unknown choice is rejected");
	PtLlmParsedFree(&r);

	rc = read(space, "I would widen the spread.", NULL, &r, &err);
	CHECK(rc == PT_ERR_LLM_REPLY && strstr(err.message, "no JSON object"), "prose without JSON is unusable");
	PtLlmParsedFree(&r);

	rc = read(space, "{\"thoughts\": \"hmm\"}", NULL, &r, &err);
	CHECK(rc == PT_ERR_LLM_REPLY, "an object without params is unusable: %s", err.detail);
	PtLlmParsedFree(&r);

	rc = read(space, "{\"a\": 3, \"n\": 2}", base, &r, &err);
	CHECK(rc == PT_OK && r.c[0].x[0] == 3 && strstr(r.c[0].notes, "no \"params\" member"),
		  "a bare object of parameter names is read as params");
	PtLlmParsedFree(&r);

	rc = read(space, "{\"candidates\": [{\"params\": {\"a\": 1}, \"reasoning\": \"one\"}, {\"params\": {\"a\": false}},"
			  " 7, {\"params\": {\"a\": 3}, \"reasoning\": \"three\"}]}", base, &r, &err);
	CHECK(rc == PT_OK && r.n == 2 && r.n_rejected == 2 && r.c[0].x[0] == 1 && r.c[1].x[0] == 3 &&
		  strcmp(r.c[1].reasoning, "three") == 0, "k candidates: the usable ones in order, the rest counted");
	PtLlmParsedFree(&r);

	rc = PtLlmReplyRead(space, "{\"choice\": 2, \"reasoning\": \"second\"}", base, tpe, 2, &r, &err);
	CHECK(rc == PT_OK && r.c[0].choice == 1 && r.c[0].x[0] == 9 && r.c[0].x[4] == 2,
		  "llm_tpe: a choice picks TPE's candidate");
	PtLlmParsedFree(&r);
	rc = PtLlmReplyRead(space, "{\"choice\": 5}", base, tpe, 2, &r, &err);
	CHECK(rc == PT_ERR_LLM_REPLY, "a choice out of range is unusable");
	PtLlmParsedFree(&r);

	rc = read(space, "{\"params\": {\"a\": 1}, \"reasoning\": \"The held-out score was 0.9. So a=1.\"}", base, &r, &err);
	CHECK(rc == PT_OK && strcmp(r.c[0].reasoning, "So a=1.") == 0,
		  "a reasoning that cites a held-out figure is cut before it is stored: \"%s\"", r.c[0].reasoning);
	PtLlmParsedFree(&r);

	{
		PtHistory  *h = PtHistoryCreate(space, NULL);
		PtTrial		t = {0};

		t.iter = 1;
		t.x = base;
		t.status = PT_TRIAL_OK;
		PtHistoryAppend(h, &t, NULL);
		CHECK(PtLlmFindRepeat(h, base) == 1 && PtLlmFindRepeat(h, tpe) == 0, "a repeat of an evaluated point is found");
		PtHistoryFree(h);
	}
	PtSpaceFree(space);
	CHECK(PtAllocLive() == live, "no allocation left behind");
	return UnitDone();
}
