/*
 * test_clob_world.c — the exogenous world: the true probability is a
 * martingale that converges to the outcome, and tapes are deterministic.
 */
#include <math.h>
#include <string.h>

#include "clob_book.h"
#include "clob_world.h"
#include "pt_alloc.h"
#include "unit.h"

#define N_MARTINGALE 2000
#define N_CONVERGE 300

/* A scenario with only the truth (no agents), so many seeds are cheap. */
static void
truth_only(const char *preset, ClobScenario *s)
{
	ClobScenarioPreset(preset, s);
	s->bg_rate = 0;
	s->noise_rate = 0;
	s->inf_rate = 0;
	s->inf_burst = 0;
}

/* The mean of p_t over seeds stays at p0, at the middle and at the end. */
static void
test_martingale(void)
{
	ClobScenario s;
	double		sum_mid = 0;
	double		sum_end = 0;
	double		sq_end = 0;
	double		sum_y = 0;
	double		mean_end;
	double		se;
	int			i;
	bool		ok = true;

	truth_only("news", &s);
	s.p0 = 0.3;
	s.k0 = 0.006;				/* a lively path: sd of the log-odds ~ 0.7 over the hour */
	for (i = 0; i < N_MARTINGALE && ok; i++)
	{
		ClobTape	t;
		PtError		err;

		if (ClobWorldGenerate(&s, 1000 + (uint64_t) i, &t, &err) != PT_OK)
		{
			ok = false;
			break;
		}
		sum_mid += t.p_grid[t.n_grid / 2];
		sum_end += t.p_end;
		sq_end += t.p_end * t.p_end;
		sum_y += t.outcome;
		ClobTapeFree(&t);
	}
	CHECK(ok, "generated %d truth paths", N_MARTINGALE);
	mean_end = sum_end / N_MARTINGALE;
	se = sqrt((sq_end / N_MARTINGALE - mean_end * mean_end) / N_MARTINGALE);
	CHECK(se > 0.002, "the paths move (standard error of the mean %.4f)", se);
	CHECK_NEAR(sum_mid / N_MARTINGALE, 0.3, 4 * se,
			   "mean p at mid-window %.4f stays at p0 = 0.3", sum_mid / N_MARTINGALE);
	CHECK_NEAR(mean_end, 0.3, 4 * se, "mean p at the end %.4f stays at p0 = 0.3 (4 se = %.4f)",
			   mean_end, 4 * se);
	CHECK_NEAR(sum_y / N_MARTINGALE, 0.3, 4 * sqrt(0.21 / N_MARTINGALE),
			   "the outcome is Bernoulli(p0): mean Y %.4f", sum_y / N_MARTINGALE);
}

/* Towards resolution (the closing preset) p ends near Y. */
static void
test_converges(void)
{
	ClobScenario s;
	double		sum_err = 0;
	int			near = 0;
	int			i;

	truth_only("closing", &s);
	CHECK(s.resolve_in_s == 0, "closing runs to resolution");
	for (i = 0; i < N_CONVERGE; i++)
	{
		ClobTape	t;
		PtError		err;
		double		e;

		ClobWorldGenerate(&s, 5000 + (uint64_t) i, &t, &err);
		e = fabs(t.p_end - t.outcome);
		sum_err += e;
		near += e < 0.1;
		ClobTapeFree(&t);
	}
	CHECK(sum_err / N_CONVERGE < 0.05, "mean |p_T - Y| = %.4f at resolution", sum_err / N_CONVERGE);
	CHECK(near >= 0.9 * N_CONVERGE, "%d of %d paths end within 0.1 of Y", near, N_CONVERGE);
}

/* The same (scenario, seed) gives the same tape, byte for byte; another seed does not. */
static void
test_tape_determinism(void)
{
	ClobScenario s;
	ClobTape	a;
	ClobTape	b;
	ClobTape	c;
	PtError		err;
	int			types[4] = {0};
	int			i;
	bool		sorted = true;

	ClobScenarioPreset("calm", &s);
	CHECK(ClobWorldGenerate(&s, 42, &a, &err) == PT_OK, "calm world generated");
	ClobWorldGenerate(&s, 42, &b, &err);
	ClobWorldGenerate(&s, 43, &c, &err);
	CHECK(a.n_events == b.n_events &&
		  memcmp(a.events, b.events, sizeof(ClobEvent) * (size_t) a.n_events) == 0 &&
		  memcmp(a.p_grid, b.p_grid, sizeof(float) * (size_t) (a.n_grid + 1)) == 0,
		  "same seed, identical tape (%d events)", a.n_events);
	CHECK(a.n_events != c.n_events ||
		  memcmp(a.events, c.events, sizeof(ClobEvent) * (size_t) a.n_events) != 0,
		  "another seed, another tape");
	for (i = 0; i < a.n_events; i++)
	{
		types[a.events[i].type]++;
		if (i > 0 && a.events[i].t_us < a.events[i - 1].t_us)
			sorted = false;
	}
	CHECK(sorted, "events are in time order");
	CHECK(types[CLOB_EV_ADD] > 5000 && types[CLOB_EV_CANCEL] > 5000 &&
		  types[CLOB_EV_NOISE] > 500 && types[CLOB_EV_INFORMED] > 100,
		  "an hour of calm has adds %d, cancels %d, noise %d, informed %d",
		  types[CLOB_EV_ADD], types[CLOB_EV_CANCEL], types[CLOB_EV_NOISE], types[CLOB_EV_INFORMED]);
	CHECK(ClobTapeBytes(&a) < 2u * 1024 * 1024, "a tape is compact (%zu bytes)", ClobTapeBytes(&a));
	ClobTapeFree(&a);
	ClobTapeFree(&b);
	ClobTapeFree(&c);
	CHECK(!ClobScenarioPreset("nosuch", &s), "unknown presets are refused");
}

/* Near 0 and 1 (the closing preset) background orders use the 0.001 tick. */
static void
test_fine_ticks(void)
{
	ClobScenario s;
	int			fine = 0;
	int			bad = 0;
	int			seed;

	ClobScenarioPreset("closing", &s);
	for (seed = 0; seed < 6; seed++)
	{
		ClobTape	t;
		PtError		err;
		int			i;

		ClobWorldGenerate(&s, 700 + (uint64_t) seed, &t, &err);
		for (i = 0; i < t.n_events; i++)
		{
			const ClobEvent *e = &t.events[i];

			if (e->type != CLOB_EV_ADD)
				continue;
			if (ClobPriceCheck(e->price) != CLOB_OK)
				bad++;
			else if (e->price % CLOB_TICK_COARSE != 0)
				fine++;
		}
		ClobTapeFree(&t);
	}
	CHECK(bad == 0, "every background price is on the grid");
	CHECK(fine > 100, "%d background orders sit on the 0.001 grid beyond 0.96 / 0.04", fine);
}

/* Run every check and print the TAP plan. */
int
main(void)
{
	test_martingale();
	test_converges();
	test_tape_determinism();
	test_fine_ticks();
	CHECK(PtAllocLive() == 0, "no allocation leaked (%ld live)", PtAllocLive());
	return UnitDone();
}
