/*
 * clob_world.c — scenario presets and the generation of a world's event tape.
 *
 * The truth: Y ~ Bernoulli(p0) and the log-odds x = logit(p) of a Bayesian
 * observer of a signal with drift k(t)(2Y - 1):
 *     dx = 2 k(t) (k(t) (2Y - 1) dt + dW),  k(t) = k0 (1 + beta t / T),
 * which makes p = sigmoid(x) a martingale that converges to Y (exactly, in
 * the discrete steps used here, for k held constant over a step).  News jumps
 * observe s = a (2Y - 1) + eps and add 2 a s.  The public consensus is the
 * truth pub_lag_ms ago plus AR(1) noise; background makers quote around it,
 * noise takers trade around it, informed takers trade on the truth.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "clob_book.h"
#include "clob_world.h"
#include "pt_alloc.h"
#include "rng.h"

#define SETTING(field, lo, hi, desc) {#field, offsetof(ClobScenario, field), lo, hi, desc}
#define MAX_SIZE_CS 10000000		/* 100000 shares */
#define NOISE_AR_TAU_S 5.0			/* correlation time of the consensus noise */
#define US_PER_S 1000000.0
#define BG_MAX_OFFSET 50				/* ticks a background order may sit behind the consensus */
#define BG_CANCEL_STAGGER_S 0.001		/* cancels of one re-centring, staggered by offset */
#define BG_REQUOTE_S 0.05				/* a background maker re-quotes this long after a cancel */

static const ClobSettingInfo settings[] = {
	SETTING(window_s, 60, 172800, "Length of the simulated window in seconds."),
	SETTING(resolve_in_s, 0, 31536000, "Seconds from the end of the window to resolution; 0 means the window ends at resolution and inventory settles at the outcome."),
	SETTING(p0, -1, 0.99, "Starting probability; negative draws it from U(0.05, 0.95)."),
	SETTING(k0, 0, 1, "Signal intensity of the true probability process, per square-root second."),
	SETTING(beta, 0, 100, "Growth of the signal intensity towards resolution."),
	SETTING(grid_ms, 10, 10000, "Step of the truth and consensus paths in milliseconds."),
	SETTING(jump_rate_h, 0, 1000, "News jumps per hour."),
	SETTING(jump_a, 0, 3, "Strength of a news signal."),
	SETTING(pub_lag_ms, 0, 600000, "Lag of the public consensus behind the truth in milliseconds."),
	SETTING(pub_noise_ticks, 0, 20, "Standard deviation of the consensus noise in ticks."),
	SETTING(bg_rate, 0, 100, "Background maker orders per side per second."),
	SETTING(bg_geom_rho, 0, 0.95, "Background orders sit Geom(rho) ticks (from 0) outside the inside price of the consensus."),
	SETTING(bg_size_median, 1, 100000, "Median background order size in shares."),
	SETTING(bg_size_sigma, 0, 3, "Log-normal sigma of background sizes."),
	SETTING(bg_life_s, 0.1, 86400, "Mean life of a background order before it is cancelled, in seconds."),
	SETTING(bg_requote_ticks, 0, 100, "Background orders are re-centred when the consensus moves this many ticks away."),
	SETTING(noise_rate, 0, 100, "Noise takers per second."),
	SETTING(noise_size_median, 1, 100000, "Median noise order size in shares."),
	SETTING(noise_size_sigma, 0, 3, "Log-normal sigma of noise sizes."),
	SETTING(noise_slip_ticks, 0, 100, "Noise FAK limit, in ticks beyond the consensus."),
	SETTING(noise_no_share, 0, 1, "Share of noise takers that trade the NO token."),
	SETTING(noise_elasticity, 0, 10, "Noise takers shrink their size by exp(-elasticity * ticks) for each tick the best price lies beyond the tick next to the consensus."),
	SETTING(inf_rate, 0, 100, "Informed takers per second."),
	SETTING(inf_edge_ticks, 0, 100, "Edge in ticks informed takers demand beyond the fee."),
	SETTING(inf_size_median, 1, 100000, "Median informed order size in shares."),
	SETTING(inf_size_sigma, 0, 3, "Log-normal sigma of informed sizes."),
	SETTING(inf_burst, 0, 100, "Informed arrivals right after each news jump."),
	SETTING(inf_latency_ms, 0, 60000, "Informed reaction time to a jump in milliseconds."),
	SETTING(lat_feed_ms, 0, 60000, "Market data latency to the strategy in milliseconds."),
	SETTING(lat_entry_ms, 0, 60000, "Order entry latency of the strategy in milliseconds."),
	SETTING(lat_cancel_ms, 0, 60000, "Cancel latency of the strategy in milliseconds."),
	SETTING(lat_response_ms, 0, 60000, "Fill report latency to the strategy in milliseconds."),
	SETTING(fee_rate, 0, 1, "Taker fee rate of the V2 fee formula."),
	SETTING(fee_exp, 0, 4, "Exponent of p(1 - p) in the V2 fee formula."),
	SETTING(rebate_share, 0, 1, "Share of the taker fee paid to the maker as a rebate."),
	SETTING(min_size, 0.01, 100000, "Minimum order size in shares."),
	SETTING(start_cash_pusd, 10, 1e9, "Starting cash of the strategy in pUSD."),
	SETTING(restart_at_s, -1, 172800, "Start of an engine restart in the window in seconds; negative for none."),
	SETTING(restart_down_s, 0, 3600, "Seconds the engine answers 425 during a restart."),
	SETTING(restart_post_only_s, 0, 3600, "Seconds of post-only trading after a restart."),
	SETTING(feed_gap_at_s, -1, 172800, "Start of a market data outage for the strategy in seconds; negative for none."),
	SETTING(feed_gap_s, 0, 3600, "Length of the market data outage in seconds."),
	SETTING(feed_gap_jump, 0, 1, "1 puts a news jump inside the outage."),
	SETTING(market_close_at_s, -1, 172800, "Time in the window at which the market stops trading; negative for none."),
};

static const char *const preset_names[CLOB_N_PRESETS] = {
	"calm", "news", "toxic", "thin", "closing", "restart"
};

/* Scenario settings table. */
const ClobSettingInfo *
ClobScenarioSettings(int *n)
{
	*n = (int) (sizeof(settings) / sizeof(settings[0]));
	return settings;
}

/* Preset name by mix position. */
const char *
ClobPresetName(int i)
{
	if (i < 0 || i >= CLOB_N_PRESETS)
		return NULL;
	return preset_names[i];
}

/* The calm market every preset starts from. */
static void
preset_calm(ClobScenario *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->name, "calm");
	s->window_s = 3600;
	s->resolve_in_s = 259200;
	s->p0 = -1;
	s->k0 = 0.0021;
	s->beta = 0;
	s->grid_ms = 250;
	s->jump_rate_h = 0.5;
	s->jump_a = 0.15;
	s->pub_lag_ms = 2000;
	s->pub_noise_ticks = 0.8;
	s->bg_rate = 1.5;
	s->bg_geom_rho = 0.5;
	s->bg_size_median = 20;
	s->bg_size_sigma = 0.8;
	s->bg_life_s = 6;
	s->bg_requote_ticks = 3;
	s->noise_rate = 0.35;
	s->noise_size_median = 25;
	s->noise_size_sigma = 1.2;
	s->noise_slip_ticks = 3;
	s->noise_no_share = 0.3;
	s->noise_elasticity = 0.3;
	s->inf_rate = 0.1;
	s->inf_edge_ticks = 0.3;
	s->inf_size_median = 80;
	s->inf_size_sigma = 0.7;
	s->inf_burst = 3;
	s->inf_latency_ms = 50;
	s->lat_feed_ms = 30;
	s->lat_entry_ms = 80;
	s->lat_cancel_ms = 60;
	s->lat_response_ms = 40;
	s->fee_rate = 0.02;
	s->fee_exp = 1;
	s->rebate_share = 0.25;
	s->min_size = 5;
	s->start_cash_pusd = 1000;
	s->restart_at_s = -1;
	s->restart_down_s = 90;
	s->restart_post_only_s = 120;
	s->feed_gap_at_s = -1;
	s->feed_gap_s = 0;
	s->feed_gap_jump = 0;
	s->market_close_at_s = -1;
}

/* Fill *s with a preset. */
bool
ClobScenarioPreset(const char *name, ClobScenario *s)
{
	preset_calm(s);
	if (strcmp(name, "calm") == 0)
		return true;
	if (strcmp(name, "news") == 0)
	{
		s->jump_rate_h = 8;
		s->jump_a = 0.25;
		s->inf_burst = 4;
	}
	else if (strcmp(name, "toxic") == 0)
	{
		s->k0 = 0.003;
		s->jump_rate_h = 30;
		s->jump_a = 0.12;
		s->inf_rate = 0.3;
		s->inf_edge_ticks = 0.2;
		s->inf_size_median = 150;
		s->pub_lag_ms = 8000;
		s->pub_noise_ticks = 1.0;
	}
	else if (strcmp(name, "thin") == 0)
	{
		s->bg_rate = 0.4;
		s->bg_size_median = 15;
		s->bg_geom_rho = 0.6;
		s->noise_rate = 0.15;
		s->noise_size_median = 25;
	}
	else if (strcmp(name, "closing") == 0)
	{
		s->window_s = 14400;
		s->resolve_in_s = 0;
		s->k0 = 0.007;
		s->beta = 3;
		s->jump_rate_h = 1;
		s->jump_a = 0.3;
		s->bg_rate = 0.4;
		s->noise_rate = 0.08;
		s->inf_rate = 0.02;
		s->grid_ms = 1000;
		s->market_close_at_s = 14400 - 600;
	}
	else if (strcmp(name, "restart") == 0)
	{
		s->restart_at_s = 1200;
		s->feed_gap_at_s = 2400;
		s->feed_gap_s = 30;
		s->feed_gap_jump = 1;
	}
	else
		return false;
	strcpy(s->name, name);
	return true;
}

/* Exponential draw with the given mean. */
static inline double
draw_exp(PtRng *rng, double mean)
{
	double		u;

	do
		u = PtRngUniform(rng);
	while (u <= 0.0);
	return -log(u) * mean;
}

/* Log-normal size in centi-shares, at least min_cs. */
static int32_t
draw_size(PtRng *rng, double median, double sigma, int32_t min_cs)
{
	double		shares = median * exp(sigma * PtRngNormal(rng));
	double		cs = floor(shares * 100.0 + 0.5);

	if (cs < min_cs)
		cs = min_cs;
	if (cs > MAX_SIZE_CS)
		cs = MAX_SIZE_CS;
	return (int32_t) cs;
}

/* Event order: time, then every field, so the sort is deterministic. */
static int
event_cmp(const void *a, const void *b)
{
	const ClobEvent *x = a;
	const ClobEvent *y = b;

	if (x->t_us != y->t_us)
		return x->t_us < y->t_us ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->aux != y->aux)
		return x->aux < y->aux ? -1 : 1;
	if (x->side != y->side)
		return x->side < y->side ? -1 : 1;
	if (x->price != y->price)
		return x->price < y->price ? -1 : 1;
	if (x->size_cs != y->size_cs)
		return x->size_cs < y->size_cs ? -1 : 1;
	return (int) x->token - (int) y->token;
}

/*
 * Sort events by event_cmp, stably (equal events keep their order): a stable
 * radix sort on the time (from the earliest), then insertion sort inside each run of equal times.
 * The same order on every C library (qsort's is not specified); false when
 * out of memory.
 */
static bool
sort_events(ClobEvent *ev, int32_t n)
{
	enum
	{
		RADIX_BITS = 11, RADIX = 1 << RADIX_BITS
	};
	ClobEvent  *tmp;
	ClobEvent  *from = ev;
	ClobEvent  *to;
	int64_t		min_t = ev[0].t_us;
	uint64_t	span = 0;
	int32_t    *count;
	int32_t		i;
	int			shift;

	for (i = 1; i < n; i++)
		if (ev[i].t_us < min_t)
			min_t = ev[i].t_us;
	for (i = 0; i < n; i++)
		if ((uint64_t) (ev[i].t_us - min_t) > span)
			span = (uint64_t) (ev[i].t_us - min_t);
	tmp = PtMalloc(sizeof(ClobEvent) * (size_t) n);
	count = PtMalloc(sizeof(int32_t) * RADIX);
	if (tmp == NULL || count == NULL)
	{
		PtFree(tmp);
		PtFree(count);
		return false;
	}
	to = tmp;
	for (shift = 0; shift < 64 && (span >> shift) != 0; shift += RADIX_BITS)
	{
		ClobEvent  *swap;
		int32_t		sum = 0;

		memset(count, 0, sizeof(int32_t) * RADIX);
		for (i = 0; i < n; i++)
			count[((uint64_t) (from[i].t_us - min_t) >> shift) & (RADIX - 1)]++;
		for (i = 0; i < RADIX; i++)
		{
			int32_t		c = count[i];

			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			to[count[((uint64_t) (from[i].t_us - min_t) >> shift) & (RADIX - 1)]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	if (from != ev)
		memcpy(ev, from, sizeof(ClobEvent) * (size_t) n);
	PtFree(tmp);
	PtFree(count);
	for (i = 1; i < n; i++)
	{
		ClobEvent	e = ev[i];
		int32_t		j = i;

		while (j > 0 && ev[j - 1].t_us == e.t_us && event_cmp(&ev[j - 1], &e) > 0)
		{
			ev[j] = ev[j - 1];
			j--;
		}
		ev[j] = e;
	}
	return true;
}

/* A growable event array used only while generating. */
typedef struct EventBuf
{
	ClobEvent  *ev;
	int32_t		n;
	int32_t		cap;
} EventBuf;

/* Append an event; false when out of memory. */
static bool
push_event(EventBuf *buf, const ClobEvent *e)
{
	if (buf->n == buf->cap)
	{
		int32_t		cap = buf->cap == 0 ? 4096 : buf->cap * 2;
		ClobEvent  *ev = PtRealloc(buf->ev, sizeof(ClobEvent) * (size_t) cap);

		if (ev == NULL)
			return false;
		buf->ev = ev;
		buf->cap = cap;
	}
	buf->ev[buf->n++] = *e;
	return true;
}

/* Clamp a YES price (units) to the tradable range, as a double. */
static inline double
clamp_units(double p)
{
	if (p < 20.0)
		return 20.0;
	if (p > CLOB_PRICE_SCALE - 20.0)
		return CLOB_PRICE_SCALE - 20.0;
	return p;
}

/* Generate the truth path (and the jump grid steps) into tape->p_grid. */
static int
gen_truth(const ClobScenario *s, PtRng *rng, ClobTape *tape, int32_t **jump_steps)
{
	double		dt = s->grid_ms / 1000.0;
	double		horizon = s->window_s + s->resolve_in_s;
	double		sign;
	double		x;
	double		next_jump;
	double		forced_jump = -1.0;
	int32_t		n = tape->n_grid;
	int32_t		cap_jumps = 16;
	int32_t		i;
	int32_t    *jumps = PtMalloc(sizeof(int32_t) * (size_t) cap_jumps);

	if (jumps == NULL)
		return PT_ERR_OUT_OF_MEMORY;
	tape->n_jumps = 0;
	if (horizon <= 0)
		horizon = s->window_s;
	tape->p0 = s->p0 >= 0 ? s->p0 : CLOB_P0_LO + (CLOB_P0_HI - CLOB_P0_LO) * PtRngUniform(rng);
	tape->outcome = PtRngUniform(rng) < tape->p0 ? 1 : 0;
	sign = tape->outcome ? 1.0 : -1.0;
	x = log(tape->p0 / (1.0 - tape->p0));
	tape->p_grid[0] = (float) tape->p0;
	next_jump = s->jump_rate_h > 0 ? draw_exp(rng, 3600.0 / s->jump_rate_h) : INFINITY;
	if (s->feed_gap_jump > 0 && s->feed_gap_at_s >= 0)
		forced_jump = s->feed_gap_at_s + fmin(5.0, s->feed_gap_s / 2.0);

	for (i = 1; i <= n; i++)
	{
		double		t0 = (i - 1) * dt;
		double		t1 = i * dt;
		double		k = s->k0 * (1.0 + s->beta * t0 / horizon);
		bool		jumped = false;

		x += 2.0 * k * (k * sign * dt + sqrt(dt) * PtRngNormal(rng));
		while (next_jump <= t1)
		{
			double		sig = s->jump_a * sign + PtRngNormal(rng);

			x += 2.0 * s->jump_a * sig;
			jumped = true;
			next_jump += draw_exp(rng, 3600.0 / s->jump_rate_h);
		}
		if (forced_jump > t0 && forced_jump <= t1)
		{
			double		a = s->jump_a > 0 ? 2.0 * s->jump_a : 0.3;
			double		sig = a * sign + PtRngNormal(rng);

			x += 2.0 * a * sig;
			jumped = true;
		}
		if (x > 30)
			x = 30;
		if (x < -30)
			x = -30;
		tape->p_grid[i] = (float) (1.0 / (1.0 + exp(-x)));
		if (jumped)
		{
			if (tape->n_jumps == cap_jumps)
			{
				int32_t    *nj = PtRealloc(jumps, sizeof(int32_t) * (size_t) cap_jumps * 2);

				if (nj == NULL)
				{
					PtFree(jumps);
					return PT_ERR_OUT_OF_MEMORY;
				}
				jumps = nj;
				cap_jumps *= 2;
			}
			jumps[tape->n_jumps++] = i;
		}
	}
	tape->p_end = tape->p_grid[n];
	*jump_steps = jumps;
	return PT_OK;
}

/* Generate the world of (scenario, seed). */
int
ClobWorldGenerate(const ClobScenario *s, uint64_t seed, ClobTape *tape, PtError *err)
{
	PtRng		rng_truth;
	PtRng		rng;
	EventBuf	buf = {0};
	float	   *m_grid = NULL;
	int32_t    *jump_steps = NULL;
	double		dt = s->grid_ms / 1000.0;
	double		phi = exp(-dt / NOISE_AR_TAU_S);
	double		noise = 0.0;
	double		W = s->window_s;
	int32_t		lag;
	int32_t		min_cs = (int32_t) ceil(s->min_size * 100.0 - 1e-9);
	int32_t		i;
	int32_t		live;
	int			side;
	int			rc;
	ClobEvent	e;

	memset(tape, 0, sizeof(*tape));
	tape->scenario = *s;
	tape->seed = seed;
	tape->window_us = (int64_t) llround(W * US_PER_S);
	tape->grid_us = (int64_t) llround(s->grid_ms * 1000.0);
	tape->n_grid = (int32_t) ceil(W / dt - 1e-9);
	if (tape->n_grid < 1)
		tape->n_grid = 1;
	tape->p_grid = PtMalloc(sizeof(float) * (size_t) (tape->n_grid + 1));
	m_grid = PtMalloc(sizeof(float) * (size_t) (tape->n_grid + 1));
	if (tape->p_grid == NULL || m_grid == NULL)
		goto oom;

	PtRngSeed(&rng_truth, PtRngDerive(seed, 1));
	rc = gen_truth(s, &rng_truth, tape, &jump_steps);
	if (rc != PT_OK)
		goto oom;

	/* Public consensus: lagged truth plus AR(1) noise, in price units. */
	PtRngSeed(&rng, PtRngDerive(seed, 2));
	lag = (int32_t) llround(s->pub_lag_ms / s->grid_ms);
	for (i = 0; i <= tape->n_grid; i++)
	{
		int32_t		j = i - lag < 0 ? 0 : i - lag;

		noise = phi * noise + sqrt(1.0 - phi * phi) * s->pub_noise_ticks * PtRngNormal(&rng);
		m_grid[i] = (float) clamp_units(tape->p_grid[j] * CLOB_PRICE_SCALE
										+ noise * CLOB_TICK_COARSE);
	}

	/*
	 * Background makers: each arrival is a maker that quotes `offset` ticks
	 * outside the inside price of its view of the consensus (offset 0 joins
	 * or sets the best price: the bid at the tick below the consensus, the
	 * ask at the tick above), for an exponential life.  When the consensus
	 * crosses its order or runs more than bg_requote_ticks away, it cancels
	 * and re-quotes at the same offset from the new consensus after
	 * BG_REQUOTE_S, joining the back of that level's queue.
	 */
	PtRngSeed(&rng, PtRngDerive(seed, 3));
	for (side = 0; side < 2 && s->bg_rate > 0; side++)
	{
		double		t_arr = draw_exp(&rng, 1.0 / s->bg_rate);

		while (t_arr < W)
		{
			int32_t		offset = 0;
			double		t = t_arr;
			double		life_end = t_arr + draw_exp(&rng, s->bg_life_s);
			int32_t		size_cs = draw_size(&rng, s->bg_size_median, s->bg_size_sigma, min_cs);

			while (offset < BG_MAX_OFFSET && PtRngUniform(&rng) < s->bg_geom_rho)
				offset++;
			/* One maker's chain of orders: quote, re-quote on a move, until its life ends. */
			while (t < W && t < life_end)
			{
				int32_t		g = (int32_t) (t / dt);
				double		m = m_grid[g];
				int32_t		price;
				int32_t		tick;
				double		t_end = life_end;
				double		far;
				bool		moved = false;
				int32_t		j;
				int64_t		t_us = (int64_t) llround(t * US_PER_S);

				if (side == CLOB_BUY)
				{
					price = ClobPriceCeil((int32_t) ceil(m)) - ClobTickAt(ClobPriceFloor((int32_t) floor(m)));
					price = ClobPriceFloor(price);
					price -= offset * ClobTickAt(price);
				}
				else
				{
					price = ClobPriceFloor((int32_t) floor(m)) + ClobTickAt(ClobPriceCeil((int32_t) ceil(m)));
					price = ClobPriceCeil(price);
					price += offset * ClobTickAt(price);
				}
				if (ClobPriceCheck(price) != CLOB_OK)
					break;
				tick = ClobTickAt(price);
				far = (offset + 1 + s->bg_requote_ticks) * tick;
				for (j = g + 1; j <= tape->n_grid && j * dt < t_end; j++)
				{
					double		mj = m_grid[j];

					if (side == CLOB_BUY ? (mj <= price || mj - price > far)
						: (mj >= price || price - mj > far))
					{
						t_end = j * dt + BG_CANCEL_STAGGER_S * (1 + offset);
						moved = true;
						break;
					}
				}
				e.t_us = t_us;
				e.type = CLOB_EV_ADD;
				e.side = (uint8_t) side;
				e.token = CLOB_YES;
				e.flags = 0;
				e.price = price;
				e.size_cs = size_cs;
				e.aux = tape->n_adds;
				if (!push_event(&buf, &e))
					goto oom;
				if (t_end < W)
				{
					e.t_us = (int64_t) llround(t_end * US_PER_S);
					if (e.t_us <= t_us)
						e.t_us = t_us + 1;
					e.type = CLOB_EV_CANCEL;
					e.price = 0;
					e.size_cs = 0;
					if (!push_event(&buf, &e))
						goto oom;
				}
				tape->n_adds++;
				if (!moved)
					break;
				t = t_end + BG_REQUOTE_S;
			}
			t_arr += draw_exp(&rng, 1.0 / s->bg_rate);
		}
	}

	/* Noise takers around the consensus; some trade the NO token. */
	PtRngSeed(&rng, PtRngDerive(seed, 4));
	if (s->noise_rate > 0)
	{
		double		t = draw_exp(&rng, 1.0 / s->noise_rate);

		while (t < W)
		{
			double		m = m_grid[(int32_t) (t / dt)];
			int			buy = PtRngUniform(&rng) < 0.5;
			int			no = PtRngUniform(&rng) < s->noise_no_share;
			int32_t		limit;

			e.size_cs = draw_size(&rng, s->noise_size_median, s->noise_size_sigma, min_cs);
			if (buy)
				limit = ClobPriceCeil((int32_t) ceil(m + s->noise_slip_ticks * CLOB_TICK_COARSE));
			else
				limit = ClobPriceFloor((int32_t) floor(m - s->noise_slip_ticks * CLOB_TICK_COARSE));
			e.t_us = (int64_t) llround(t * US_PER_S);
			e.type = CLOB_EV_NOISE;
			e.aux = 0;
			e.flags = 0;
			if (no)
			{
				e.token = CLOB_NO;
				e.side = buy ? CLOB_SELL : CLOB_BUY;
				e.price = CLOB_PRICE_SCALE - limit;
			}
			else
			{
				e.token = CLOB_YES;
				e.side = buy ? CLOB_BUY : CLOB_SELL;
				e.price = limit;
			}
			if (!push_event(&buf, &e))
				goto oom;
			t += draw_exp(&rng, 1.0 / s->noise_rate);
		}
	}

	/* Informed takers: a Poisson stream plus bursts right after each jump. */
	PtRngSeed(&rng, PtRngDerive(seed, 5));
	{
		double		t = s->inf_rate > 0 ? draw_exp(&rng, 1.0 / s->inf_rate) : INFINITY;
		int32_t		jn = 0;
		int32_t		burst_left = 0;
		double		burst_t = 0;

		for (;;)
		{
			double		ta;
			double		p;
			double		fee_units;
			double		edge = s->inf_edge_ticks * CLOB_TICK_COARSE;
			double		lo;
			double		hi;

			if (burst_left == 0 && jn < tape->n_jumps)
			{
				burst_left = (int32_t) s->inf_burst;
				burst_t = jump_steps[jn++] * dt;
				if (burst_left == 0)
					continue;
			}
			if (burst_left > 0 && burst_t <= t)
			{
				ta = burst_t + s->inf_latency_ms / 1000.0 * (0.5 + PtRngUniform(&rng));
				burst_left--;
			}
			else if (t < W)
			{
				ta = t;
				t += draw_exp(&rng, 1.0 / s->inf_rate);
			}
			else if (burst_left > 0)
			{
				ta = burst_t + s->inf_latency_ms / 1000.0 * (0.5 + PtRngUniform(&rng));
				burst_left--;
			}
			else
				break;
			if (ta >= W)
				continue;
			e.t_us = (int64_t) llround(ta * US_PER_S);
			p = ClobTapeTruth(tape, e.t_us);
			fee_units = s->fee_rate * pow(p * (1.0 - p), s->fee_exp) * CLOB_PRICE_SCALE;
			lo = p * CLOB_PRICE_SCALE - edge - fee_units;
			hi = p * CLOB_PRICE_SCALE + edge + fee_units;
			e.type = CLOB_EV_INFORMED;
			e.side = 0;
			e.token = CLOB_YES;
			e.flags = 0;
			e.price = lo < CLOB_TICK_FINE ? -1 : ClobPriceFloor((int32_t) floor(lo));
			e.aux = hi > CLOB_PRICE_SCALE - CLOB_TICK_FINE ? CLOB_PRICE_SCALE + 1
				: ClobPriceCeil((int32_t) ceil(hi));
			e.size_cs = draw_size(&rng, s->inf_size_median, s->inf_size_sigma, min_cs);
			if (!push_event(&buf, &e))
				goto oom;
		}
	}

	if (buf.n > 1 && !sort_events(buf.ev, buf.n))
		goto oom;
	tape->events = buf.ev;
	tape->n_events = buf.n;
	buf.ev = NULL;

	live = 0;
	for (i = 0; i < tape->n_events; i++)
	{
		if (tape->events[i].type == CLOB_EV_ADD)
		{
			if (++live > tape->max_live_bg)
				tape->max_live_bg = live;
		}
		else if (tape->events[i].type == CLOB_EV_CANCEL)
			live--;
	}
	PtFree(m_grid);
	PtFree(jump_steps);
	return PT_OK;

oom:
	PtFree(buf.ev);
	PtFree(m_grid);
	PtFree(jump_steps);
	ClobTapeFree(tape);
	return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory generating a backtest world");
}

/* Free a tape's arrays. */
void
ClobTapeFree(ClobTape *tape)
{
	if (tape == NULL)
		return;
	PtFree(tape->events);
	PtFree(tape->p_grid);
	tape->events = NULL;
	tape->p_grid = NULL;
	tape->n_events = 0;
}

/* Bytes a tape holds. */
size_t
ClobTapeBytes(const ClobTape *tape)
{
	return sizeof(ClobEvent) * (size_t) tape->n_events
		+ sizeof(float) * (size_t) (tape->n_grid + 1);
}
