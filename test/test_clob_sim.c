/*
 * test_clob_sim.c — the replay with the market maker in it: the gates of the
 * policy (kill switch, exposure guard, compliance, market-halt guard,
 * signer), fees and rebates, and the economics that make tuning meaningful.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "clob.h"
#include "clob_internal.h"
#include "pt_alloc.h"
#include "unit.h"

#define MAX_ROWS (2 * CLOB_MAX_SEEDS)

/* One trial's per-seed metrics and score. */
typedef struct Trial
{
	bool		ok;
	int			n;
	int			n_train;
	ClobSeedMetrics m[MAX_ROWS];
	double		score;
	ClobScoreParts parts;
} Trial;

/* Run one trial in a fresh session. */
static Trial
trial(const char *options, const char *policy, const char *params)
{
	Trial		t;
	PtError		err;
	ClobResult	res;
	ClobSession *s = ClobSessionCreate(options, policy, &err);
	const ClobSeedMetrics *m;

	memset(&t, 0, sizeof(t));
	if (s == NULL)
	{
		printf("# session: %s\n", err.message);
		return t;
	}
	if (ClobSessionRun(s, params, NULL, &res, &err) != PT_OK)
	{
		printf("# run: %s\n", err.message);
		ClobSessionFree(s);
		return t;
	}
	t.ok = true;
	t.score = res.score;
	t.n = ClobSessionSeedMetrics(s, &m, &t.n_train);
	memcpy(t.m, m, sizeof(ClobSeedMetrics) * (size_t) t.n);
	ClobScore(t.m, t.n_train, &t.parts);
	ClobResultClear(&res);
	ClobSessionFree(s);
	return t;
}

/* Sums over a trial's seeds. */
static double
sum_of(const Trial *t, size_t offset, bool is_int64)
{
	double		total = 0;
	int			i;

	for (i = 0; i < t->n; i++)
	{
		const char *base = (const char *) &t->m[i];

		total += is_int64 ? (double) *(const int64_t *) (base + offset) : *(const double *) (base + offset);
	}
	return total;
}

#define SUM_D(t, field) sum_of(&(t), offsetof(ClobSeedMetrics, field), false)
#define SUM_I(t, field) sum_of(&(t), offsetof(ClobSeedMetrics, field), true)

/* Total rejects of one reason. */
static int64_t
rejects(const Trial *t, ClobReject reason)
{
	int64_t		total = 0;
	int			i;

	for (i = 0; i < t->n; i++)
		total += t->m[i].rejects[reason];
	return total;
}

/* Largest inventory notional over seeds. */
static double
max_inventory(const Trial *t)
{
	double		mx = 0;
	int			i;

	for (i = 0; i < t->n; i++)
		if (t->m[i].inventory_max > mx)
			mx = t->m[i].inventory_max;
	return mx;
}

/* Largest exposure the guard let through at a send (side or total). */
static double
max_exposure(const Trial *t, bool total)
{
	double		mx = 0;
	int			i;

	for (i = 0; i < t->n; i++)
	{
		double		v = total ? t->m[i].exposure_total_peak : t->m[i].exposure_side_peak;

		if (v > mx)
			mx = v;
	}
	return mx;
}

/* Seeds on which the kill switch tripped. */
static int
killed_seeds(const Trial *t)
{
	int			k = 0;
	int			i;

	for (i = 0; i < t->n; i++)
		k += t->m[i].kill_trips > 0;
	return k;
}

#define CALM1 "{\"scenario\": \"calm\", \"train_seeds\": 1, \"holdout_seeds\": 0}"
#define CALM4 "{\"scenario\": \"calm\", \"train_seeds\": 4, \"holdout_seeds\": 0}"

/* Makers pay nothing and earn the rebate; takers pay the V2 fee. */
static void
test_fees(void)
{
	Trial		t = trial(CALM4, NULL, NULL);
	double		shares = SUM_D(t, shares_maker);
	double		rebates = SUM_D(t, rebates);
	Trial		x;

	CHECK(t.ok && SUM_I(t, fills_maker) > 50, "the maker fills in calm (%.0f fills)", SUM_I(t, fills_maker));
	CHECK(SUM_D(t, fees_paid) == 0 && SUM_I(t, fills_taker) == 0, "post-only maker pays no fee");
	/* rebate = 25% of round5(shares * 0.02 * p(1-p)) with p(1-p) <= 0.25 */
	CHECK(rebates > 0 && rebates <= 0.25 * 0.02 * 0.25 * shares + 1e-5 * SUM_I(t, fills_maker),
		  "makers earn the rebate: %.4f pUSD on %.0f shares", rebates, shares);
	x = trial(CALM4, NULL, "{\"exec.allow_taker_exit\": true, \"risk.inventory.q_max_pusd\": 20,"
			  " \"risk.inventory.q_soft_frac\": 0.2}");
	CHECK(x.ok && SUM_I(x, fills_taker) > 0 && SUM_D(x, fees_paid) > 0 && SUM_D(x, volume_taker) > 0,
		  "taker exits pay the fee (%.0f taker fills, %.4f pUSD)", SUM_I(x, fills_taker), SUM_D(x, fees_paid));
	CHECK(SUM_D(x, fees_paid) <= 0.02 * 0.25 * SUM_D(x, volume_taker) / 0.04 + 1e-5 * SUM_I(x, fills_taker),
		  "fees stay within the fee formula's bound");
}

/* The kill switch trips at the configured loss, cancels, stays off, and is reported. */
static void
test_kill_switch(void)
{
	const char *tight = "{\"risk.killswitch.max_loss_pusd\": 3, \"risk.killswitch.max_drawdown_pusd\": 1000,"
		" \"risk.killswitch.cooldown_s\": 600}";
	const char *forever = "{\"risk.killswitch.max_loss_pusd\": 3, \"risk.killswitch.max_drawdown_pusd\": 1000,"
		" \"risk.killswitch.cooldown_s\": 100000}";
	const char *opts = "{\"scenario\": \"toxic\", \"train_seeds\": 4, \"holdout_seeds\": 0}";
	/* A maker that keeps quoting through news, so a trip finds quotes to cancel. */
	const char *quoting = "{\"signal.event_cooloff_s\": 0, \"mm.c_tox\": 1, \"mm.requote_interval_ms\": 1000}";
	Trial		base = trial(opts, NULL, quoting);
	Trial		t = trial(opts, tight, quoting);
	Trial		f = trial(opts, forever, quoting);
	Trial		forced = trial(CALM1, "{\"risk.killswitch.force_trip\": true}", NULL);
	Trial		dd = trial(opts, "{\"risk.killswitch.max_drawdown_pusd\": 2, \"risk.killswitch.cooldown_s\": 300}", NULL);
	int			i;
	bool		reported = true;
	bool		stayed_off = true;

	CHECK(t.ok && base.ok && killed_seeds(&t) >= 3 && killed_seeds(&t) > killed_seeds(&base),
		  "a 3 pUSD loss limit trips on %d of 4 seeds (default limits: %d)", killed_seeds(&t), killed_seeds(&base));
	for (i = 0; i < t.n; i++)
	{
		const ClobSeedMetrics *m = &t.m[i];
		double		window = 3600;

		if (m->kill_trips == 0)
			continue;
		if (m->kill_reason != CLOB_KILL_MAX_LOSS || m->kill_time_s <= 0 || m->kill_time_s >= window)
			reported = false;
		/* off for the cooldown after each trip (cut by the end of the window) */
		if (m->killed_s + 1.5 < fmin(600.0, window - m->kill_time_s))
			stayed_off = false;
	}
	CHECK(reported, "each trip is reported with its time and reason max_loss");
	CHECK(stayed_off, "the strategy stays off for the cooldown");
	CHECK(SUM_I(t, kill_cancelled) > 0, "a trip cancels the resting quotes (%.0f cancelled)", SUM_I(t, kill_cancelled));
	CHECK(SUM_I(t, orders_while_killed) == 0, "no quote goes out while switched off");
	CHECK(SUM_I(f, orders) < SUM_I(t, orders) && SUM_I(t, orders) < SUM_I(base, orders),
		  "a longer cooldown means fewer orders (%.0f < %.0f < %.0f)", SUM_I(f, orders), SUM_I(t, orders),
		  SUM_I(base, orders));
	for (i = 0; i < f.n; i++)
		if (f.m[i].kill_trips > 1)
			stayed_off = false;
	CHECK(stayed_off, "with a cooldown longer than the window it trips once per seed");
	CHECK(forced.ok && forced.m[0].kill_trips == 1 && forced.m[0].kill_reason == CLOB_KILL_FORCED &&
		  forced.m[0].kill_time_s == 0 && forced.m[0].orders == 0 && forced.m[0].fills_maker == 0,
		  "force_trip switches the strategy off from the start (cooldown 3600 s covers the window)");
	CHECK(forced.parts.kill_trips >= 1.0, "and the score charges it");
	CHECK(dd.ok && killed_seeds(&dd) >= 1 && dd.m[0].kill_reason != CLOB_KILL_NONE, "a drawdown limit trips too");
	for (i = 0, reported = false; i < dd.n; i++)
		if (dd.m[i].kill_reason == CLOB_KILL_MAX_DRAWDOWN)
			reported = true;
	CHECK(reported, "with reason max_drawdown");
}

/* The exposure guard caps notional. */
static void
test_exposure_guard(void)
{
	const char *big = "{\"mm.base_size_pusd\": 200, \"risk.inventory.q_max_pusd\": 2000}";
	Trial		open = trial(CALM4, NULL, big);
	Trial		capped = trial(CALM4, "{\"risk.exposureguard.per_market_cap_pusd\": 60}", big);
	Trial		total = trial(CALM4, "{\"risk.exposureguard.max_notional_pusd\": 90}", big);

	CHECK(open.ok && max_inventory(&open) > 150, "uncapped inventory reaches %.1f pUSD", max_inventory(&open));
	CHECK(open.ok && max_exposure(&open, false) > 300, "uncapped, position plus orders reach %.1f pUSD",
		  max_exposure(&open, false));
	CHECK(capped.ok && max_exposure(&capped, false) <= 60 + 1e-6,
		  "per-market cap 60: position plus same-side orders at each send <= %.2f pUSD",
		  max_exposure(&capped, false));
	CHECK(max_inventory(&capped) < 60 * 1.4 && max_inventory(&capped) < 0.5 * max_inventory(&open),
		  "the position stays near the cap (%.1f pUSD; only price moves push it past)", max_inventory(&capped));
	CHECK(rejects(&capped, CLOB_REJ_EXPOSURE) > 0, "orders past the cap are refused (%ld)",
		  (long) rejects(&capped, CLOB_REJ_EXPOSURE));
	CHECK(total.ok && max_exposure(&total, true) <= 90 + 1e-6,
		  "total notional cap 90: position plus all orders at each send <= %.2f pUSD", max_exposure(&total, true));
}

/* Restarts, stale feeds, closes; compliance and signer gates. */
static void
test_halts_and_gates(void)
{
	const char *restart = "{\"scenario\": \"restart\", \"train_seeds\": 2, \"holdout_seeds\": 0}";
	Trial		guarded = trial(restart, NULL, NULL);
	Trial		unguarded = trial(restart, "{\"risk.markethaltguard.halt_sources\": []}", "{\"mm.post_only\": false}");
	Trial		restart_only = trial(restart, "{\"risk.markethaltguard.halt_sources\": [\"engine_restart\"]}", NULL);
	Trial		domain = trial(CALM1, "{\"sec.signer.eip712_domain_version\": \"1\"}", NULL);
	Trial		builder = trial(CALM1, "{\"risk.compliancegate.builder_allowlist\": [\"someone_else\"]}", NULL);
	Trial		juris = trial("{\"scenario\": \"calm\", \"train_seeds\": 1, \"holdout_seeds\": 0, \"jurisdiction\": \"xx\"}",
							  "{\"risk.compliancegate.jurisdiction_allowlist\": [\"yy\"]}", NULL);
	Trial		juris_ok = trial("{\"scenario\": \"calm\", \"train_seeds\": 1, \"holdout_seeds\": 0, \"jurisdiction\": \"yy\"}",
								 "{\"risk.compliancegate.jurisdiction_allowlist\": [\"yy\"]}", NULL);
	Trial		closing = trial("{\"scenario\": \"closing\", \"train_seeds\": 1, \"holdout_seeds\": 0}", NULL,
								"{\"lifecycle.reduce_only_s\": 0, \"lifecycle.halt_before_s\": 0}");

	CHECK(guarded.ok && rejects(&guarded, CLOB_REJ_ENGINE_RESTART) == 0 &&
		  rejects(&guarded, CLOB_REJ_RESTART_POST_ONLY) == 0,
		  "with the halt guard nothing is sent into a restart");
	CHECK(SUM_I(guarded, halts_seen) >= 4, "each seed sees the restart and the stale feed (%.0f halts)",
		  SUM_I(guarded, halts_seen));
	CHECK(unguarded.ok && rejects(&unguarded, CLOB_REJ_ENGINE_RESTART) > 0,
		  "without it orders meet 425 during the restart (%ld)", (long) rejects(&unguarded, CLOB_REJ_ENGINE_RESTART));
	CHECK(rejects(&unguarded, CLOB_REJ_RESTART_POST_ONLY) > 0,
		  "and plain orders are refused in the post-only period (%ld)",
		  (long) rejects(&unguarded, CLOB_REJ_RESTART_POST_ONLY));
	CHECK(SUM_I(unguarded, halts_seen) == 0, "and no halt is recorded");
	CHECK(restart_only.ok && SUM_I(restart_only, halts_seen) < SUM_I(guarded, halts_seen),
		  "dropping stale_feed from the sources drops the stale-feed halts (%.0f < %.0f)",
		  SUM_I(restart_only, halts_seen), SUM_I(guarded, halts_seen));
	CHECK(domain.ok && domain.m[0].orders == 0 && domain.m[0].fills_maker == 0 &&
		  domain.m[0].rejects[CLOB_REJ_SIGNER_DOMAIN] > 0,
		  "orders signed with domain version \"1\" are all rejected");
	CHECK(builder.ok && builder.m[0].orders == 0 && builder.m[0].rejects[CLOB_REJ_BUILDER] > 0,
		  "a builder code outside the allowlist is rejected");
	CHECK(juris.ok && juris.m[0].orders == 0 && juris.m[0].rejects[CLOB_REJ_JURISDICTION] > 0,
		  "a jurisdiction outside the allowlist is rejected");
	CHECK(juris_ok.ok && juris_ok.m[0].orders > 0, "an allowed jurisdiction trades");
	CHECK(closing.ok && closing.m[0].halts_seen >= 1 && closing.m[0].rejects[CLOB_REJ_MARKET_CLOSED] == 0,
		  "at the close the strategy halts instead of sending into a closed market");
}

/* Economics: toxicity, spread, size. */
static void
test_economics(void)
{
	Trial		calm = trial("{\"scenario\": \"calm\", \"train_seeds\": 8, \"holdout_seeds\": 0}", NULL, NULL);
	Trial		toxic = trial("{\"scenario\": \"toxic\", \"train_seeds\": 8, \"holdout_seeds\": 0}", NULL, NULL);
	double		edge_calm = SUM_D(calm, edge_pnl) / SUM_D(calm, shares_maker);
	double		edge_toxic = SUM_D(toxic, edge_pnl) / SUM_D(toxic, shares_maker);
	double		mk_calm = 0;
	double		mk_toxic = 0;
	double		adv_calm = SUM_D(calm, adverse_selection_cost) / SUM_D(calm, shares_maker);
	double		adv_toxic = SUM_D(toxic, adverse_selection_cost) / SUM_D(toxic, shares_maker);
	int			i;
	int			h;
	static const int spreads[] = {1, 2, 3, 4, 5};
	double		fills[5];
	double		score[5];
	bool		all_ran = true;
	int			best = 0;
	bool		fewer = true;
	char		params[256];
	Trial		small;
	Trial		large;
	const char *many = "{\"train_seeds\": 24, \"holdout_seeds\": 0}";

	for (i = 0; i < 8; i++)
	{
		mk_calm += calm.m[i].markout[2] / 8;
		mk_toxic += toxic.m[i].markout[2] / 8;
	}
	CHECK(calm.ok && toxic.ok, "calm and toxic run");
	CHECK(edge_toxic < edge_calm, "edge per share at the fill: toxic %.5f < calm %.5f", edge_toxic, edge_calm);
	CHECK(mk_toxic < mk_calm, "60 s markout per share: toxic %.5f < calm %.5f", mk_toxic, mk_calm);
	CHECK(adv_toxic > adv_calm, "adverse selection per share: toxic %.5f > calm %.5f", adv_toxic, adv_calm);
	CHECK(SUM_D(toxic, net_pnl) < SUM_D(calm, net_pnl), "and the maker earns less in toxic (%.1f < %.1f)",
		  SUM_D(toxic, net_pnl), SUM_D(calm, net_pnl));

	/* A sweep of the (fixed) spread over the default scenario. */
	for (h = 0; h < 5; h++)
	{
		Trial		t;

		snprintf(params, sizeof(params),
				 "{\"mm.c_vol\": 0, \"mm.c_tox\": 0, \"mm.half_spread_min_ticks\": %d}", spreads[h]);
		t = trial(NULL, NULL, params);
		all_ran = all_ran && t.ok;
		fills[h] = (double) SUM_I(t, fills_maker);
		score[h] = t.score;
		printf("# half-spread %2d ticks: score %.4f, maker fills %.0f, net pnl %.2f\n", spreads[h], t.score,
			   fills[h], SUM_D(t, net_pnl) / t.n);
		if (h > 0 && fills[h] > fills[h - 1])
			fewer = false;
		if (score[h] > score[best])
			best = h;
	}
	CHECK(all_ran, "the sweep over the whole range of mm.half_spread_min_ticks (1-5) runs");
	CHECK(fewer, "wider spreads fill less (%.0f fills at 1 tick, %.0f at 5)", fills[0], fills[4]);
	/*
	 * The background quotes 1-2 ticks wide, so joining it (1-3 ticks) beats
	 * quoting outside it, where only sweeps fill.
	 */
	CHECK(best <= 2 && score[best] > score[4] + 0.01,
		  "the spread sweep peaks near the background's spread, at %d ticks (score %.4f vs %.4f at 5)",
		  spreads[best], score[best], score[4]);

	/* Larger sizes: more PnL variance and more kill-switch trips. */
	small = trial(many, NULL, "{\"mm.base_size_pusd\": 10, \"risk.inventory.q_max_pusd\": 2000, "
				  "\"mm.c_tox\": 1, \"signal.event_cooloff_s\": 0}");
	large = trial(many, NULL, "{\"mm.base_size_pusd\": 200, \"risk.inventory.q_max_pusd\": 2000, "
				  "\"mm.c_tox\": 1, \"signal.event_cooloff_s\": 0}");
	CHECK(small.ok && large.ok && large.parts.std_r > small.parts.std_r,
		  "std of returns: %.4f at 200 pUSD > %.4f at 10 pUSD", large.parts.std_r, small.parts.std_r);
	CHECK(killed_seeds(&large) > killed_seeds(&small), "kill-switch trips on %d of 24 seeds at 200 pUSD, %d at 10",
		  killed_seeds(&large), killed_seeds(&small));
}

/* Run every check and print the TAP plan. */
int
main(void)
{
	test_fees();
	test_kill_switch();
	test_exposure_guard();
	test_halts_and_gates();
	test_economics();
	CHECK(PtAllocLive() == 0, "no allocation leaked (%ld live)", PtAllocLive());
	return UnitDone();
}
