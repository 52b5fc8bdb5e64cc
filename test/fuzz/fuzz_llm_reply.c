/*
 * fuzz_llm_reply.c — libFuzzer harness of the LLM reply reader and the
 * held-out filter.
 *
 * Input: the model's answer text, optionally followed by 0x01 and a search
 * space JSON (a fixed five-parameter space when absent or invalid).
 * Invariants: no crash, leak or sanitizer report; a usable reply gives at
 * least one candidate and every candidate point is valid for the space
 * (finite, in bounds, on the grid, a real choice); an unusable reply gives a
 * well-formed PT_ERR_LLM_REPLY; the held-out filter's output never mentions
 * a held-out result, and neither does a reasoning the reader kept.
 */
#include "fuzz_common.h"
#include "llm_reply.h"
#include "llm_text.h"

static const char *const default_space =
	"{\"a\": {\"type\": \"float\", \"low\": 0, \"high\": 10},"
	" \"b\": {\"type\": \"float\", \"low\": 0.001, \"high\": 100, \"log\": true},"
	" \"n\": {\"type\": \"int\", \"low\": 1, \"high\": 5},"
	" \"q\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"step\": 0.25},"
	" \"mm.post_only\": {\"type\": \"bool\"},"
	" \"mode\": {\"type\": \"categorical\", \"choices\": [\"fast\", \"slow\", 3, null]}}";

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One input: read it as a reply; filter it as a summary. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *text = fuzz_text(data, size);
	char	   *parts[FUZZ_MAX_PARTS];
	long		live = PtAllocLive();
	PtError		err;
	PtSpace    *space;
	PtLlmParsed r;
	PtBuf		b = {0};
	double		tpe[2 * PT_SPACE_MAX_PARAMS];
	int			rc;
	int			i;

	fuzz_split(text, parts, 2);
	space = parts[1] != NULL ? PtSpaceParse(parts[1], &err) : NULL;
	if (space == NULL)
		space = PtSpaceParse(default_space, &err);
	FUZZ_ASSERT(space != NULL, "the default space must parse: %s", err.message);
	for (i = 0; i < 2 * space->n_params; i++)
	{
		const PtParam *p = &space->params[i % space->n_params];

		tpe[i] = (p->type == PT_PARAM_FLOAT || p->type == PT_PARAM_INT) ? p->low : 0;
	}
	rc = PtLlmReplyRead(space, parts[0], NULL, tpe, 2, &r, &err);
	if (rc == PT_OK)
	{
		FUZZ_ASSERT(r.n >= 1 && r.n <= PT_LLM_MAX_CANDIDATES, "usable reply with %d candidates", r.n);
		for (i = 0; i < r.n; i++)
		{
			fuzz_check_point(space, r.c[i].x, "candidate");
			FUZZ_ASSERT(r.c[i].reasoning == NULL || !PtTextMentionsHoldout(r.c[i].reasoning),
						"kept reasoning mentions held-out: %s", r.c[i].reasoning);
		}
	}
	else
	{
		fuzz_check_error(&err, rc, false);
		FUZZ_ASSERT(rc == PT_ERR_LLM_REPLY || rc == PT_ERR_OUT_OF_MEMORY, "unexpected code %s",
					PtErrorCodeName(err.code));
	}
	PtLlmParsedFree(&r);

	PtBufAppendTraining(&b, parts[0], 400);
	FUZZ_ASSERT(b.data == NULL || !PtTextMentionsHoldout(b.data), "filter kept held-out text: %s", b.data);
	FUZZ_ASSERT(b.data == NULL || b.len <= 400, "filter output %zu bytes over its cap", b.len);
	PtBufFree(&b);

	PtSpaceFree(space);
	FUZZ_ASSERT(PtAllocLive() == live, "%ld allocations leaked", PtAllocLive() - live);
	free(text);
	return 0;
}
