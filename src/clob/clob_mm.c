/*
 * clob_mm.c — the market maker's decision: halts, fair value, spread, skew, quotes, taker exit.
 *
 * ClobSimMmAct runs when the strategy reacts (market data or a report
 * delivered) and on its re-quote timer; it reads only what the strategy
 * knows (the book without its orders as the feed delivered it, its reported
 * inventory and cash, its signals) and sends and cancels through the gates
 * of clob_gates.c.  Its signals are fed in clob_sim.c (observe_book,
 * observe_prints), where the feed is delivered.
 */
#include <math.h>

#include "clob_sim_state.h"

#define VOL_HORIZON_S 60.0			/* sigma is the mid's standard deviation over a minute */
#define LEAN_MAX_TICKS 3.0			/* fair value leans with the flow by at most this */
#define LEAN_SIGMAS 0.5				/* ... and by half a sigma */
#define SKEW_U_MAX 1.5				/* inventory beyond 1.5 caps skews no further */

/*
 * (int32_t) floor(x): inside the int32 range by truncation and one
 * correction (the same integer), elsewhere (and for NaN) through floor().
 */
static inline int32_t
floor_i32(double x)
{
	if (x > -2147483648.0 && x < 2147483647.0)
	{
		int32_t		t = (int32_t) x;

		return (double) t > x ? t - 1 : t;
	}
	return (int32_t) floor(x);
}

/* (int32_t) ceil(x), the same way. */
static inline int32_t
ceil_i32(double x)
{
	if (x > -2147483647.0 && x < 2147483647.0)
	{
		int32_t		t = (int32_t) x;

		return (double) t < x ? t + 1 : t;
	}
	return (int32_t) ceil(x);
}

/* Reconcile one side's quotes with its targets. */
static inline void
reconcile_side(ClobSim *s, int side, const int32_t *price, const int64_t *size, bool timer,
			   bool post_only, int32_t tick)
{
	const ClobMmParams *mm = s->mm;
	int32_t		reprice = mm->reprice_ticks * tick;
	int			k;

	for (k = 0; k < mm->layers; k++)
	{
		int32_t		r = s->quote[side][k];

		if (r >= 0)
		{
			MmRec	   *x = &s->rec[r];
			int32_t		diff = x->price > price[k] ? x->price - price[k] : price[k] - x->price;
			bool		moved = (diff > 0) & (timer | (diff >= reprice));
			bool		resized = fabs((double) (x->rem_known - size[k])) >
				mm->resize_frac * (double) size[k];

			/* Replaced when gone, moved or resized: one test (the three are data, not control). */
			if (!((size[k] <= 0) | moved | resized))
				continue;
			ClobSimRecCancel(s, r);
		}
		if (size[k] > 0)
			(void) ClobSimSendOrder(s, side, price[k], size[k], CLOB_GTC, post_only, k, false);
	}
}

/* One decision of the strategy: halts, targets, quotes, taker exit. */
void
ClobSimMmAct(ClobSim *s, bool timer)
{
	const ClobMmParams *mm = s->mm;
	int			mask;
	int64_t		ttr = s->res_us - s->now;
	double		fv;
	double		sigma;
	double		imb = 0;
	bool		lean_on;		/* |z| > trend_flow_z, z the flow's z-score */
	double		u;
	double		delta;
	double		r;
	double		tickd;
	int32_t		tick;
	int64_t		base_bid;
	int64_t		base_ask;
	int32_t		ext_bid;
	int32_t		ext_ask;
	int32_t		bmax;
	int32_t		amin;
	int32_t		bid_px[CLOB_MAX_LAYERS];
	int32_t		ask_px[CLOB_MAX_LAYERS];
	int64_t		bid_sz[CLOB_MAX_LAYERS];
	int64_t		ask_sz[CLOB_MAX_LAYERS];
	bool		reduce_only;
	bool		post_only;
	int			k;

	if (kill_check(s))
		return;

	mask = market_halt_mask(s);
	post_only = s->phase_post_only[s->book.phase];
	if (mask != 0 && s->halt_mask == 0)
		s->m->halts_seen++;
	s->halt_mask = mask;
	if (mask & HALT_RESTART)
		return;					/* the engine answers 425 to cancels too */

	if (s->orphans > 0)
	{
		int32_t		i;

		s->orphans = 0;
		for (i = 0; i < s->n_active; i++)
			if (s->rec[s->active[i]].state == REC_LIVE && s->rec[s->active[i]].layer < 0)
				ClobSimRecCancel(s, s->active[i]);
	}

	if (mask != 0 || ttr < s->halt_before_us || s->now < s->cool_until ||
		!s->have_fv)
	{
		ClobSimCancelAll(s);
		return;
	}

	/*
	 * Signals at this instant.  The flow's decay d = exp(-dt/tau) is computed
	 * only where bounds cannot settle its two uses, fa d > 1e-9 and |z| >
	 * trend_flow_z with z = imb sqrt(fn d).  For tau > 0, dlo = 1 - dt/tau <=
	 * d <= 1 (exp(-x) >= 1 - x): fa dlo, or |imb| sqrt(fn dlo), clearing its
	 * threshold by a 1e-12 relative margin (exp and the products err by a few
	 * 1e-16) settles a test as true; fa, or |imb| sqrt(fn), at most its
	 * threshold settles it as false (rounding is monotone).  Otherwise d and
	 * z are computed as they always were.
	 */
	{
		double		dt = (double) (s->now - s->flow_t) / US;
		bool		bounded = s->tau_f > 0;
		double		dlo = !bounded ? 0 : dt <= 0 ? 1.0 : 1.0 - dt / s->tau_f;
		double		d = 0;
		bool		have_d = false;
		bool		flow;

		sigma = sqrt((s->vs > s->vl ? s->vs : s->vl) * VOL_HORIZON_S);
		lean_on = 0.0 > mm->trend_flow_z;	/* the test at z = 0 */
		if (bounded && dlo > 0 && s->fa * dlo * (1.0 - 1e-12) > 1e-9)
			flow = true;
		else if (bounded && !(s->fa > 1e-9))
			flow = false;
		else
		{
			d = decay(1.0, dt, s->tau_f);
			have_d = true;
			flow = s->fa * d > 1e-9;
		}
		if (flow)
		{
			imb = s->ff / s->fa;	/* the decay cancels in the ratio */
			if (bounded && fabs(imb) * sqrt(s->fn) <= mm->trend_flow_z)
				;				/* |z| <= trend_flow_z (>= 0): no lean */
			else if (bounded && dlo > 0 &&
					 fabs(imb) * sqrt(s->fn * dlo) * (1.0 - 1e-12) > mm->trend_flow_z)
				lean_on = true;
			else
			{
				if (!have_d)
					d = decay(1.0, dt, s->tau_f);
				lean_on = fabs(imb * sqrt(s->fn * d)) > mm->trend_flow_z;
			}
		}
	}
	fv = s->fv;
	tick = ClobTickAt((int32_t) fv);
	tickd = tick;
	if (lean_on)
	{
		double		lean = LEAN_SIGMAS * sigma;

		if (lean > LEAN_MAX_TICKS * tickd)
			lean = LEAN_MAX_TICKS * tickd;
		fv += imb > 0 ? lean : -lean;
	}
	/* Inventory as notional at risk: YES held costs p a share, NO held 1 - p. */
	u = (double) s->kq / CLOB_SHARE * (s->kq >= 0 ? fv : CLOB_PRICE_SCALE - fv) / CLOB_PRICE_SCALE
		/ mm->q_max_pusd;
	r = fv - mm->gamma_skew * (sigma > tickd ? sigma : tickd) *
		(u > SKEW_U_MAX ? SKEW_U_MAX : u < -SKEW_U_MAX ? -SKEW_U_MAX : u);
	delta = mm->c_vol * sigma + mm->c_tox * (fabs(imb) + (s->tox_as > 0 ? s->tox_as : 0)) * tickd;
	if (delta < mm->half_spread_min_ticks * tickd)
		delta = mm->half_spread_min_ticks * tickd;
	reduce_only = ttr < s->reduce_only_us || fv < s->band_lo || fv > s->band_hi;

	base_bid = (int64_t) (mm->base_size_pusd / (fv / CLOB_PRICE_SCALE) * CLOB_SHARE);
	base_ask = (int64_t) (mm->base_size_pusd / (1.0 - fv / CLOB_PRICE_SCALE) * CLOB_SHARE);
	ext_bid = s->ext_bid;
	ext_ask = s->ext_ask;

	bmax = ClobPriceFloor(floor_i32(fv - mm->min_edge_ticks * tickd));
	amin = ClobPriceCeil(ceil_i32(fv + mm->min_edge_ticks * tickd));
	for (k = 0; k < mm->layers; k++)
	{
		double		off = delta + (double) k * mm->layer_step_ticks * tickd;
		int32_t		b = ClobPriceFloor(floor_i32(r - off));
		int32_t		a = ClobPriceCeil(ceil_i32(r + off));

		if (b > bmax)
			b = bmax;
		if (a < amin)
			a = amin;
		if (post_only && ext_ask >= 0 && b >= ext_ask)
			b = ClobPriceFloor(ext_ask - 1);
		if (post_only && ext_bid >= 0 && a <= ext_bid)
			a = ClobPriceCeil(ext_bid + 1);
		bid_px[k] = b;
		ask_px[k] = a;
		bid_sz[k] = base_bid;
		ask_sz[k] = base_ask;
	}

	/* Inventory: shrink the side that adds risk past the soft cap; reduce-only. */
	{
		double		au = fabs(u);
		int			grow = s->kq >= 0 ? CLOB_BUY : CLOB_SELL;
		int64_t	   *gs = grow == CLOB_BUY ? bid_sz : ask_sz;
		int64_t	   *rs = grow == CLOB_BUY ? ask_sz : bid_sz;
		int64_t		absq = s->kq >= 0 ? s->kq : -s->kq;

		if (reduce_only)
		{
			for (k = 0; k < mm->layers; k++)
			{
				gs[k] = 0;
				rs[k] = 0;
			}
			if (s->kq != 0)
			{
				int64_t		cap = grow == CLOB_BUY ? base_ask : base_bid;

				rs[0] = absq < cap ? absq : cap;
			}
		}
		else
		{
			/* Size to the inventory headroom: the adding side's layers share what is left to the cap. */
			double		per_share = (grow == CLOB_BUY ? fv : CLOB_PRICE_SCALE - fv) / CLOB_PRICE_SCALE;
			double		room = (1.0 - au) * mm->q_max_pusd / per_share * CLOB_SHARE;
			double		room_other = (absq + mm->q_max_pusd / (1.0 - per_share) * CLOB_SHARE);

			if (au > mm->q_soft_frac)
			{
				double		f = mm->q_soft_frac >= 1.0 ? 0.0 : (1.0 - au) / (1.0 - mm->q_soft_frac);

				if (f < 0)
					f = 0;
				for (k = 0; k < mm->layers; k++)
					gs[k] = (int64_t) (gs[k] * f);
			}
			for (k = 0; k < mm->layers; k++)
			{
				if ((double) gs[k] > room)
					gs[k] = room > 0 ? (int64_t) room : 0;
				room -= (double) gs[k];
				if ((double) rs[k] > room_other)
					rs[k] = room_other > 0 ? (int64_t) room_other : 0;
				room_other -= (double) rs[k];
			}
		}
		/* The prices come from ClobPriceFloor/Ceil: always valid (test_clob_book checks every input). */
		for (k = 0; k < mm->layers; k++)
		{
			bid_sz[k] -= bid_sz[k] % CLOB_SIZE_QUANTUM;
			ask_sz[k] -= ask_sz[k] % CLOB_SIZE_QUANTUM;
			if (bid_sz[k] < s->min_size)
				bid_sz[k] = 0;
			if (ask_sz[k] < s->min_size)
				ask_sz[k] = 0;
		}

		/* Taker exit: cross the spread to get back under the soft cap. */
		if (mm->allow_taker_exit && !reduce_only && au > mm->q_soft_frac &&
			s->now >= s->exit_next_t && s->book.phase == CLOB_PHASE_OPEN)
		{
			int			side = s->kq > 0 ? CLOB_SELL : CLOB_BUY;
			double		per_share = (s->kq > 0 ? fv : CLOB_PRICE_SCALE - fv) / CLOB_PRICE_SCALE;
			int64_t		sz = (int64_t) ((au - mm->q_soft_frac) * mm->q_max_pusd / per_share
										* CLOB_SHARE);
			int32_t		limit = side == CLOB_SELL
				? (ext_bid >= 0 ? ClobPriceFloor(ext_bid - tick) : -1)
				: (ext_ask >= 0 ? ClobPriceCeil(ext_ask + tick) : -1);

			sz -= sz % CLOB_SIZE_QUANTUM;
			if (sz > absq)
				sz = absq - absq % CLOB_SIZE_QUANTUM;
			if (limit >= 0 && sz >= s->min_size)
				(void) ClobSimSendOrder(s, side, limit, sz, CLOB_FAK, false, -1, true);
			s->exit_next_t = s->now + (s->timer_us > US ? s->timer_us : US);
		}
	}

	reconcile_side(s, CLOB_BUY, bid_px, bid_sz, timer, post_only, tick);
	reconcile_side(s, CLOB_SELL, ask_px, ask_sz, timer, post_only, tick);
}
