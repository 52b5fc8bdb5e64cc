/*
 * test_random.c — unit tests of random search, the strategy registry and the history.
 *
 * Distribution checks use fixed seeds and tolerances of five or more
 * standard errors, so they fail only when the sampler is wrong.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "pt_alloc.h"
#include "pt_error.h"
#include "run_plan.h"
#include "space.h"
#include "strategy.h"
#include "unit.h"

#define N_DRAWS 20000			/* draws per distribution check */

static const char *space_json =
"{\"f\": {\"low\": -5, \"high\": 10},"
" \"lf\": {\"low\": 1, \"high\": 10000, \"log\": true},"
" \"sf\": {\"low\": 0, \"high\": 1, \"step\": 0.1},"
" \"i\": {\"type\": \"int\", \"low\": 1, \"high\": 5},"
" \"si\": {\"type\": \"int\", \"low\": 0, \"high\": 11, \"step\": 5},"
" \"li\": {\"type\": \"int\", \"low\": 1, \"high\": 1000, \"log\": true},"
" \"c\": {\"choices\": [\"a\", \"b\", \"c\", \"d\"]},"
" \"b\": {\"type\": \"bool\"}}";

/* Compare doubles for qsort. */
static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* Draws of the whole space through the strategy: reproducibility and registry. */
static void
test_strategy(const PtSpace *s)
{
	PtError		err;
	PtStrategy *a = PtStrategyCreateFromText("random", s, 42, "{}", &err);
	PtStrategy *b = PtStrategyCreateFromText("random", s, 42, NULL, &err);
	PtStrategy *c = PtStrategyCreateFromText("random", s, 43, NULL, &err);
	PtProposal	pa;
	PtProposal	pb;
	PtProposal	pc;
	double		xa[8];
	double		xb[8];
	double		xc[8];
	double		xr[8];
	PtRng		rng;
	int			same_ab = 1;
	int			same_ac = 1;
	int			same_direct = 1;
	int			sources_ok = 1;
	int			i;
	PtStop		stop_never = {NULL, NULL};

	CHECK(a != NULL && b != NULL && c != NULL, "random strategies created");
	if (a == NULL || b == NULL || c == NULL)
		return;
	CHECK(strcmp(a->ops->name, "random") == 0, "ops name random");
	pa.x = xa;
	pb.x = xb;
	pc.x = xc;
	PtRngSeed(&rng, 42);
	for (i = 0; i < 200; i++)
	{
		CHECK(PtStrategyPropose(a, NULL, i + 1, &pa, &stop_never, &err) == PT_OK, "propose a %d", i);
		PtStrategyPropose(b, NULL, i + 1, &pb, NULL, &err);
		PtStrategyPropose(c, NULL, i + 1, &pc, NULL, &err);
		PtStrategyIterRng(&rng, 42, i + 1);
		PtSampleUniformPoint(s, &rng, xr);
		if (memcmp(xa, xb, sizeof(xa)) != 0)
			same_ab = 0;
		if (memcmp(xa, xc, sizeof(xa)) == 0)
			same_ac = 0;
		if (memcmp(xa, xr, sizeof(xa)) != 0)
			same_direct = 0;
		if (pa.source != PT_SOURCE_RANDOM || pa.reasoning != NULL)
			sources_ok = 0;
	}
	CHECK(same_ab, "same seed, same 200 points");
	CHECK(same_ac, "seeds 42 and 43 never give the same point");
	CHECK(same_direct, "the strategy draws PtSampleUniformPoint from PtRngSeed(seed)");
	CHECK(sources_ok, "source random, no reasoning");
	PtStrategyObserve(a, NULL, NULL);
	PtStrategyFree(a);
	PtStrategyFree(b);
	PtStrategyFree(c);
	PtStrategyFree(NULL);

	CHECK(PtStrategyCreateFromText("simulated_annealing", s, 1, NULL, &err) == NULL &&
		  err.code == PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "unknown strategy \"simulated_annealing\"") == 0,
		  "unknown strategy: %s", err.message);
	CHECK(strncmp(err.hint, "Known strategies: random", 24) == 0 && err.hint[strlen(err.hint) - 1] == '.',
		  "hint lists the names: %s", err.hint);
	CHECK(PtStrategyCreateFromText(NULL, s, 1, NULL, &err) == NULL && err.code == PT_ERR_INVALID_PARAMETER,
		  "NULL name refused");
	CHECK(PtStrategyExists("random") && !PtStrategyExists("Random") && !PtStrategyExists(""),
		  "PtStrategyExists");
	CHECK(strstr(PtStrategyNameList(), "random") == PtStrategyNameList(), "name list starts with random: %s",
		  PtStrategyNameList());
}

/* Distribution of each parameter type, one column of many draws. */
static void
test_distributions(const PtSpace *s)
{
	PtRng		rng;
	double	   *draws = malloc(sizeof(double) * 8 * N_DRAWS);
	double	   *col = malloc(sizeof(double) * N_DRAWS);
	int			i;
	int			j;
	int			k;
	int			counts[1001];
	double		sum;
	double		sumsq;
	double		mean;
	double		var;
	int			in_range;

	PtRngSeed(&rng, 20240611);
	for (i = 0; i < N_DRAWS; i++)
		PtSampleUniformPoint(s, &rng, draws + 8 * i);

	/* float uniform on [-5, 10]: mean 2.5, variance 225/12 = 18.75 */
	sum = sumsq = 0;
	in_range = 1;
	for (i = 0; i < N_DRAWS; i++)
	{
		double		v = draws[8 * i + 0];

		sum += v;
		sumsq += v * v;
		if (v < -5 || v > 10)
			in_range = 0;
	}
	mean = sum / N_DRAWS;
	var = sumsq / N_DRAWS - mean * mean;
	CHECK(in_range, "float within [-5, 10]");
	CHECK_NEAR(mean, 2.5, 0.15, "float mean %.4f near 2.5 (SE 0.031)", mean);
	CHECK_NEAR(var, 18.75, 0.6, "float variance %.4f near 18.75 (SE 0.12)", var);

	/* log float on [1, 1e4]: log10 uniform on [0, 4], median near the geometric mean 100 */
	in_range = 1;
	k = 0;
	for (i = 0; i < N_DRAWS; i++)
	{
		col[i] = draws[8 * i + 1];
		if (col[i] < 1 || col[i] > 10000)
			in_range = 0;
		if (col[i] < 10)
			k++;
	}
	qsort(col, N_DRAWS, sizeof(double), cmp_double);
	CHECK(in_range, "log float within [1, 10000]");
	CHECK_NEAR(log10(col[N_DRAWS / 2]), 2.0, 0.08, "log float median %.2f near 100", col[N_DRAWS / 2]);
	CHECK_NEAR((double) k / N_DRAWS, 0.25, 0.02, "log float: a quarter below 10 (%.4f)", (double) k / N_DRAWS);

	/* stepped float 0..1 step 0.1: only grid points, every one hit, about 1/11 each */
	memset(counts, 0, sizeof(counts));
	in_range = 1;
	for (i = 0; i < N_DRAWS; i++)
	{
		double		v = draws[8 * i + 2];
		int			hit = 0;

		for (j = 0; j <= 10; j++)
		{
			if (v == PtParamGridValue(&s->params[2], j))
			{
				counts[j]++;
				hit = 1;
			}
		}
		if (!hit)
			in_range = 0;
	}
	CHECK(in_range, "stepped float only on the grid");
	CHECK(PtParamGridValue(&s->params[2], 3) == 0.3 && PtParamGridValue(&s->params[2], 10) == 1.0,
		  "grid values are the short decimals");
	for (j = 0; j <= 10; j++)
		CHECK(fabs(counts[j] - N_DRAWS / 11.0) < 0.15 * N_DRAWS / 11.0, "grid point %d hit %d times (~1818)",
			  j, counts[j]);

	/* int 1..5 inclusive, about 1/5 each */
	memset(counts, 0, sizeof(counts));
	in_range = 1;
	for (i = 0; i < N_DRAWS; i++)
	{
		double		v = draws[8 * i + 3];

		if (v != floor(v) || v < 1 || v > 5)
			in_range = 0;
		else
			counts[(int) v]++;
	}
	CHECK(in_range, "int integral within [1, 5]");
	for (j = 1; j <= 5; j++)
		CHECK_NEAR((double) counts[j] / N_DRAWS, 0.2, 0.015, "int value %d frequency %.4f near 0.2", j,
				   (double) counts[j] / N_DRAWS);

	/* int 0..11 step 5: high lowered to 10, grid {0, 5, 10} */
	memset(counts, 0, sizeof(counts));
	in_range = 1;
	for (i = 0; i < N_DRAWS; i++)
	{
		double		v = draws[8 * i + 4];

		if (v != 0 && v != 5 && v != 10)
			in_range = 0;
		else
			counts[(int) v]++;
	}
	CHECK(in_range && s->params[4].high == 10, "stepped int only 0, 5, 10");
	CHECK(counts[0] > 6000 && counts[5] > 6000 && counts[10] > 6000, "stepped int: each about a third (%d %d %d)",
		  counts[0], counts[5], counts[10]);

	/* log int 1..1000: P(1) = ln 3 / ln 2001 = 0.1445, P(<= 10) = ln 21 / ln 2001 = 0.4005 */
	memset(counts, 0, sizeof(counts));
	in_range = 1;
	k = 0;
	for (i = 0; i < N_DRAWS; i++)
	{
		double		v = draws[8 * i + 5];

		if (v != floor(v) || v < 1 || v > 1000)
			in_range = 0;
		else
			counts[(int) v]++;
		if (v <= 10)
			k++;
	}
	CHECK(in_range, "log int integral within [1, 1000]");
	CHECK_NEAR((double) counts[1] / N_DRAWS, log(3.0) / log(2001.0), 0.012, "log int P(1) = %.4f near 0.1445",
			   (double) counts[1] / N_DRAWS);
	CHECK_NEAR((double) k / N_DRAWS, log(21.0) / log(2001.0), 0.017, "log int P(<=10) = %.4f near 0.4005",
			   (double) k / N_DRAWS);
	for (j = 901, k = 0; j <= 1000; j++)
		k += counts[j];
	CHECK_NEAR((double) k / N_DRAWS, log(1000.5 / 900.5) / log(2001.0), 0.004,
			   "log int P(> 900) = %.4f near 0.0139", (double) k / N_DRAWS);

	/* categorical: 4 choices, a quarter each; bool: half */
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < N_DRAWS; i++)
	{
		counts[(int) draws[8 * i + 6]]++;
		counts[10 + (int) draws[8 * i + 7]]++;
	}
	for (j = 0; j < 4; j++)
		CHECK_NEAR((double) counts[j] / N_DRAWS, 0.25, 0.015, "choice %d frequency %.4f near 0.25", j,
				   (double) counts[j] / N_DRAWS);
	CHECK(counts[0] + counts[1] + counts[2] + counts[3] == N_DRAWS, "every categorical index in 0..3");
	CHECK_NEAR((double) counts[11] / N_DRAWS, 0.5, 0.02, "bool true frequency %.4f near 0.5",
			   (double) counts[11] / N_DRAWS);
	CHECK(counts[10] + counts[11] == N_DRAWS, "every bool index in 0..1");

	free(draws);
	free(col);
}

/* The in-memory history. */
static void
test_history(const PtSpace *s)
{
	PtError		err;
	PtHistory  *h = PtHistoryCreate(s, &err);
	PtTrial		t;
	double		x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	int			i;

	CHECK(h != NULL && h->n == 0 && h->best == -1 && PtHistoryCountOk(h) == 0, "empty history");
	memset(&t, 0, sizeof(t));
	t.x = x;
	t.summary = "first";
	t.reasoning = "because";
	t.source = PT_SOURCE_WARM_START;
	for (i = 0; i < 150; i++)
	{
		t.iter = i + 1;
		t.status = (i % 10 == 3) ? PT_TRIAL_FAILED : (i % 10 == 7 ? PT_TRIAL_REFUSED : PT_TRIAL_OK);
		t.score = (i == 42) ? 100 : (i == 43 ? 100 : (i == 13 ? 1000 : sin(i)));
		x[0] = i;
		CHECK(PtHistoryAppend(h, &t, &err) == PT_OK, "append %d", i);
	}
	CHECK(h->n == 150 && h->cap >= 150, "150 trials");
	CHECK(PtHistoryCountOk(h) == 120, "120 ok trials (%d)", PtHistoryCountOk(h));
	CHECK(h->best == 42, "best is the first of the tied ok trials, a failed trial's score ignored (%d)", h->best);
	CHECK(h->trials[42].x != x && h->trials[42].x[0] == 42 && h->trials[149].x[0] == 149, "x copied");
	CHECK(h->trials[0].summary != t.summary && strcmp(h->trials[0].summary, "first") == 0 &&
		  strcmp(h->trials[0].reasoning, "because") == 0, "texts copied");
	t.summary = NULL;
	t.reasoning = NULL;
	t.status = PT_TRIAL_OK;
	t.score = NAN;
	PtHistoryAppend(h, &t, &err);
	CHECK(h->best == 42 && h->trials[150].summary == NULL, "a NaN score is never best");
	PtHistoryFree(h);
	PtHistoryFree(NULL);

	CHECK(strcmp(PtSourceName(PT_SOURCE_RANDOM), "random") == 0 &&
		  strcmp(PtSourceName(PT_SOURCE_TPE), "tpe") == 0 &&
		  strcmp(PtSourceName(PT_SOURCE_LLM), "llm") == 0 &&
		  strcmp(PtSourceName(PT_SOURCE_LLM_FALLBACK), "llm_fallback") == 0 &&
		  strcmp(PtSourceName(PT_SOURCE_WARM_START), "warm_start") == 0, "source names");
	CHECK(strcmp(PtTrialStatusName(PT_TRIAL_OK), "ok") == 0 &&
		  strcmp(PtTrialStatusName(PT_TRIAL_REFUSED), "refused") == 0 &&
		  strcmp(PtTrialStatusName(PT_TRIAL_FAILED), "failed") == 0, "status names");
}

/*
 * A random-search plan: NULL options are no options, a NULL strategy is an
 * unknown one (NULL options reached strlen(NULL) in read_options).
 */
static void
test_plan(void)
{
	PtError		err;
	PtRunPlan  *plan;

	plan = PtRunPlanCreate(space_json, "random", 10, 1, NULL, &err);
	CHECK(plan != NULL && err.code == PT_OK && strcmp(plan->options_json, "{}") == 0,
		  "NULL options are {}: %s", err.message);
	PtRunPlanFree(plan);
	plan = PtRunPlanCreate(space_json, NULL, 10, 1, "{}", &err);
	CHECK(plan == NULL && err.code == PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "unknown strategy \"(null)\"") == 0, "NULL strategy: %s", err.message);
	/* found by test/fuzz/fuzz_plan: TPE proposed NaN over a subnormal range */
	plan = PtRunPlanCreate("{\"x\": {\"low\": 0, \"high\": 5e-324}}", "tpe", 10, 1, "{}", &err);
	CHECK(plan == NULL && err.code == PT_ERR_INVALID_PARAMETER && strstr(err.message, "narrower") != NULL,
		  "a range narrower than 1e-300 is refused: %s", err.message);

	/* Defect 9: a warm-start value that options.fixed contradicts is an error, not overridden. */
	plan = PtRunPlanCreate("{\"x\": {\"low\": 0, \"high\": 1, \"default\": 0}}", "random", 10, 1,
						   "{\"fixed\": {\"k\": 3}, \"warm_start\": [{\"k\": 3}, {\"k\": 4}]}", &err);
	CHECK(plan == NULL && err.code == PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "options.warm_start[1]: parameter \"k\" is 4 but options.fixed sets it to 3") == 0,
		  "a warm-start value contradicting options.fixed: %s", err.message);
	/* ... and may set parameters outside the space: evaluated as given, written to the row. */
	plan = PtRunPlanCreate("{\"x\": {\"low\": 0, \"high\": 1}}", "random", 10, 1,
						   "{\"fixed\": {\"k\": \"a\"}, \"warm_start\": [{\"x\": 0.5, \"m\": [1]}, {\"x\": 0.25}]}",
						   &err);
	CHECK(plan != NULL && plan->eval_space->n_params == 3 && plan->n_warm == 2, "extra dimensions k, m: %s",
		  err.message);
	if (plan != NULL)
	{
		char	   *a = PtRunPlanPointJson(plan, PtRunPlanWarmPoint(plan, 0), &err);
		char	   *b = PtRunPlanPointJson(plan, PtRunPlanWarmPoint(plan, 1), &err);
		double		x = 0.75;
		double		point[3];
		char	   *c;

		PtRunPlanEvalPoint(plan, &x, point);
		c = PtRunPlanPointJson(plan, point, &err);
		CHECK(a != NULL && strcmp(a, "{\"x\":0.5,\"k\":\"a\",\"m\":[1]}") == 0, "warm point 0: %s", a);
		CHECK(b != NULL && strcmp(b, "{\"x\":0.25,\"k\":\"a\"}") == 0, "warm point 1 leaves m unset: %s", b);
		CHECK(c != NULL && strcmp(c, "{\"x\":0.75,\"k\":\"a\"}") == 0, "a strategy point gets the fixed k: %s", c);
		PtFree(a);
		PtFree(b);
		PtFree(c);
		PtRunPlanFree(plan);
	}
}

/* Run every check and print the TAP plan. */
int
main(void)
{
	long		live0 = PtAllocLive();
	PtError		err;
	PtSpace    *s = PtSpaceParse(space_json, &err);

	CHECK(s != NULL && s->n_params == 8, "space parsed: %s", err.message);
	if (s == NULL)
		return UnitDone();
	test_strategy(s);
	test_distributions(s);
	test_history(s);
	test_plan();
	PtSpaceFree(s);
	CHECK(PtAllocLive() == live0, "no allocation left live (%ld)", PtAllocLive() - live0);
	return UnitDone();
}
