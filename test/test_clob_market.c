/*
 * test_clob_market.c — the market the maker trades in (issue 9): it sees
 * the market late (a delayed copy, lat_feed behind the exchange), an order
 * that joins behind resting size fills only after it, the V2 fee on both
 * sides against hand-computed values, and the stylized facts of calm.
 *
 * The latency and fee checks replay small hand-written tapes, so the
 * expected fills can be worked out by hand.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "clob.h"
#include "clob_internal.h"
#include "clob_sim.h"
#include "clob_world.h"
#include "pt_alloc.h"
#include "unit.h"

#define MAX_EV 256
#define S(x) ((int64_t) ((x) * 1e6))	/* seconds to microseconds */

/* A hand-written tape over a flat truth. */
typedef struct HandTape
{
	ClobTape	tape;
	ClobEvent	ev[MAX_EV];
	float		grid[64];
} HandTape;

/* Start a 20-second tape of the calm preset with these latencies (ms). */
static void
hand_init(HandTape *h, double lat_feed, double lat_other, double truth)
{
	int			i;

	memset(h, 0, sizeof(*h));
	(void) ClobScenarioPreset("calm", &h->tape.scenario);
	h->tape.scenario.window_s = 20;
	h->tape.scenario.jump_rate_h = 0;
	h->tape.scenario.noise_elasticity = 0;	/* takers take the sizes written */
	h->tape.scenario.lat_feed_ms = lat_feed;
	h->tape.scenario.lat_entry_ms = lat_other;
	h->tape.scenario.lat_cancel_ms = lat_other;
	h->tape.scenario.lat_response_ms = lat_other;
	h->tape.window_us = S(20);
	h->tape.grid_us = S(1);
	h->tape.n_grid = 20;
	for (i = 0; i <= 20; i++)
		h->grid[i] = (float) truth;
	h->tape.p_grid = h->grid;
	h->tape.events = h->ev;
	h->tape.p0 = truth;
	h->tape.p_end = truth;
}

/* Append a tape event (events must be added in time order). */
static void
hand_add(HandTape *h, int64_t t, ClobEventType type, int side, int32_t price, double shares, int32_t aux)
{
	ClobEvent  *e = &h->ev[h->tape.n_events++];

	e->t_us = t;
	e->type = (uint8_t) type;
	e->side = (uint8_t) side;
	e->token = CLOB_YES;
	e->price = price;
	e->size_cs = (int32_t) llround(shares * 100);
	e->aux = aux;
	if (type == CLOB_EV_ADD)
	{
		h->tape.n_adds++;
		h->tape.max_live_bg++;
	}
}

/* Replay a hand tape with a one-layer maker; metrics through *m. */
static bool
hand_run(HandTape *h, const char *params, ClobSeedMetrics *m)
{
	double		values[CLOB_N_PARAMS];
	ClobMmParams mm;
	ClobPolicy	pol;
	PtError		err;
	ClobSim    *sim = ClobSimCreate(h->tape.n_adds, h->tape.max_live_bg);
	int			rc;

	if (sim == NULL || ClobParamsParse(params, values, &err) != PT_OK)
		return false;
	ClobMmParamsFromValues(values, &mm);
	ClobPolicyDefault(&pol);
	rc = ClobSimRun(sim, &h->tape, &mm, &pol, NULL, m, &err);
	ClobSimFree(sim);
	return rc == PT_OK;
}

#define QUIET_MAKER "{\"mm.layers\": 1, \"mm.c_vol\": 0, \"mm.c_tox\": 0, \"mm.half_spread_min_ticks\": 2, " \
	"\"mm.requote_interval_ms\": 100, \"signal.event_cooloff_s\": 0, \"mm.base_size_pusd\": 20}"

/*
 * A jump the strategy has not seen yet: at 10 s the background book drops
 * from 0.49/0.51 to 0.39/0.41 and at 10.2 s a seller hits every bid at or
 * above 0.40.  With a 500 ms feed the maker's timer wakes at 10.1 s still
 * see the old book, so its bid near 0.48 is hit; with a 10 ms feed it has
 * moved its bid below 0.40 by then.
 */
static void
test_delayed_view(void)
{
	HandTape	slow;
	HandTape	fast;
	ClobSeedMetrics ms;
	ClobSeedMetrics mf;
	HandTape   *h[2] = {&slow, &fast};
	int			k;
	int			i;

	hand_init(&slow, 500, 10, 0.40);
	hand_init(&fast, 10, 10, 0.40);
	for (k = 0; k < 2; k++)
	{
		hand_add(h[k], S(0.001), CLOB_EV_ADD, CLOB_BUY, 4900, 100, 0);
		hand_add(h[k], S(0.001), CLOB_EV_ADD, CLOB_SELL, 5100, 100, 1);
		/* Deep orders every second keep the feed fresh (no stale-feed halt). */
		for (i = 1; i < 10; i++)
			hand_add(h[k], S(i), CLOB_EV_ADD, CLOB_BUY, 1000, 5, 1 + i);
		hand_add(h[k], S(10), CLOB_EV_CANCEL, 0, 0, 0, 0);
		hand_add(h[k], S(10), CLOB_EV_CANCEL, 0, 0, 0, 1);
		hand_add(h[k], S(10.0001), CLOB_EV_ADD, CLOB_BUY, 3900, 100, 11);
		hand_add(h[k], S(10.0001), CLOB_EV_ADD, CLOB_SELL, 4100, 100, 12);
		hand_add(h[k], S(10.2), CLOB_EV_NOISE, CLOB_SELL, 4000, 500, 0);
		for (i = 11; i < 20; i++)
			hand_add(h[k], S(i), CLOB_EV_ADD, CLOB_BUY, 1000, 5, 2 + i);
	}
	CHECK(hand_run(&slow, QUIET_MAKER, &ms) && hand_run(&fast, QUIET_MAKER, &mf), "hand tapes replay");
	CHECK(ms.fills_maker == 1 && ms.end_inventory_shares > 0,
		  "500 ms feed: the maker cannot react to the jump before 10.5 s; its stale bid is hit "
		  "(%lld fill, %.2f shares)", (long long) ms.fills_maker, ms.end_inventory_shares);
	CHECK(mf.fills_maker == 0, "10 ms feed: it has moved its bid by 10.2 s (%lld fills)",
		  (long long) mf.fills_maker);
}

/* An order that joins behind resting size fills only after it (FIFO). */
static void
test_queue_priority(void)
{
	ClobBook	b;
	ClobOrderReq req;
	ClobSubmitResult res;
	int32_t		first;
	int32_t		joined;

	CHECK(ClobBookInit(&b, 64, 0), "book");
	memset(&req, 0, sizeof(req));
	req.side = CLOB_BUY;
	req.token = CLOB_YES;
	req.type = CLOB_GTC;
	req.post_only = true;
	req.price = 4900;
	req.size = 100 * CLOB_SHARE;
	req.owner = CLOB_OWNER_BACKGROUND;
	ClobBookSubmit(&b, &req, 0, &res);
	first = res.resting;
	req.size = 50 * CLOB_SHARE;
	req.owner = CLOB_OWNER_MM;
	ClobBookSubmit(&b, &req, 1, &res);
	joined = res.resting;
	req.side = CLOB_SELL;
	req.type = CLOB_FAK;
	req.post_only = false;
	req.size = 60 * CLOB_SHARE;
	req.owner = CLOB_OWNER_NOISE;
	ClobBookSubmit(&b, &req, 2, &res);
	CHECK(b.orders[first].size == 40 * CLOB_SHARE && b.orders[joined].size == 50 * CLOB_SHARE,
		  "a 60-share sell fills 60 of the 100 shares that were there first, none of the joiner's");
	ClobBookSubmit(&b, &req, 3, &res);
	CHECK(!b.orders[first].live && b.orders[joined].size == 30 * CLOB_SHARE,
		  "the next 60 finish the first order (40) before the joiner gets 20");
	ClobBookFree(&b);
}

/*
 * The V2 fee, fee = round5(shares * rate * p * (1 - p)), on both sides:
 * a taker buy of YES at p and a taker sell at p pay the same, a NO trade at
 * 1 - p the same again; the maker pays nothing and earns its rebate share.
 */
static void
test_fee_both_sides(void)
{
	HandTape	h;
	ClobSeedMetrics m;

	/* 100 shares at 0.30, rate 0.04: 100 * 0.04 * 0.3 * 0.7 = 0.84 pUSD. */
	CHECK(ClobTakerFee(100 * CLOB_SHARE, 3000, 0.04, 1) == 840000, "buy 100 @ 0.30: fee 0.84 pUSD");
	CHECK(ClobTakerFee(100 * CLOB_SHARE, 7000, 0.04, 1) == 840000,
		  "sell 100 @ 0.70 (the same trade seen from NO): fee 0.84 pUSD");
	/* 7 shares at 0.55, rate 0.02: 7 * 0.02 * 0.2475 = 0.03465. */
	CHECK(ClobTakerFee(7 * CLOB_SHARE, 5500, 0.02, 1) == 34650, "7 @ 0.55, rate 0.02: fee 0.03465");
	/* 1 share at 0.001, rate 0.04: 0.00003996 rounds to 0.00004 (5 decimals). */
	CHECK(ClobTakerFee(CLOB_SHARE, 10, 0.04, 1) == 40, "1 @ 0.001: 0.00003996 rounds to 0.00004");
	CHECK(ClobTakerFee(CLOB_SHARE / 10, 10, 0.04, 1) == 0, "a fee below 0.00001 is zero");

	/*
	 * In the replay: the maker joins the background's 0.49 bid and 0.51 ask
	 * behind 100 shares each; a buyer of 110 shares up to 0.52 and later a
	 * seller of 110 down to 0.48 each take 100 from the background, then 10
	 * from the maker.  The maker pays no fee and earns 25% of the taker's
	 * fee on its 10 shares: round5(10 * 0.02 * 0.51 * 0.49) = 0.04998, so
	 * 0.012495 per fill, 0.02499 in all.
	 */
	hand_init(&h, 10, 10, 0.50);
	hand_add(&h, S(0.001), CLOB_EV_ADD, CLOB_BUY, 4900, 100, 0);
	hand_add(&h, S(0.001), CLOB_EV_ADD, CLOB_SELL, 5100, 100, 1);
	hand_add(&h, S(5), CLOB_EV_NOISE, CLOB_BUY, 5200, 110, 0);
	hand_add(&h, S(8), CLOB_EV_NOISE, CLOB_SELL, 4800, 110, 0);
	CHECK(hand_run(&h, "{\"mm.layers\": 1, \"mm.c_vol\": 0, \"mm.c_tox\": 0, \"mm.half_spread_min_ticks\": 1, "
				   "\"mm.min_edge_ticks\": 0, \"mm.base_size_pusd\": 20, \"mm.gamma_skew\": 0, "
				   "\"mm.resize_frac\": 1, \"mm.requote_interval_ms\": 60000, \"signal.event_cooloff_s\": 0}", &m),
		  "fee tape replays");
	CHECK(m.fills_maker == 2 && m.shares_maker == 20, "the maker fills 10 shares on each side after the "
		  "background's 100 (%lld fills, %.2f shares)", (long long) m.fills_maker, m.shares_maker);
	CHECK(m.fees_paid == 0, "the maker pays no fee (%.5f)", m.fees_paid);
	CHECK_NEAR(m.rebates, 0.02499, 1e-12, "its rebates: 2 * 25%% of 0.04998 = 0.02499 (got %.6f)", m.rebates);
}

/* Stylized facts of calm: the background spread, informed flow, adverse selection. */
static void
test_calm_facts(void)
{
	PtError		err;
	ClobResult	res;
	const ClobSeedMetrics *m;
	int			n;
	int			i;
	double		spread = 0;
	double		inf = 0;
	double		all = 0;
	double		adv = 0;
	ClobSession *s = ClobSessionCreate("{\"scenario\": \"calm\", \"train_seeds\": 4, \"holdout_seeds\": 0}",
									   "{\"risk.compliancegate.jurisdiction_allowlist\": [\"nowhere\"]}", &err);

	CHECK(s != NULL && ClobSessionRun(s, NULL, NULL, &res, &err) == PT_OK, "calm, market alone");
	(void) ClobSessionSeedMetrics(s, &m, &n);
	for (i = 0; i < n; i++)
	{
		spread += m[i].spread_ticks_median / n;
		inf += m[i].informed_shares;
		all += m[i].informed_shares + m[i].noise_shares;
	}
	ClobResultClear(&res);
	ClobSessionFree(s);
	CHECK(spread >= 1 && spread <= 2, "median background spread in calm: %.2f ticks (1 to 2)", spread);
	CHECK(inf / all > 0.01, "informed takers trade in calm: %.1f%% of taker volume", 100 * inf / all);

	s = ClobSessionCreate("{\"scenario\": \"calm\", \"train_seeds\": 4, \"holdout_seeds\": 0}", NULL, &err);
	CHECK(s != NULL && ClobSessionRun(s, NULL, NULL, &res, &err) == PT_OK, "calm, with the default maker");
	(void) ClobSessionSeedMetrics(s, &m, &n);
	for (i = 0; i < n; i++)
		adv += m[i].adverse_selection_cost;
	ClobResultClear(&res);
	ClobSessionFree(s);
	CHECK(adv > 0, "the default maker pays for adverse selection in calm (%.2f pUSD over 4 seeds)", adv);
}

/* Run every check and print the TAP plan. */
int
main(void)
{
	test_delayed_view();
	test_queue_priority();
	test_fee_both_sides();
	test_calm_facts();
	CHECK(PtAllocLive() == 0, "no allocation leaked (%ld live)", PtAllocLive());
	return UnitDone();
}
