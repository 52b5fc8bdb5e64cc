/*
 * test_tpe.c — the "tpe" strategy: options, reproducibility, valid proposals,
 * failed trials, cancellation, and that it beats random search on Branin.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pt_alloc.h"
#include "strategy.h"
#include "tpe.h"
#include "unit.h"

#define BRANIN_MIN 0.397887357729738
#define BRANIN_SEEDS 10
#define BRANIN_BUDGET 100

/* A growable history of our own (the test needs no other module). */
typedef struct TestHistory
{
	PtHistory	h;
	int			n_params;
} TestHistory;

/* Append a trial (x copied). */
static void
th_append(TestHistory *th, const double *x, double score, PtTrialStatus status, PtSource source)
{
	PtTrial    *t;

	if (th->h.n == th->h.cap)
	{
		th->h.cap = th->h.cap ? th->h.cap * 2 : 16;
		th->h.trials = realloc(th->h.trials, sizeof(PtTrial) * th->h.cap);
	}
	t = &th->h.trials[th->h.n];
	memset(t, 0, sizeof(*t));
	t->iter = th->h.n + 1;
	t->x = malloc(sizeof(double) * th->n_params);
	memcpy(t->x, x, sizeof(double) * th->n_params);
	t->score = score;
	t->status = status;
	t->source = source;
	th->h.n++;
}

/* Free the trials. */
static void
th_free(TestHistory *th)
{
	int			i;

	for (i = 0; i < th->h.n; i++)
		free(th->h.trials[i].x);
	free(th->h.trials);
	memset(th, 0, sizeof(*th));
}

/* A space built by hand: float, log float, stepped float, int, log int, int step 3, categorical, bool. */
static PtSpace *
mixed_space(void)
{
	static PtParam p[8];
	static PtSpace s = {8, p};

	memset(p, 0, sizeof(p));
	p[0] = (PtParam) {.name = "f", .type = PT_PARAM_FLOAT, .low = -5, .high = 10};
	p[1] = (PtParam) {.name = "lf", .type = PT_PARAM_FLOAT, .low = 1e-3, .high = 10, .log = true};
	p[2] = (PtParam) {.name = "sf", .type = PT_PARAM_FLOAT, .low = 0, .high = 2, .step = 0.25};
	p[3] = (PtParam) {.name = "i", .type = PT_PARAM_INT, .low = 0, .high = 10, .step = 1};
	p[4] = (PtParam) {.name = "li", .type = PT_PARAM_INT, .low = 1, .high = 100, .log = true, .step = 1};
	p[5] = (PtParam) {.name = "is", .type = PT_PARAM_INT, .low = 2, .high = 20, .step = 3};
	p[6] = (PtParam) {.name = "c", .type = PT_PARAM_CATEGORICAL, .n_choices = 4};
	p[7] = (PtParam) {.name = "b", .type = PT_PARAM_BOOL, .n_choices = 2};
	return &s;
}

/* A smooth score over the mixed space (maximised). */
static double
mixed_score(const double *x)
{
	return -pow(x[0] - 2.0, 2) - pow(log(x[1]) - 0.5, 2) - pow(x[2] - 1.25, 2) - pow(x[3] - 7, 2) / 4
		- pow(log(x[4]) - 3.0, 2) - pow(x[5] - 11, 2) / 9 + (x[6] == 2 ? 1.0 : 0.0) + x[7];
}

/* True when x is a valid point of the space: in bounds, on the step, a choice index. */
static bool
point_valid(const PtSpace *s, const double *x)
{
	int			j;

	for (j = 0; j < s->n_params; j++)
	{
		const PtParam *p = &s->params[j];

		if (!isfinite(x[j]))
			return false;
		if (p->type == PT_PARAM_CATEGORICAL || p->type == PT_PARAM_BOOL)
		{
			if (x[j] != floor(x[j]) || x[j] < 0 || x[j] >= p->n_choices)
				return false;
			continue;
		}
		if (x[j] < p->low || x[j] > p->high)
			return false;
		if (p->type == PT_PARAM_INT && x[j] != floor(x[j]))
			return false;
		if (p->step > 0)
		{
			double		k = (x[j] - p->low) / p->step;

			if (fabs(k - rint(k)) > 1e-9)
				return false;
		}
	}
	return true;
}

/* Run a strategy for budget iterations on the mixed space; xs receives every point. */
static bool
run_mixed(const char *options, uint64_t seed, int budget, double *xs, int *n_tpe_source,
		  bool *all_valid)
{
	PtSpace    *s = mixed_space();
	TestHistory th = {{s, 0, 0, NULL, -1}, s->n_params};
	PtError		err;
	PtStrategy *st = PtStrategyCreateFromText("tpe", s, seed, options, &err);
	int			it;
	bool		ok = st != NULL;

	*n_tpe_source = 0;
	*all_valid = true;
	for (it = 0; ok && it < budget; it++)
	{
		PtProposal prop = {0};
		double	   *x = xs + (size_t) it * s->n_params;

		prop.x = x;
		if (PtStrategyPropose(st, &th.h, it + 1, &prop, NULL, &err) != PT_OK)
		{
			ok = false;
			break;
		}
		if (prop.source == PT_SOURCE_TPE)
			(*n_tpe_source)++;
		if (!point_valid(s, x))
			*all_valid = false;
		PtFree(prop.reasoning);
		/* every 7th trial fails: it must simply be left out */
		th_append(&th, x, it % 7 == 3 ? NAN : mixed_score(x),
				  it % 7 == 3 ? PT_TRIAL_FAILED : PT_TRIAL_OK, PT_SOURCE_TPE);
		PtStrategyObserve(st, &th.h, &th.h.trials[th.h.n - 1]);
	}
	PtStrategyFree(st);
	th_free(&th);
	return ok;
}

/* Defaults, every key, every error. */
static void
test_options(void)
{
	TpeOptions	o;
	PtError		err;
	static const struct
	{
		const char *json;
		int			code;
		const char *message;
	}			bad[] = {
		{"{\"tpe\": {\"n_ei_candidates\": 0}}", PT_ERR_INVALID_PARAMETER,
		"options.tpe.n_ei_candidates must be a positive integer"},
		{"{\"tpe\": {\"n_ei_candidates\": 2.5}}", PT_ERR_INVALID_PARAMETER,
		"options.tpe.n_ei_candidates must be a positive integer"},
		{"{\"tpe\": {\"n_startup_trials\": -1}}", PT_ERR_INVALID_PARAMETER,
		"options.tpe.n_startup_trials must be a non-negative integer"},
		{"{\"tpe\": {\"n_startup_trials\": \"10\"}}", PT_ERR_INVALID_PARAMETER,
		"options.tpe.n_startup_trials must be a non-negative integer"},
		{"{\"tpe\": {\"gamma\": 0}}", PT_ERR_INVALID_PARAMETER,
		"options.tpe.gamma must be a number in (0, 1]"},
		{"{\"tpe\": {\"gamma\": 1.5}}", PT_ERR_INVALID_PARAMETER,
		"options.tpe.gamma must be a number in (0, 1]"},
		{"{\"tpe\": {\"prior_weight\": -1}}", PT_ERR_INVALID_PARAMETER,
		"options.tpe.prior_weight must be a positive number"},
		{"{\"tpe\": {\"consider_magic_clip\": 1}}", PT_ERR_INVALID_PARAMETER,
		"options.tpe.consider_magic_clip must be a boolean"},
		{"{\"tpe\": {\"consider_endpoints\": \"yes\"}}", PT_ERR_INVALID_PARAMETER,
		"options.tpe.consider_endpoints must be a boolean"},
		{"{\"tpe\": {\"multivariate\": null}}", PT_ERR_INVALID_PARAMETER,
		"options.tpe.multivariate must be a boolean"},
		{"{\"tpe\": {\"seed\": 1.5}}", PT_ERR_INVALID_PARAMETER,
		"options.tpe.seed must be an integer"},
		{"{\"tpe\": {\"n_ei\": 24}}", PT_ERR_INVALID_PARAMETER,
		"unknown key \"n_ei\" in options.tpe"},
		{"{\"tpe\": [1]}", PT_ERR_INVALID_PARAMETER, "options.tpe must be a JSON object"},
		{"[1, 2]", PT_ERR_INVALID_PARAMETER, "options must be a JSON object"},
		{"{\"tpe\": ", PT_ERR_INVALID_TEXT, "options are not valid JSON"},
	};
	size_t		i;

	CHECK(TpeOptionsParse(NULL, &o, &err) == PT_OK && o.n_startup_trials == 10 &&
		  o.n_ei_candidates == 24 && o.gamma == 0.1 && o.prior_weight == 1.0 &&
		  o.consider_magic_clip && !o.consider_endpoints && !o.multivariate && !o.has_seed,
		  "no options: Optuna 3.1's defaults (10, 24, 0.1, 1.0, clip on, endpoints off, independent)");
	CHECK(TpeOptionsParse("{\"objective\": \"branin\", \"fixed\": {}}", &o, &err) == PT_OK &&
		  o.n_ei_candidates == 24, "other members of options are left to their owners");
	CHECK(TpeOptionsParse("{\"tpe\": {\"n_startup_trials\": 0, \"n_ei_candidates\": 64, "
						  "\"gamma\": 0.25, \"prior_weight\": 2, \"consider_magic_clip\": false, "
						  "\"consider_endpoints\": true, \"multivariate\": true, \"seed\": 42}}",
						  &o, &err) == PT_OK &&
		  o.n_startup_trials == 0 && o.n_ei_candidates == 64 && o.gamma == 0.25 &&
		  o.prior_weight == 2.0 && !o.consider_magic_clip && o.consider_endpoints &&
		  o.multivariate && o.has_seed && o.seed == 42,
		  "every options.tpe key is read");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		int			rc = TpeOptionsParse(bad[i].json, &o, &err);

		CHECK(rc == bad[i].code && strcmp(err.message, bad[i].message) == 0,
			  "%s -> %s: %s", bad[i].json, PtErrorCodeName(rc), err.message);
	}
	CHECK(PtStrategyCreateFromText("tpe", mixed_space(), 1, "{\"tpe\": {\"gamma\": 2}}", &err) == NULL &&
		  err.code == PT_ERR_INVALID_PARAMETER, "a bad option fails strategy creation: %s",
		  err.message);
	CHECK(PtStrategyExists("tpe"), "\"tpe\" is registered (%s)", PtStrategyNameList());
}

/* Same seed, same points; another seed, other points; all valid, all sourced tpe. */
static void
test_reproducible_and_valid(void)
{
	static const char *const modes[] = {"{}", "{\"tpe\": {\"multivariate\": true}}"};
	int			n = mixed_space()->n_params;
	int			budget = 60;
	double	   *a = malloc(sizeof(double) * n * budget);
	double	   *b = malloc(sizeof(double) * n * budget);
	double	   *c = malloc(sizeof(double) * n * budget);
	int			m;

	for (m = 0; m < 2; m++)
	{
		int			src_a;
		int			src_b;
		int			src_c;
		bool		valid_a;
		bool		valid_b;
		bool		valid_c;
		bool		ok = run_mixed(modes[m], 7, budget, a, &src_a, &valid_a) &&
			run_mixed(modes[m], 7, budget, b, &src_b, &valid_b) &&
			run_mixed(modes[m], 8, budget, c, &src_c, &valid_c);

		CHECK(ok, "%s: %d proposals on a mixed space", modes[m], budget);
		CHECK(memcmp(a, b, sizeof(double) * n * budget) == 0,
			  "%s: the same seed gives the same %d points", modes[m], budget);
		CHECK(memcmp(a, c, sizeof(double) * n * budget) != 0,
			  "%s: another seed gives other points", modes[m]);
		CHECK(valid_a && valid_b && valid_c,
			  "%s: every point in bounds, on its step, with valid choice indexes", modes[m]);
		CHECK(src_a == budget && src_c == budget,
			  "%s: every proposal, start-up included, has source tpe", modes[m]);
	}
	free(a);
	free(b);
	free(c);
}

/* Branin (minimised) at x. */
static double
branin(double x1, double x2)
{
	double		b = 5.1 / (4.0 * M_PI * M_PI);
	double		c = 5.0 / M_PI;
	double		t = 1.0 / (8.0 * M_PI);

	return pow(x2 - b * x1 * x1 + c * x1 - 6.0, 2) + 10.0 * (1.0 - t) * cos(x1) + 10.0;
}

/* Best Branin regret after budget iterations of a strategy. */
static double
branin_regret(const char *strategy, uint64_t seed, int budget)
{
	static PtParam p[2];
	static PtSpace s = {2, p};
	TestHistory th = {{&s, 0, 0, NULL, -1}, 2};
	PtError		err;
	PtStrategy *st;
	double		best = INFINITY;
	int			it;

	p[0] = (PtParam) {.name = "x1", .type = PT_PARAM_FLOAT, .low = -5, .high = 10};
	p[1] = (PtParam) {.name = "x2", .type = PT_PARAM_FLOAT, .low = 0, .high = 15};
	st = PtStrategyCreateFromText(strategy, &s, seed, "{}", &err);
	if (st == NULL)
		return NAN;
	for (it = 0; it < budget; it++)
	{
		double		x[2];
		PtProposal	prop = {0};
		double		f;

		prop.x = x;
		if (PtStrategyPropose(st, &th.h, it + 1, &prop, NULL, &err) != PT_OK)
			break;
		PtFree(prop.reasoning);
		f = branin(x[0], x[1]);
		best = fmin(best, f);
		th_append(&th, x, -f, PT_TRIAL_OK, prop.source);
	}
	PtStrategyFree(st);
	th_free(&th);
	return best - BRANIN_MIN;
}

/* TPE beats random on Branin at 100 iterations, over several seeds. */
static void
test_branin(void)
{
	double		tpe = 0.0;
	double		rnd = 0.0;
	int			tpe_wins = 0;
	int			s;

	for (s = 0; s < BRANIN_SEEDS; s++)
	{
		double		t = branin_regret("tpe", 1000 + s, BRANIN_BUDGET);
		double		r = branin_regret("random", 1000 + s, BRANIN_BUDGET);

		tpe += t / BRANIN_SEEDS;
		rnd += r / BRANIN_SEEDS;
		if (t < r)
			tpe_wins++;
	}
	CHECK(tpe < 0.5 * rnd && tpe_wins >= BRANIN_SEEDS * 7 / 10,
		  "Branin, %d iterations, %d seeds: mean regret tpe %.4f < half of random %.4f; tpe better on %d seeds",
		  BRANIN_BUDGET, BRANIN_SEEDS, tpe, rnd, tpe_wins);
}

/* Failed and refused trials are never learnt from, however they score. */
static void
test_failed_trials(void)
{
	static PtParam p[1];
	static PtSpace s = {1, p};
	TestHistory th = {{&s, 0, 0, NULL, -1}, 1};
	PtError		err;
	PtStrategy *st;
	PtProposal	prop = {0};
	PtRng		rng;
	double		x;
	double		expect;
	int			usable[64];
	double		scores[64];
	int			below[64];
	int			above[64];
	int			n;
	int			i;
	bool		no_failed_good = true;

	p[0] = (PtParam) {.name = "x", .type = PT_PARAM_FLOAT, .low = 0, .high = 1};
	/* 9 ok trials and 6 failed or refused ones carrying huge scores */
	for (i = 0; i < 15; i++)
	{
		double		v = (i + 0.5) / 15.0;

		if (i % 5 == 1 || i % 5 == 3)
			th_append(&th, &v, 1e300, i % 2 ? PT_TRIAL_FAILED : PT_TRIAL_REFUSED, PT_SOURCE_TPE);
		else
			th_append(&th, &v, -v, PT_TRIAL_OK, PT_SOURCE_TPE);
	}
	n = TpeUsableTrials(&th.h, usable);
	CHECK(n == 9, "only ok trials are usable (%d of %d)", n, th.h.n);

	/* 9 ok < 10 start-up trials: still uniform, whatever the failed ones say */
	st = PtStrategyCreateFromText("tpe", &s, 5, "{}", &err);
	prop.x = &x;
	PtStrategyPropose(st, &th.h, th.h.n + 1, &prop, NULL, &err);
	PtStrategyIterRng(&rng, 5, th.h.n + 1);
	PtSampleUniformPoint(&s, &rng, &expect);
	CHECK(x == expect && prop.source == PT_SOURCE_TPE,
		  "failed trials do not count toward the 10 start-up trials");
	PtFree(prop.reasoning);
	PtStrategyFree(st);

	/* add warm-start trials: they count like any other */
	for (i = 0; i < 12; i++)
	{
		double		v = (i + 0.25) / 12.0;

		th_append(&th, &v, -v, PT_TRIAL_OK, PT_SOURCE_WARM_START);
	}
	n = TpeUsableTrials(&th.h, usable);
	for (i = 0; i < n; i++)
		scores[i] = th.h.trials[usable[i]].score;
	TpeSplit(scores, n, TpeGamma(0.1, n), below, above);
	for (i = 0; i < TpeGamma(0.1, n); i++)
		if (th.h.trials[usable[below[i]]].status != PT_TRIAL_OK)
			no_failed_good = false;
	CHECK(no_failed_good && TpeGamma(0.1, n) == 3,
		  "the good set holds ok trials only (%d good of %d ok, warm starts included)",
		  TpeGamma(0.1, n), n);

	st = PtStrategyCreateFromText("tpe", &s, 5, "{}", &err);
	prop.reasoning = NULL;
	i = PtStrategyPropose(st, &th.h, th.h.n + 1, &prop, NULL, &err);
	CHECK(i == PT_OK && x >= 0 && x <= 1 &&
		  prop.reasoning != NULL && strncmp(prop.reasoning, "tpe:", 4) == 0,
		  "with 21 ok trials the model runs: %s", prop.reasoning ? prop.reasoning : "(null)");
	/* the best ok trials sit near 0: l should pull there */
	CHECK(x < 0.5, "the proposal follows the good trials, not the failed ones (x = %.3f)", x);
	PtFree(prop.reasoning);
	PtStrategyFree(st);
	th_free(&th);
}

/* Points of a run driven through TpeCreate (explicit options). */
static void
run_direct(const PtSpace *s, const TpeOptions *opt, int budget, double *xs, bool duplicate)
{
	TestHistory th = {{s, 0, 0, NULL, -1}, s->n_params};
	PtError		err;
	void	   *st = TpeCreate(s, 3, opt, &err);
	int			it;

	for (it = 0; it < budget; it++)
	{
		PtProposal	prop = {0};
		double	   *x = xs + (size_t) it * s->n_params;
		double		score = 0.0;
		int			j;

		prop.x = x;
		PtTpeStrategy.propose(st, &th.h, it + 1, &prop, NULL, &err);
		PtFree(prop.reasoning);
		for (j = 0; j < s->n_params; j++)
			score -= pow(x[j] - 0.7 * s->params[j].high, 2);
		th_append(&th, x, score, PT_TRIAL_OK, PT_SOURCE_TPE);
		/* a repeated point: equal values force the numpy-order fallback */
		if (duplicate && it == 40)
			th_append(&th, x, score - 1.0, PT_TRIAL_OK, PT_SOURCE_WARM_START);
	}
	PtTpeStrategy.free(st);
	th_free(&th);
}

/* The sorted-column shortcut gives exactly what a fresh numpy-order sort gives. */
static void
test_sort_cache(void)
{
	static PtParam p[3];
	static PtSpace s = {3, p};
	TpeOptions	with;
	TpeOptions	without;
	int			budget = 150;
	double	   *a = malloc(sizeof(double) * 3 * budget);
	double	   *b = malloc(sizeof(double) * 3 * budget);
	int			dup;

	p[0] = (PtParam) {.name = "a", .type = PT_PARAM_FLOAT, .low = 0, .high = 1};
	p[1] = (PtParam) {.name = "b", .type = PT_PARAM_FLOAT, .low = 1e-4, .high = 1, .log = true};
	p[2] = (PtParam) {.name = "c", .type = PT_PARAM_FLOAT, .low = -3, .high = 3};
	TpeOptionsDefault(&with);
	TpeOptionsDefault(&without);
	without.no_sort_cache = true;
	for (dup = 0; dup < 2; dup++)
	{
		run_direct(&s, &with, budget, a, dup);
		run_direct(&s, &without, budget, b, dup);
		CHECK(memcmp(a, b, sizeof(double) * 3 * budget) == 0,
			  "kept-sorted columns give the same %d points as sorting afresh%s", budget,
			  dup ? " (with a repeated point: tie fallback)" : "");
	}
	free(a);
	free(b);
}

/* With n_startup_trials 0 the model runs from an empty history (the prior alone). */
static void
test_no_startup(void)
{
	PtSpace    *s = mixed_space();
	TestHistory th = {{s, 0, 0, NULL, -1}, s->n_params};
	PtError		err;
	PtStrategy *st = PtStrategyCreateFromText("tpe", s, 9, "{\"tpe\": {\"n_startup_trials\": 0}}", &err);
	double		x[8];
	bool		ok = st != NULL;
	bool		valid = true;
	bool		model = true;
	int			it;

	for (it = 0; ok && it < 5; it++)
	{
		PtProposal	prop = {0};

		prop.x = x;
		ok = PtStrategyPropose(st, it == 0 ? NULL : &th.h, it + 1, &prop, NULL, &err) == PT_OK;
		valid = valid && point_valid(s, x);
		model = model && prop.reasoning != NULL && strncmp(prop.reasoning, "tpe:", 4) == 0;
		PtFree(prop.reasoning);
		th_append(&th, x, mixed_score(x), PT_TRIAL_OK, PT_SOURCE_TPE);
	}
	CHECK(ok && valid && model,
		  "n_startup_trials 0: valid model proposals from no history (NULL), then 1..4 trials");
	PtStrategyFree(st);
	th_free(&th);
}

/* A stop request cancels a suggestion. */
static bool
always_stop(void *arg)
{
	return true;
}

/* A stop request makes propose return PT_ERR_CANCELLED. */
static void
test_cancel(void)
{
	static PtParam p[1];
	static PtSpace s = {1, p};
	TestHistory th = {{&s, 0, 0, NULL, -1}, 1};
	PtStop		stop = {always_stop, NULL};
	PtError		err;
	PtStrategy *st;
	PtProposal	prop = {0};
	double		x;
	int			i;

	p[0] = (PtParam) {.name = "x", .type = PT_PARAM_FLOAT, .low = 0, .high = 1};
	for (i = 0; i < 20; i++)
	{
		double		v = i / 20.0;

		th_append(&th, &v, v, PT_TRIAL_OK, PT_SOURCE_TPE);
	}
	st = PtStrategyCreateFromText("tpe", &s, 1, NULL, &err);
	prop.x = &x;
	CHECK(PtStrategyPropose(st, &th.h, th.h.n + 1, &prop, &stop, &err) == PT_ERR_CANCELLED,
		  "a stop request cancels the suggestion");
	PtFree(prop.reasoning);
	PtStrategyFree(st);
	th_free(&th);
}

/*
 * A proposal depends only on (seed, iter, history): the point of iteration
 * k is the same from a strategy that proposed iterations 1..k-1 itself and
 * from a fresh one handed the same history (a resumed run), for random and
 * for TPE in start-up and in the model phase.
 */
static void
test_resumable(void)
{
	const char *names[2] = {"random", "tpe"};
	const char *options[2] = {"{}", "{\"tpe\": {\"n_startup_trials\": 5}}"};
	PtSpace    *s = mixed_space();
	int			n = s->n_params;
	int			k;

	for (k = 0; k < 2; k++)
	{
		PtError		err;
		TestHistory th = {{0}, n};
		PtStrategy *run = PtStrategyCreateFromText(names[k], s, 77, options[k], &err);
		bool		same = true;
		int			it;

		th.h.space = s;
		th.h.best = -1;
		for (it = 1; it <= 25; it++)
		{
			double		x[16];
			double		y[16];
			PtProposal	prop = {0};
			PtProposal	fresh_prop = {0};
			PtStrategy *fresh = PtStrategyCreateFromText(names[k], s, 77, options[k], &err);

			prop.x = x;
			fresh_prop.x = y;
			PtStrategyPropose(run, &th.h, it, &prop, NULL, &err);
			PtStrategyPropose(fresh, &th.h, it, &fresh_prop, NULL, &err);
			if (memcmp(x, y, sizeof(double) * n) != 0)
				same = false;
			PtFree(prop.reasoning);
			PtFree(fresh_prop.reasoning);
			PtStrategyFree(fresh);
			th_append(&th, x, mixed_score(x), PT_TRIAL_OK, prop.source);
		}
		CHECK(same, "%s: iteration k's point is the same with or without proposals 1..k-1 in this process",
			  names[k]);
		PtStrategyFree(run);
		th_free(&th);
	}
}

/* Run every check and print the TAP plan. */
int
main(void)
{
	long		live0 = PtAllocLive();

	test_options();
	test_resumable();
	test_reproducible_and_valid();
	test_failed_trials();
	test_cancel();
	test_no_startup();
	test_sort_cache();
	test_branin();
	CHECK(PtAllocLive() == live0, "no allocation left behind (%ld live)", PtAllocLive() - live0);
	return UnitDone();
}
