/*
 * test_clob_honest.c — the properties that keep the backtest honest
 * (issue 9, docs/backtest.md "The score"): doing nothing scores exactly 0, the
 * score does not depend on a metric horizon the strategy chooses, orders
 * are sized to the headroom left, and the held-out worlds are fresh, in the
 * training mix, disjoint from training and absent from what a run reports.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "clob.h"
#include "clob_internal.h"
#include "pt_alloc.h"
#include "unit.h"

#define MIXED8 "{\"train_seeds\": 8, \"holdout_seeds\": 0}"

/* Score and per-seed metrics of one trial in a fresh session. */
static double
run_score(const char *options, const char *policy, const char *params, ClobSeedMetrics *first,
		  char **envelope)
{
	PtError		err;
	ClobResult	res;
	ClobSession *s = ClobSessionCreate(options, policy, &err);
	double		score;

	if (s == NULL)
	{
		printf("# session: %s\n", err.message);
		return NAN;
	}
	if (ClobSessionRun(s, params, NULL, &res, &err) != PT_OK)
	{
		printf("# run: %s\n", err.message);
		ClobSessionFree(s);
		return NAN;
	}
	score = res.score;
	if (first != NULL)
	{
		const ClobSeedMetrics *m;
		int			n_train;

		(void) ClobSessionSeedMetrics(s, &m, &n_train);
		*first = m[0];
	}
	if (envelope != NULL)
	{
		*envelope = res.envelope_json;
		res.envelope_json = NULL;
	}
	ClobResultClear(&res);
	ClobSessionFree(s);
	return score;
}

/* A maker that never trades scores exactly 0 (it used to score -0.05). */
static void
test_idle_scores_zero(void)
{
	/* The compliance gate refuses every order: nothing is ever sent. */
	double		gated = run_score(MIXED8, "{\"risk.compliancegate.jurisdiction_allowlist\": [\"us\"]}",
								  NULL, NULL, NULL);
	/* A price band nothing trades in: reduce-only from the start, flat, so no quote. */
	double		banded = run_score(MIXED8, NULL,
								   "{\"lifecycle.price_band_lo\": 0.5, \"lifecycle.price_band_hi\": 0.5}",
								   NULL, NULL);

	CHECK(gated == 0.0, "every order refused by a gate: score exactly 0 (got %.17g)", gated);
	CHECK(banded == 0.0, "reduce-only and flat all along: score exactly 0 (got %.17g)", banded);
}

/* Identical trades score identically whatever the markout horizon parameter. */
static void
test_markout_horizon_not_in_score(void)
{
	ClobSeedMetrics a;
	ClobSeedMetrics b;
	double		s1 = run_score(MIXED8, NULL, "{\"mm.c_tox\": 0, \"signal.markout_horizon_s\": 1}", &a, NULL);
	double		s2 = run_score(MIXED8, NULL, "{\"mm.c_tox\": 0, \"signal.markout_horizon_s\": 900}", &b, NULL);

	CHECK(a.fills_maker == b.fills_maker && a.net_pnl == b.net_pnl && a.fills_maker > 0,
		  "with c_tox = 0 the horizon changes no trade (%lld fills, %.4f pnl)",
		  (long long) a.fills_maker, a.net_pnl);
	CHECK(s1 == s2, "so the score is the same: %.17g at 1 s, %.17g at 900 s", s1, s2);
	CHECK(a.adverse_selection_cost == b.adverse_selection_cost,
		  "and adverse_selection_cost uses its fixed 60 s horizon (%.4f)", a.adverse_selection_cost);
}

/* Orders are sized down to the inventory and cash headroom, not refused. */
static void
test_sizing_to_headroom(void)
{
	ClobSeedMetrics m;
	const char *calm = "{\"scenario\": \"calm\", \"train_seeds\": 1, \"holdout_seeds\": 0}";

	/* A quote ten times the inventory cap: quoted down to the cap, so it still trades. */
	(void) run_score(calm, NULL, "{\"mm.base_size_pusd\": 200, \"risk.inventory.q_max_pusd\": 20}", &m, NULL);
	CHECK(m.fills_maker > 0, "base 200 pUSD over a 20 pUSD cap: the maker still fills (%lld fills)",
		  (long long) m.fills_maker);
	CHECK(m.inventory_max <= 20 * 1.25, "and inventory stays near the cap (max %.2f pUSD)", m.inventory_max);
	/* Quotes worth more than the cash: sized to the cash left, not refused outright. */
	(void) run_score("{\"scenario\": \"calm\", \"train_seeds\": 1, \"holdout_seeds\": 0, "
					 "\"overrides\": {\"start_cash_pusd\": 100}}", NULL,
					 "{\"mm.base_size_pusd\": 300, \"mm.layers\": 3}", &m, NULL);
	CHECK(m.fills_maker > 0 && !m.invalid, "quotes of 1800 pUSD on 100 pUSD cash: sized to the cash, %lld fills",
		  (long long) m.fills_maker);
	CHECK(m.orders > 0, "orders sized down went out (%lld sent, %lld refused by the balance check)",
		  (long long) m.orders, (long long) m.rejects[CLOB_REJ_BALANCE]);
}

/* Held-out worlds: fresh per run seed, reproducible, disjoint, same mix, never in the report. */
static void
test_holdout_held_out(void)
{
	PtError		err;
	ClobResult	res;
	ClobSession *s = ClobSessionCreate("{\"train_seeds\": 8}", NULL, &err);
	ClobSession *t = ClobSessionCreate("{\"train_seeds\": 8}", NULL, &err);
	double		values[CLOB_N_PARAMS];
	double		h1 = 0;
	double		h1b = 0;
	double		h2 = 0;
	double		se = 0;
	bool		disjoint = true;
	bool		same_mix = true;
	bool		fresh = true;
	uint64_t	seed_a[16];
	int			rc;
	int			i;
	int			j;

	CHECK(s != NULL && t != NULL, "sessions");
	if (s == NULL || t == NULL)
		return;
	(void) ClobParamsParse(NULL, values, &err);
	CHECK(ClobSessionRunValues(s, values, NULL, &res, &err) == PT_OK, "training trial");
	CHECK(!res.has_holdout && strstr(res.envelope_json, "holdout") == NULL &&
		  strstr(res.summary, "held") == NULL,
		  "ClobSessionRunValues: no held-out figure anywhere in the envelope or the summary");
	ClobResultClear(&res);

	ClobSessionSetRunSeed(s, 11);
	ClobSessionSetRunSeed(t, 11);
	rc = ClobSessionRunHoldout(s, values, NULL, &h1, &se, &err);
	CHECK(rc == PT_OK && se > 0, "held-out score %.4f (stderr %.4f)", h1, se);
	rc = ClobSessionRunHoldout(t, values, NULL, &h1b, NULL, &err);
	CHECK(rc == PT_OK && h1 == h1b, "reproducible from the run seed (%.17g = %.17g)", h1, h1b);
	for (i = 0; i < 16; i++)
	{
		const char *sc_i;
		const char *sc_j;
		uint64_t	train_seed;

		(void) ClobSessionWorld(s, i, &seed_a[i], &sc_i);
		if (i >= 8 && (!ClobSessionWorld(s, i - 8, &train_seed, &sc_j) || strcmp(sc_i, sc_j) != 0))
			same_mix = false;
	}
	for (i = 8; i < 16; i++)
		for (j = 0; j < 8; j++)
		{
			uint64_t	tr;
			const char *sc;

			(void) ClobSessionWorld(s, j, &tr, &sc);
			if (tr == seed_a[i])
				disjoint = false;
		}
	CHECK(disjoint, "8 held-out worlds, none with a training seed");
	CHECK(same_mix, "the held-out set plays the training scenario mix, world for world");
	ClobSessionSetRunSeed(t, 12);
	for (i = 8; i < 16; i++)
	{
		uint64_t	seed;
		const char *sc;

		(void) ClobSessionWorld(t, i, &seed, &sc);
		if (seed == seed_a[i])
			fresh = false;
	}
	CHECK(fresh, "another run seed draws other held-out worlds");
	rc = ClobSessionRunHoldout(t, values, NULL, &h2, NULL, &err);
	CHECK(rc == PT_OK && h2 != h1, "and scores differently on them (%.4f vs %.4f)", h2, h1);
	ClobSessionFree(s);
	ClobSessionFree(t);
}

/* Run every check and print the TAP plan. */
int
main(void)
{
	test_idle_scores_zero();
	test_markout_horizon_not_in_score();
	test_sizing_to_headroom();
	test_holdout_held_out();
	CHECK(PtAllocLive() == 0, "no allocation leaked (%ld live)", PtAllocLive());
	return UnitDone();
}
