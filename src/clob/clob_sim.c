/*
 * clob_sim.c — the replay loop and the market maker under test.
 *
 * One pass over a tape, merged in time with the strategy's own clock: its
 * in-flight submits and cancels (entry and cancel latency), its reactions
 * to market data (feed latency) and fills (response latency), its re-quote
 * timer, the exchange's phases and a one-second sampler for the metrics.
 * The strategy (src/clob/README.md, "The replay") sees the book without its own orders,
 * the public prints, and its own fills; it never sees the truth.  Its
 * decision is in clob_mm.c, the gates and the kill switch in clob_gates.c,
 * the end-of-run metrics in clob_sim_finish.c, the shared state in
 * clob_sim_state.h.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "clob_sim_state.h"
#include "pt_alloc.h"

#define FILL_CAP_MIN 4096
#define VOL_DIFF_S 10				/* volatility from 10 s mid changes (less bid-ask bounce) */
#define TOX_WEIGHT 0.1				/* weight of each fill in the own-markout toxicity */
#define JUMP_LOOKBACK_S 5
#define INIT_VOL_RATE 100.0			/* (0.1 tick)^2 per second, in units^2 */
#define EXT_SCAN_LEVELS 64			/* levels searched for the book without our orders */
#define AT_CAP_FRAC 0.95
#define MAX_MARKOUT_US (300 * US)	/* the longest markout horizon */
#define FACTS_EVERY_S 10			/* sampling period of the market's spread and depth */

static void on_fill(void *arg, const ClobFill *fill);
static void report_apply(ClobSim *s, const ReportMsg *r);

/* Decode values in table order. */
void
ClobMmParamsFromValues(const double *v, ClobMmParams *p)
{
	p->half_spread_min_ticks = (int) v[0];
	p->c_vol = v[1];
	p->c_tox = v[2];
	p->gamma_skew = v[3];
	p->base_size_pusd = v[4];
	p->layers = (int) v[5];
	p->layer_step_ticks = (int) v[6];
	p->reprice_ticks = (int) v[7];
	p->resize_frac = v[8];
	p->min_edge_ticks = (int) v[9];
	p->requote_interval_ms = (int) v[10];
	p->post_only = v[11] != 0;
	p->vol_hl_short_s = v[12];
	p->vol_hl_long_s = v[13];
	p->flow_hl_s = v[14];
	p->markout_horizon_s = v[15];
	p->event_jump_ticks = (int) v[16];
	p->event_cooloff_s = v[17];
	p->trend_flow_z = v[18];
	p->q_max_pusd = v[19];
	p->q_soft_frac = v[20];
	p->price_band_lo = v[21];
	p->price_band_hi = v[22];
	p->reduce_only_s = v[23];
	p->halt_before_s = v[24];
	p->allow_taker_exit = v[25] != 0;
	p->max_orders_per_s = (int) v[26];
}

/* Make room for a tape. */
bool
ClobSimReserve(ClobSim *sim, int32_t n_adds, int32_t max_live)
{
	int32_t		need_pool = max_live + 2048;

	if (n_adds > sim->add_cap)
	{
		int32_t    *m = PtRealloc(sim->add_map, sizeof(int32_t) * (size_t) n_adds);

		if (m == NULL)
			return false;
		sim->add_map = m;
		sim->add_cap = n_adds;
	}
	if (need_pool > sim->book.capacity)
	{
		ClobBookFree(&sim->book);
		if (!ClobBookInit(&sim->book, need_pool, 0))
			return false;
	}
	return true;
}

/* Make room for everything playing this tape needs: the replay then allocates nothing. */
bool
ClobSimReserveTape(ClobSim *s, const ClobTape *tape)
{
	int32_t		n_sec = (int32_t) (tape->window_us / US) + 2;

	if (n_sec > s->sec_cap)
	{
		int32_t    *ms = PtRealloc(s->mid_s, sizeof(int32_t) * (size_t) n_sec);
		double	   *es;

		if (ms == NULL)
			return false;
		s->mid_s = ms;
		es = PtRealloc(s->eq_s, sizeof(double) * (size_t) n_sec);
		if (es == NULL)
			return false;
		s->eq_s = es;
		s->sec_cap = n_sec;
	}
	if (!ClobSimReserve(s, tape->n_adds, tape->max_live_bg))
		return false;
	if (s->fill_cap < tape->n_events + FILL_CAP_MIN)
	{
		int32_t		cap = tape->n_events + FILL_CAP_MIN;
		FillRec    *nf = PtRealloc(s->fills, sizeof(FillRec) * (size_t) cap);

		if (nf == NULL)
			return false;
		s->fills = nf;
		s->fill_cap = cap;
	}
	return true;
}

/* A replay context. */
ClobSim *
ClobSimCreate(int32_t n_adds, int32_t max_live)
{
	ClobSim    *sim = PtCalloc(1, sizeof(ClobSim));

	if (sim == NULL)
		return NULL;
	sim->fill_cap = FILL_CAP_MIN;
	sim->fills = PtMalloc(sizeof(FillRec) * (size_t) sim->fill_cap);
	if (sim->fills == NULL || !ClobSimReserve(sim, n_adds > 0 ? n_adds : 1, max_live))
	{
		ClobSimFree(sim);
		return NULL;
	}
	return sim;
}

/* Free a replay context. */
void
ClobSimFree(ClobSim *sim)
{
	if (sim == NULL)
		return;
	ClobBookFree(&sim->book);
	PtFree(sim->add_map);
	PtFree(sim->fills);
	PtFree(sim->mid_s);
	PtFree(sim->eq_s);
	PtFree(sim);
}

/* ---- strategy order records (the gates and the kill switch: clob_gates.c) ---- */

/* Return a record to the free list and detach it from its slot. */
void
ClobSimRecFree(ClobSim *s, int32_t r)
{
	MmRec	   *x = &s->rec[r];

	open_sums_reset(s);

	if (x->layer >= 0 && s->quote[x->side][x->layer] == r)
		s->quote[x->side][x->layer] = -1;
	if (x->book_idx >= 0)
		resting_drop(s, r);
	{
		int32_t		last = s->active[--s->n_active];

		s->active[x->act_pos] = last;
		s->rec[last].act_pos = x->act_pos;
	}
	x->state = REC_FREE;
	x->book_idx = -1;
	x->layer = -1;
	x->gen++;
	x->next_free = s->free_rec;
	s->free_rec = r;
}

/* Ask for a record's order to go: a cancel in flight, or a drop on arrival. */
void
ClobSimRecCancel(ClobSim *s, int32_t r)
{
	MmRec	   *x = &s->rec[r];

	if (x->layer >= 0 && s->quote[x->side][x->layer] == r)
		s->quote[x->side][x->layer] = -1;
	x->layer = -1;
	if (x->state == REC_INFLIGHT)
	{
		x->cancel_on_arrival = true;
		x->state = REC_CANCELLING;
		s->m->cancels++;
	}
	else if (x->state == REC_LIVE)
	{
		if (queue_push(&s->canq, s->now + s->lat_cancel, r, x->gen))
		{
			x->state = REC_CANCELLING;
			s->m->cancels++;
		}
		else
			s->orphans++;
	}
}

/* Cancel every strategy order. */
void
ClobSimCancelAll(ClobSim *s)
{
	int32_t		i;

	for (i = 0; i < s->n_active; i++)
	{
		int32_t		r = s->active[i];

		if (s->rec[r].state == REC_INFLIGHT || s->rec[r].state == REC_LIVE)
			ClobSimRecCancel(s, r);
	}
	s->orphans = 0;
}

/* ext_best below a top level that holds only the strategy's own orders. */
static __attribute__((noinline)) int32_t
ext_best_deeper(const ClobSim *s, int side, int32_t p, int64_t *sz)
{
	const ClobBook *b = &s->book;
	const ClobLevel *lv = side == CLOB_BUY ? b->bids : b->asks;
	int			guard;

	for (guard = 1; guard < EXT_SCAN_LEVELS; guard++)
	{
		int64_t		ext;

		p = side == CLOB_BUY ? ClobBookNextBid(b, p) : ClobBookNextAsk(b, p);
		if ((uint32_t) p > CLOB_PRICE_SCALE)
			break;
		ext = lv[p].size;
		if (s->n_resting > 0)
			ext -= mm_size_at(s, side, p);
		if (ext > 0)
		{
			*sz = ext;
			return p;
		}
	}
	*sz = 0;
	return -1;
}

/*
 * Best price on a side without the strategy's own orders (levels searched:
 * EXT_SCAN_LEVELS); size through *sz.  Inline, the top level only, so that
 * each caller's constant side drops the side tests.
 */
static inline int32_t
ext_best(const ClobSim *s, int side, int64_t *sz)
{
	const ClobBook *b = &s->book;
	int32_t		p = side == CLOB_BUY ? b->best_bid : b->best_ask;

	if ((uint32_t) p <= CLOB_PRICE_SCALE)
	{
		int64_t		ext = (side == CLOB_BUY ? b->bids : b->asks)[p].size;

		if (s->n_resting > 0)
			ext -= mm_size_at(s, side, p);
		if (ext > 0)
		{
			*sz = ext;
			return p;
		}
		return ext_best_deeper(s, side, p, sz);
	}
	*sz = 0;
	return -1;
}

/* ---- signals ---- */

/* Observe the book without our orders as the feed delivered it: fair value, jumps. */
static void
observe_book(ClobSim *s, const FeedMsg *f)
{
	double		mid;

	s->ext_bid = f->bid;
	s->ext_ask = f->ask;
	s->view_mid = f->full_mid;
	if (f->bid < 0 || f->ask < 0)
		return;
	mid = 0.5 * (f->bid + f->ask);
	s->fv = ((double) f->bid * f->asz + (double) f->ask * f->bsz) / (double) (f->asz + f->bsz);
	s->have_fv = true;
	if (s->have_mid && mid != s->ext_mid)
	{
		double		ref = s->mid_ring[(uint32_t) (s->n_sec + MID_RING - JUMP_LOOKBACK_S) % MID_RING];

		if (ref > 0 && fabs(mid - ref) >= s->mm->event_jump_ticks * ClobTickAt((int32_t) mid))
		{
			int64_t		until = s->now + (int64_t) (s->mm->event_cooloff_s * US);

			if (until > s->cool_until)
				s->cool_until = until;
		}
	}
	s->ext_mid = mid;
	s->have_mid = true;
}

/* Observe public prints (taker volume by side, micro-shares) as the feed delivered them. */
static void
observe_prints(ClobSim *s, const FeedMsg *f)
{
	double		d = decay(1.0, (double) (s->now - s->flow_t) / US, s->tau_f);
	double		buy = f->buy_sz / CLOB_SHARE;
	double		sell = f->sell_sz / CLOB_SHARE;

	s->ff = s->ff * d + buy - sell;
	s->fa = s->fa * d + buy + sell;
	s->fn = s->fn * d + f->n_prints;
	s->flow_t = s->now;
}

/* Market data published lat_feed ago reaches the strategy's feed handler. */
static void
feed_deliver(ClobSim *s)
{
	while (s->feed_n > 0 && s->feed[s->feed_head].t + s->lat_feed <= s->now)
	{
		const FeedMsg *f = &s->feed[s->feed_head];
		int32_t		old_bid = s->ext_bid;
		int32_t		old_ask = s->ext_ask;

		s->feed_head = (int32_t) ((uint32_t) (s->feed_head + 1) % FEED_RING);
		s->feed_n--;
		if (f->n_prints > 0)
			observe_prints(s, f);
		observe_book(s, f);
		/* React to prints and to moves of the book without our own orders. */
		if (s->react_t == NEVER && (f->n_prints > 0 || s->ext_bid != old_bid || s->ext_ask != old_ask))
			s->react_t = s->now;
	}
}

/* ---- what reaches the strategy late: reports and market data ---- */

/*
 * Queue a report for the strategy, delivered lat_response from now: a fill
 * (inventory and cash as it knows them change then) or the release of an
 * order the exchange is done with.  A full queue delivers at once.
 */
static void
report_push(ClobSim *s, int32_t rec, bool release, int64_t signed_size, int64_t cash)
{
	ReportMsg  *r;

	if (s->rep_n == REPORT_RING)
	{
		r = &s->report[s->rep_head];
		s->rep_head = (int32_t) ((uint32_t) (s->rep_head + 1) % REPORT_RING);
		s->rep_n--;
		s->rep_due = s->report[s->rep_head].t;
		report_apply(s, r);
	}
	r = &s->report[(uint32_t) (s->rep_head + s->rep_n) % REPORT_RING];
	r->t = s->now + s->lat_response;
	r->rec = rec;
	r->release = release;
	r->signed_size = signed_size;
	r->cash = cash;
	if (s->rep_n++ == 0)
		s->rep_due = r->t;
}

/* The exchange is done with an order (filled, cancelled, rejected): the strategy hears later. */
static void
exch_done(ClobSim *s, int32_t r)
{
	MmRec	   *x = &s->rec[r];

	if (x->book_idx >= 0)
		resting_drop(s, r);
	x->book_idx = -1;
	x->state = REC_DONE;
	report_push(s, r, true, 0, 0);
}

/* A report reaches the strategy. */
static void
report_apply(ClobSim *s, const ReportMsg *r)
{
	if (r->release)
	{
		if (s->rec[r->rec].state == REC_DONE)
			ClobSimRecFree(s, r->rec);
		return;
	}
	open_sums_reset(s);
	s->kq += r->signed_size;
	s->kcash += r->cash;
	rec_known_set(&s->rec[r->rec], s->rec[r->rec].rem_known -
				  (r->signed_size >= 0 ? r->signed_size : -r->signed_size));
	s->fill_flag = true;
}

/*
 * Publish the market as it is now to the strategy's feed, delivered
 * lat_feed later: the book without its orders, the whole-book mid and the
 * print (taker side and size) if there was one.  Nothing is published in a
 * feed outage.  Messages merge when the ring is full.
 */
static void
feed_publish(ClobSim *s, int print_side, int64_t print_size)
{
	FeedMsg    *f;
	int64_t		bsz;
	int64_t		asz;

	if (s->now >= s->feed_gap_lo && s->now < s->feed_gap_hi)
		return;
	if (s->feed_n == FEED_RING)
		f = &s->feed[(uint32_t) (s->feed_head + s->feed_n - 1) % FEED_RING];
	else
	{
		f = &s->feed[(uint32_t) (s->feed_head + s->feed_n) % FEED_RING];
		s->feed_n++;
		f->n_prints = 0;
		f->buy_sz = 0;
		f->sell_sz = 0;
	}
	f->t = s->now;
	f->bid = ext_best(s, CLOB_BUY, &bsz);
	f->ask = ext_best(s, CLOB_SELL, &asz);
	f->bsz = bsz;
	f->asz = asz;
	f->full_mid = s->book.best_bid >= 0 && s->book.best_ask <= CLOB_PRICE_SCALE
		? (s->book.best_bid + s->book.best_ask) / 2 : s->full_mid;
	if (print_size > 0)
	{
		f->n_prints++;
		if (print_side == CLOB_BUY)
			f->buy_sz += (double) print_size;
		else
			f->sell_sz += (double) print_size;
	}
}

/* ---- fills ---- */

/* Keep a fill for the markouts. */
static inline void
record_fill(ClobSim *s, int64_t signed_size, int32_t price, bool maker)
{
	FillRec    *f;

	if (s->n_fills == s->fill_cap)
		return;					/* sized for a fill per event: cannot happen in practice */
	f = &s->fills[s->n_fills++];
	f->t = s->now;
	f->signed_size = signed_size;
	f->price = price;
	f->maker = maker;
}

/* Account one fill of the strategy, as maker or taker. */
static void
account_fill(ClobSim *s, int32_t rec, int side, int32_t price, int64_t size, bool maker)
{
	int64_t		notional = (int64_t) price * size / CLOB_PRICE_SCALE;
	int64_t		signed_size = side == CLOB_BUY ? size : -size;
	int64_t		fee = ClobTakerFee(size, price, s->sc->fee_rate, s->sc->fee_exp);
	double		truth = ClobTapeTruth(s->tape, s->now) * CLOB_PRICE_SCALE;

	int64_t		cash0 = s->cash;

	s->cash += side == CLOB_BUY ? -notional : notional;
	s->q += signed_size;
	s->edge += (double) signed_size * (truth - price) / CLOB_PRICE_SCALE;
	if (maker)
	{
		int64_t		rebate = (int64_t) llround((double) fee * s->sc->rebate_share);

		s->cash += rebate;
		s->rebates += rebate;
		s->vol_maker += (double) notional / CLOB_PUSD;
		s->m->fills_maker++;
		s->m->shares_maker += (double) size / CLOB_SHARE;
	}
	else
	{
		s->cash -= fee;
		s->fees += fee;
		s->vol_taker += (double) notional / CLOB_PUSD;
		s->m->fills_taker++;
	}
	record_fill(s, signed_size, price, maker);
	report_push(s, rec, false, signed_size, s->cash - cash0);
}

/* The book's fill callback. */
static void
on_fill(void *arg, const ClobFill *fill)
{
	ClobSim    *s = arg;

	if (fill->maker->owner == CLOB_OWNER_MM)
	{
		int32_t		r = fill->maker->ref;
		double		truth = ClobTapeTruth(s->tape, s->now) * CLOB_PRICE_SCALE;
		double		e = (double) (fill->maker->side == CLOB_BUY ? fill->size : -fill->size)
			* (truth - fill->price) / CLOB_PRICE_SCALE / CLOB_PUSD;

		if (fill->taker_owner == CLOB_OWNER_INFORMED)
		{
			s->m->edge_vs_informed += e;
			s->m->shares_vs_informed += (double) fill->size / CLOB_SHARE;
		}
		else if (fill->taker_owner == CLOB_OWNER_NOISE)
		{
			s->m->edge_vs_noise += e;
			s->m->shares_vs_noise += (double) fill->size / CLOB_SHARE;
		}
		account_fill(s, r, fill->maker->side, fill->price, fill->size, true);
		s->rec[r].rem -= fill->size;
		s->mm_at[fill->maker->side][fill->price] -= fill->size;
		if (fill->maker_done)
			exch_done(s, r);
	}
	if (fill->taker_owner == CLOB_OWNER_MM)
	{
		account_fill(s, fill->taker_ref, fill->taker_side, fill->price, fill->size, false);
		s->rec[fill->taker_ref].rem -= fill->size;
	}
}

/* ---- exchange side ---- */

/* A strategy order reaches the book. */
static void
arrive_submit(ClobSim *s, MmOp op)
{
	MmRec	   *x = &s->rec[op.rec];
	ClobOrderReq req;
	ClobSubmitResult res;

	if (x->gen != op.gen || x->state == REC_FREE || x->state == REC_DONE)
		return;
	if (x->cancel_on_arrival)
	{
		exch_done(s, op.rec);
		return;
	}
	req.side = x->side;
	req.token = CLOB_YES;
	req.type = x->type;
	req.post_only = x->post_only;
	req.price = x->price;
	req.size = x->size;
	req.expire_us = 0;
	req.owner = CLOB_OWNER_MM;
	req.ref = op.rec;
	ClobBookSubmit(&s->book, &req, s->now, &res);
	if (res.reject != CLOB_OK)
		s->m->rejects[res.reject]++;
	if (res.resting >= 0)
	{
		x->book_idx = res.resting;
		if (x->state == REC_INFLIGHT)
			x->state = REC_LIVE;
		s->resting[s->n_resting++] = op.rec;
		s->n_resting_buy += x->side == CLOB_BUY;
		s->mm_at[x->side][x->price] += x->rem;
	}
	else if (x->state != REC_DONE)
		exch_done(s, op.rec);
	if (res.filled > 0 || s->book.best_bid != s->top_bid || s->book.best_ask != s->top_ask)
	{
		s->top_bid = s->book.best_bid;
		s->top_ask = s->book.best_ask;
		feed_publish(s, x->side, res.filled);
	}
}

/* A strategy cancel reaches the book. */
static void
arrive_cancel(ClobSim *s, MmOp op)
{
	MmRec	   *x = &s->rec[op.rec];
	ClobReject	r;

	if (x->gen != op.gen || x->state != REC_CANCELLING || x->book_idx < 0)
		return;
	r = ClobBookCancel(&s->book, x->book_idx);
	if (r == CLOB_OK)
		exch_done(s, op.rec);
	else
	{
		s->m->rejects[r]++;
		x->state = REC_LIVE;	/* still resting: cancel again later */
		x->layer = -1;
		s->orphans++;
	}
}

/* Switch the exchange phase. */
static void
phase_change(ClobSim *s)
{
	ClobPhase	to = s->phase_to[s->phase_i++];

	s->book.phase = to;
	if (to == CLOB_PHASE_CLOSED)
	{
		int32_t		i;

		/* The exchange cancels every resting order at the close. */
		for (i = s->n_active - 1; i >= 0; i--)
		{
			int32_t		r = s->active[i];

			/* Orders still in flight arrive later and are rejected: the market is closed. */
			if ((s->rec[r].state == REC_LIVE || s->rec[r].state == REC_CANCELLING) && s->rec[r].book_idx >= 0)
			{
				ClobBookRemove(&s->book, s->rec[r].book_idx);
				exch_done(s, r);
			}
		}
	}
	if (s->react_t == NEVER)
		s->react_t = s->now + s->lat_feed;
}

/* Sample mid, equity and inventory at a second boundary. */
static void
sample_second(ClobSim *s)
{
	const ClobBook *b = &s->book;
	double		eq;
	double		inv;
	double		mark;

	if (b->best_bid >= 0 && b->best_ask <= CLOB_PRICE_SCALE)
		s->full_mid = (b->best_bid + b->best_ask) / 2;
	mark = s->full_mid;
	eq = equity_at(s, mark);
	s->mid_s[s->n_sec] = s->full_mid;
	s->eq_s[s->n_sec] = eq;
	s->mid_ring[(uint32_t) s->n_sec % MID_RING] = s->have_mid ? s->ext_mid : 0;
	if (s->n_sec >= VOL_DIFF_S)
	{
		double		m1 = s->mid_ring[(uint32_t) s->n_sec % MID_RING];
		double		m0 = s->mid_ring[(uint32_t) (s->n_sec - VOL_DIFF_S) % MID_RING];

		if (m0 > 0 && m1 > 0)
		{
			double		x = (m1 - m0) * (m1 - m0) / VOL_DIFF_S;

			s->vs = s->a_s * s->vs + (1.0 - s->a_s) * x;
			s->vl = s->a_l * s->vl + (1.0 - s->a_l) * x;
		}
	}
	/* The strategy's own markouts come due: its measure of toxicity. */
	while (s->mk_next < s->n_fills && s->fills[s->mk_next].t + s->hz_us <= s->now)
	{
		const FillRec *f = &s->fills[s->mk_next++];

		if (f->maker)
		{
			double		at_fill = s->mid_s[f->t / US];
			double		move = (s->view_mid - at_fill) / ClobTickAt(s->view_mid);

			s->tox_as = (1.0 - TOX_WEIGHT) * s->tox_as +
				TOX_WEIGHT * (f->signed_size > 0 ? -move : move);
		}
	}
	if (eq > s->peak_eq_s)
		s->peak_eq_s = eq;
	if (s->peak_eq_s - eq > s->max_dd)
		s->max_dd = s->peak_eq_s - eq;
	inv = fabs((double) s->q / CLOB_SHARE * (s->q >= 0 ? mark : CLOB_PRICE_SCALE - mark)
			   / CLOB_PRICE_SCALE);
	s->inv_sum += inv;
	if (inv > s->inv_max)
		s->inv_max = inv;

	if (inv >= s->atcap_inv)
		s->atcap_s++;
	/* The market's spread and depth, every FACTS_EVERY_S seconds (they describe the world, not the trial). */
	if ((uint32_t) s->n_sec % FACTS_EVERY_S == 0)
	{
		int64_t		bsz;
		int64_t		asz;
		int32_t		xb = ext_best(s, CLOB_BUY, &bsz);
		int32_t		xa = ext_best(s, CLOB_SELL, &asz);

		if (xb >= 0 && xa >= 0)
		{
			int32_t		ticks = (xa - xb) / ClobTickAt(xb);

			s->spread_hist[ticks < SPREAD_HIST ? ticks : SPREAD_HIST - 1]++;
			s->depth_sum += (double) (bsz + asz) / CLOB_SHARE;
			s->depth_n++;
		}
	}
	if (s->n_resting_buy > 0 && s->n_resting > s->n_resting_buy)
		s->uptime_s++;
	if (s->killed && s->now < s->kill_until)
		s->m->killed_s += 1.0;
	s->n_sec++;
	s->next_sample += US;
}

/*
 * A noise taker's size given the price it would get: its limit sits
 * noise_slip_ticks beyond the consensus; for each tick the best price on its
 * side lies beyond the tick next to the consensus it trades
 * exp(-noise_elasticity) less (demand that responds to price).  Sizes stay
 * on the 0.01-share grid; below the minimum size it does not trade.
 */
static int64_t
noise_size(const ClobSim *s, const ClobEvent *e, int64_t size)
{
	bool		buy_yes = (e->token == CLOB_YES) == (e->side == CLOB_BUY);
	int32_t		limit = e->token == CLOB_YES ? e->price : CLOB_PRICE_SCALE - e->price;
	int32_t		best = buy_yes ? s->book.best_ask : s->book.best_bid;
	double		ref;
	double		beyond;

	if (best < 0 || best > CLOB_PRICE_SCALE)
		return size;
	ref = buy_yes ? limit - s->noise_slip_units : limit + s->noise_slip_units;
	beyond = (buy_yes ? best - ref : ref - best) / ClobTickAt(best) - 1.0;
	if (beyond <= 0)
		return size;
	size = (int64_t) ((double) size * exp(-s->noise_elast * beyond));
	size -= size % CLOB_SIZE_QUANTUM;
	return size >= s->min_size ? size : 0;
}

/*
 * True when the rest of the window cannot change this seed's results: the
 * strategy is flat (as the exchange and as it knows), has no order alive or
 * in flight and no report pending, can never trade again (switched off past
 * the end, halted before resolution, or the market closed for good), and its
 * last fill is older than the longest markout horizon.
 */
static bool
done_early(const ClobSim *s, int64_t end)
{
	bool		never_again;

	if (s->q != 0 || s->kq != 0 || s->n_active > 0 || s->subq.n > 0 || s->canq.n > 0 || s->rep_n > 0)
		return false;
	if (s->n_fills > 0 && s->fills[s->n_fills - 1].t + MAX_MARKOUT_US > s->now)
		return false;
	never_again = (s->killed && s->kill_until >= end) ||
		(s->res_us - s->now < (int64_t) (s->mm->halt_before_s * US)) ||
		(s->book.phase == CLOB_PHASE_CLOSED && s->phase_i >= s->n_phase);
	return never_again;
}

/*
 * Fill the per-second samples of the seconds an early stop skips: flat, so
 * equity stays at the cash; the mid stays where it was; the switch stays off
 * if it was.
 */
static void
finish_seconds(ClobSim *s, int64_t end)
{
	int32_t		last = (int32_t) ((end + US - 1) / US);
	double		eq = (double) s->cash;

	while (s->n_sec < last)
	{
		s->mid_s[s->n_sec] = s->full_mid;
		s->eq_s[s->n_sec] = eq;
		if (s->killed && s->next_sample < s->kill_until)
			s->m->killed_s += 1.0;
		s->n_sec++;
		s->next_sample += US;
	}
}

/* A tape event reaches the book; true when it printed a trade. */
static bool
play_event(ClobSim *s, const ClobEvent *e)
{
	ClobOrderReq req;
	ClobSubmitResult res;
	ClobBook   *b = &s->book;

	/* Adds and cancels, nine events in ten, first and without a jump table. */
	if (e->type == CLOB_EV_ADD)
	{
		s->add_map[e->aux] = book_add_passive(b, e->side, e->price,
											  (int64_t) e->size_cs * CLOB_SIZE_QUANTUM,
											  CLOB_OWNER_BACKGROUND, e->aux);
		return false;
	}
	if (e->type == CLOB_EV_CANCEL)
	{
		(void) book_cancel_owned(b, s->add_map[e->aux], CLOB_OWNER_BACKGROUND, e->aux);
		return false;
	}
	switch (e->type)
	{
		case CLOB_EV_NOISE:
			req.side = e->side;
			req.token = e->token;
			req.type = CLOB_FAK;
			req.post_only = false;
			req.price = e->price;
			req.owner = CLOB_OWNER_NOISE;
			req.size = (int64_t) e->size_cs * CLOB_SIZE_QUANTUM;
			if (s->noise_elast > 0)
				req.size = noise_size(s, e, req.size);
			if (req.size <= 0)
				return false;
			req.expire_us = 0;
			req.ref = -1;
			goto submit;
		case CLOB_EV_INFORMED:
			if (e->price >= 0 && b->best_ask <= e->price)
			{
				req.side = CLOB_BUY;
				req.price = e->price;
			}
			else if (b->best_bid >= e->aux)
			{
				req.side = CLOB_SELL;
				req.price = e->aux;
			}
			else
				return false;
			req.token = CLOB_YES;
			req.type = CLOB_FAK;
			req.post_only = false;
			req.owner = CLOB_OWNER_INFORMED;
			break;
		default:
			return false;
	}
	req.size = (int64_t) e->size_cs * CLOB_SIZE_QUANTUM;
	req.expire_us = 0;
	req.ref = -1;
submit:
	ClobBookSubmit(b, &req, s->now, &res);
	if (res.filled > 0)
	{
		int			side = req.token == CLOB_NO ? 1 - req.side : req.side;

		if (req.owner == CLOB_OWNER_INFORMED)
			s->m->informed_shares += (double) res.filled / CLOB_SHARE;
		else
			s->m->noise_shares += (double) res.filled / CLOB_SHARE;

		s->print_side = side;
		s->print_size = res.filled;
		return true;
	}
	return false;
}

/* Reset the run state for a tape. */
static bool
run_reset(ClobSim *s, const ClobTape *tape, const ClobMmParams *mm, const ClobPolicy *pol,
		  ClobSeedMetrics *m)
{
	const ClobScenario *sc = &tape->scenario;
	int			i;
	int			k;

	if (!ClobSimReserveTape(s, tape))
		return false;

	ClobBookReset(&s->book);
	s->book.min_size = (int64_t) llround(sc->min_size * CLOB_SHARE);
	s->book.on_fill = on_fill;
	s->book.fill_arg = s;
	s->min_size = s->book.min_size;
	s->noise_elast = sc->noise_elasticity;
	s->noise_slip_units = sc->noise_slip_ticks * CLOB_TICK_COARSE;
	s->n_fills = 0;

	s->tape = tape;
	s->sc = sc;
	s->mm = mm;
	s->pol = pol;
	s->m = m;
	memset(m, 0, sizeof(*m));
	m->kill_time_s = -1;
	m->p0 = tape->p0;
	m->outcome = tape->outcome;
	m->p_end = tape->p_end;
	s->now = 0;
	s->res_us = tape->window_us + (int64_t) llround(sc->resolve_in_s * US);
	if (sc->feed_gap_at_s >= 0 && sc->feed_gap_s > 0)
	{
		s->feed_gap_lo = (int64_t) llround(sc->feed_gap_at_s * US);
		s->feed_gap_hi = s->feed_gap_lo + (int64_t) llround(sc->feed_gap_s * US);
	}
	else
		s->feed_gap_lo = s->feed_gap_hi = NEVER;
	s->lat_feed = (int64_t) llround(sc->lat_feed_ms * 1000.0);
	s->lat_entry = (int64_t) llround(sc->lat_entry_ms * 1000.0);
	s->lat_cancel = (int64_t) llround(sc->lat_cancel_ms * 1000.0);
	s->lat_response = (int64_t) llround(sc->lat_response_ms * 1000.0);
	s->timer_us = (int64_t) mm->requote_interval_ms * 1000;
	s->halt_before_us = (int64_t) (mm->halt_before_s * US);
	s->reduce_only_us = (int64_t) (mm->reduce_only_s * US);
	s->band_lo = mm->price_band_lo * CLOB_PRICE_SCALE;
	s->band_hi = mm->price_band_hi * CLOB_PRICE_SCALE;
	ClobSimGatesSetup(s);
	s->atcap_inv = AT_CAP_FRAC * mm->q_max_pusd;
	if (s->timer_us < 1000)
		s->timer_us = 1000;

	/* mm_at is zero but where the last run left orders resting (the pool starts zeroed). */
	for (i = 0; i < s->n_resting; i++)
		s->mm_at[s->rec[s->resting[i]].side][s->rec[s->resting[i]].price] = 0;
	memset(s->rec, 0, sizeof(s->rec));
	for (i = 0; i < CLOB_MM_RECORDS; i++)
	{
		s->rec[i].next_free = i + 1 < CLOB_MM_RECORDS ? i + 1 : -1;
		s->rec[i].book_idx = -1;
		s->rec[i].layer = -1;
	}
	s->free_rec = 0;
	s->n_active = 0;
	open_sums_reset(s);
	s->ext_bid = -1;
	s->ext_ask = -1;
	for (i = 0; i < 2; i++)
		for (k = 0; k < CLOB_MAX_LAYERS; k++)
			s->quote[i][k] = -1;
	s->n_resting = 0;
	s->n_resting_buy = 0;
	s->orphans = 0;
	s->subq.head = s->subq.n = 0;
	s->subq.due = NEVER;
	s->canq.head = s->canq.n = 0;
	s->canq.due = NEVER;

	s->start_cash = (int64_t) llround(sc->start_cash_pusd * CLOB_PUSD);
	s->cash = s->start_cash;
	s->q = 0;
	s->kcash = s->start_cash;
	s->kq = 0;
	s->feed_head = s->feed_n = 0;
	s->feed_due = NEVER;
	s->rep_head = s->rep_n = 0;
	s->rep_due = NEVER;
	s->print_side = 0;
	s->print_size = 0;
	s->edge = 0;
	s->fees = 0;
	s->rebates = 0;
	s->vol_maker = 0;
	s->vol_taker = 0;

	s->a_s = exp(-M_LN2 / mm->vol_hl_short_s);
	s->a_l = exp(-M_LN2 / mm->vol_hl_long_s);
	s->tox_as = 0;
	s->mk_next = 0;
	s->hz_us = (int64_t) (mm->markout_horizon_s * US);
	s->tau_f = mm->flow_hl_s / M_LN2;
	s->vs = INIT_VOL_RATE;
	s->vl = INIT_VOL_RATE;
	s->ff = s->fa = s->fn = 0;
	s->flow_t = 0;
	s->have_mid = false;
	s->have_fv = false;
	s->ext_mid = 0;
	s->fv = 0;
	for (i = 0; i < MID_RING; i++)
		s->mid_ring[i] = 0;
	s->full_mid = (int32_t) llround(tape->p0 * CLOB_PRICE_SCALE);
	s->view_mid = s->full_mid;

	s->react_t = NEVER;
	s->timer_t = s->timer_us;
	s->seen_ev = tape->events;
	s->seen_n = 0;
	s->cool_until = 0;
	s->killed = false;
	s->kill_until = 0;
	s->peak = (double) s->start_cash;
	s->halt_mask = 0;
	s->tokens = mm->max_orders_per_s;
	s->token_t = 0;
	s->exit_next_t = 0;
	s->fill_flag = false;
	s->top_bid = -1;
	s->top_ask = CLOB_PRICE_SCALE + 1;

	s->n_phase = 0;
	s->phase_i = 0;
	if (sc->restart_at_s >= 0)
	{
		int64_t		t0 = (int64_t) llround(sc->restart_at_s * US);
		int64_t		t1 = t0 + (int64_t) llround(sc->restart_down_s * US);
		int64_t		t2 = t1 + (int64_t) llround(sc->restart_post_only_s * US);

		s->phase_t[s->n_phase] = t0;
		s->phase_to[s->n_phase++] = CLOB_PHASE_RESTART;
		s->phase_t[s->n_phase] = t1;
		s->phase_to[s->n_phase++] = CLOB_PHASE_POST_ONLY;
		s->phase_t[s->n_phase] = t2;
		s->phase_to[s->n_phase++] = CLOB_PHASE_OPEN;
	}
	if (sc->market_close_at_s >= 0)
	{
		int64_t		tc = (int64_t) llround(sc->market_close_at_s * US);

		/* The close wins over a restart still in progress. */
		while (s->n_phase > 0 && s->phase_t[s->n_phase - 1] >= tc)
			s->n_phase--;
		s->phase_t[s->n_phase] = tc;
		s->phase_to[s->n_phase++] = CLOB_PHASE_CLOSED;
	}

	s->next_sample = 0;
	s->n_sec = 0;
	s->peak_eq_s = (double) s->start_cash;
	s->max_dd = 0;
	s->uptime_s = 0;
	s->atcap_s = 0;
	s->inv_sum = 0;
	s->inv_max = 0;
	memset(s->spread_hist, 0, sizeof(s->spread_hist));
	s->depth_sum = 0;
	s->depth_n = 0;
	return true;
}

/* Index of the tape's first event at or after time end (events are in time order). */
static int32_t
tape_end_index(const ClobTape *tape, int64_t end)
{
	int32_t		lo = 0;
	int32_t		hi = tape->n_events;

	while (lo < hi)
	{
		int32_t		mid = lo + (hi - lo) / 2;

		if (tape->events[mid].t_us < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The feed ring's first delivery time, after the ring changed. */
static inline void
feed_due_update(ClobSim *s)
{
	s->feed_due = s->feed_n > 0 ? s->feed[s->feed_head].t + s->lat_feed : NEVER;
}

/*
 * The best bid and the best ask stored side by side (the book's, or the top
 * the feed last published) as one 64-bit key: a move of either changes it.
 */
static inline uint64_t
top_key(const int32_t *bid_then_ask)
{
	uint64_t	key;

	memcpy(&key, bid_then_ask, sizeof(key));
	return key;
}

_Static_assert(offsetof(ClobBook, best_ask) == offsetof(ClobBook, best_bid) + sizeof(int32_t),
			   "top_key reads the book's best bid and ask as one word");
_Static_assert(offsetof(ClobSim, top_ask) == offsetof(ClobSim, top_bid) + sizeof(int32_t),
			   "top_key reads the published top as one word");

/* After a strategy or exchange step: a fill wakes the strategy, the kill switch looks first. */
static inline void
step_fill_check(ClobSim *s)
{
	if (s->fill_flag)
	{
		s->fill_flag = false;
		if (!s->killed)
			(void) kill_check(s);
		if (s->react_t == NEVER)
			s->react_t = s->now;
	}
}

/*
 * True when the events processed (played tape events and counted steps)
 * reached the next poll and a stop has been requested; the next poll is then
 * CLOB_STOP_EVERY events later.
 */
static inline bool
poll_stop(int64_t processed, int64_t *poll_at, const PtStop *stop)
{
	if (processed < *poll_at)
		return false;
	*poll_at = processed + CLOB_STOP_EVERY;
	return PtStopRequested(stop);
}

/* The sampler's or the next phase change's time, whichever is first. */
static inline int64_t
clock_due(const ClobSim *s)
{
	if (s->phase_i < s->n_phase && s->phase_t[s->phase_i] < s->next_sample)
		return s->phase_t[s->phase_i];
	return s->next_sample;
}

/* Play one tape. */
int
ClobSimRun(ClobSim *s, const ClobTape *tape, const ClobMmParams *mm, const ClobPolicy *pol,
		   const PtStop *stop, ClobSeedMetrics *m, PtError *err)
{
	const ClobEvent *ev = tape->events;
	int64_t		end = tape->window_us;
	int32_t		n_end = tape_end_index(tape, end);	/* events played: those before the end */
	const ClobEvent *ev_end = ev + n_end;
	int32_t		i = 0;
	int64_t		te;				/* the next event's time, end when none is left */
	int64_t		t_clock;		/* the sampler or a phase change, whichever is first */
	int64_t		steps = 0;		/* strategy and exchange steps counted as events */
	int64_t		poll_at = CLOB_STOP_EVERY;
	bool		early = false;	/* a sample in a tape run found the rest of the window moot */

	if (!run_reset(s, tape, mm, pol, m))
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory in the backtest replay");
	{
		int32_t		gap_i = tape_end_index(tape, s->feed_gap_lo);	/* the first event in or after the outage */

		s->seen_before_gap = gap_i > 0 ? ev[gap_i - 1].t_us : 0;
	}
	if (pol->force_trip)
		ClobSimKillTrip(s, CLOB_KILL_FORCED);
	te = n_end > 0 ? ev[0].t_us : end;
	t_clock = clock_due(s);

	for (;;)
	{
		int64_t		ts = queue_t(&s->subq);
		int64_t		tc = queue_t(&s->canq);
		int64_t		tf = s->feed_due;
		int64_t		tr = s->rep_due;
		int64_t		t_fixed = t_clock;	/* the next time the tape cannot move */
		int64_t		tx;

		if (tc < t_fixed)
			t_fixed = tc;
		if (ts < t_fixed)
			t_fixed = ts;
		if (s->react_t < t_fixed)
			t_fixed = s->react_t;
		if (s->timer_t < t_fixed)
			t_fixed = s->timer_t;
		tx = t_fixed;
		if (tf < tx)
			tx = tf;
		if (tr < tx)
			tx = tr;

		if (te <= tx)
		{
			const ClobEvent *e = ev + i;

			if (te >= end)
				break;

			/*
			 * The tape's run until the next strategy or exchange time: the
			 * tape changes only the feed and report rings' due times, so tx
			 * stays the next such time, and the step after the run is at tx.
			 */
			for (;;)
			{
				bool		printed;

				s->now = te;
				printed = play_event(s, e);
				e++;

				/*
				 * A report comes only from a fill of the strategy's order,
				 * and a fill prints: it is looked for only then.
				 */
				if (printed || top_key(&s->book.best_bid) != top_key(&s->top_bid))
				{
					s->top_bid = s->book.best_bid;
					s->top_ask = s->book.best_ask;
					feed_publish(s, s->print_side, printed ? s->print_size : 0);
					if (s->feed_due == NEVER)
						feed_due_update(s);
					tx = t_fixed;
					if (s->feed_due < tx)
						tx = s->feed_due;
					if (s->rep_due < tx)
						tx = s->rep_due;
				}
				if (e == ev_end)
				{
					te = end;
					break;
				}
				te = e->t_us;
				if (te > tx)
				{
					/*
					 * A second's sample is the next step: taken here, as
					 * the step would take it (the sampler is first at its
					 * time, the tape has played up to it, no step is
					 * counted), and the run goes on while the tape is
					 * still first.
					 */
					if (tx != s->next_sample || tx != t_clock || tx >= end)
						break;
					s->now = tx;
					sample_second(s);
					t_clock = clock_due(s);
					if (done_early(s, end))
					{
						early = true;
						break;
					}
					t_fixed = t_clock;
					if (queue_t(&s->canq) < t_fixed)
						t_fixed = queue_t(&s->canq);
					if (queue_t(&s->subq) < t_fixed)
						t_fixed = queue_t(&s->subq);
					if (s->react_t < t_fixed)
						t_fixed = s->react_t;
					if (s->timer_t < t_fixed)
						t_fixed = s->timer_t;
					tx = t_fixed;
					if (s->feed_due < tx)
						tx = s->feed_due;
					if (s->rep_due < tx)
						tx = s->rep_due;
					if (te > tx)
						break;
				}
			}
			i = (int32_t) (e - ev);
			s->seen_n = i;
			if (poll_stop(steps + i, &poll_at, stop))
				return PtErrorSet(err, PT_ERR_CANCELLED, "backtest cancelled");
			if (early)
			{
				finish_seconds(s, end);
				m->stopped_early_s = (double) (end - s->now) / US;
				break;
			}
			if (te <= tx)
				break;			/* the tape is played out, and the window is over by tx */
			ts = queue_t(&s->subq);
			tc = queue_t(&s->canq);
			tf = s->feed_due;
			tr = s->rep_due;
		}
		if (tx >= end)
			break;
		s->now = tx;
		if (tx == t_clock)
		{
			if (tx == s->next_sample)
			{
				sample_second(s);
				t_clock = clock_due(s);
				if (done_early(s, end))
				{
					finish_seconds(s, end);
					m->stopped_early_s = (double) (end - s->now) / US;
					break;
				}
				continue;
			}
			phase_change(s);
			t_clock = clock_due(s);
		}
		/*
		 * Operations and reports often come due together: while the next
		 * one is due now and nothing before it in the order is (the clock
		 * and the tape are later), it is the next step.
		 */
		else if (tx == tc)
		{
			do
			{
				arrive_cancel(s, queue_pop(&s->canq));
				step_fill_check(s);
				if (poll_stop(++steps + i, &poll_at, stop))
					return PtErrorSet(err, PT_ERR_CANCELLED, "backtest cancelled");
			} while (s->canq.due == tx);
			continue;
		}
		else if (tx == ts)
		{
			do
			{
				arrive_submit(s, queue_pop(&s->subq));
				if (s->feed_due == NEVER)
					feed_due_update(s);
				step_fill_check(s);
				if (poll_stop(++steps + i, &poll_at, stop))
					return PtErrorSet(err, PT_ERR_CANCELLED, "backtest cancelled");
			} while (s->subq.due == tx && s->canq.due != tx);
			continue;
		}
		else if (tx == tr)
		{
			do
			{
				/* Applying a report pushes none: its slot stays as it is meanwhile. */
				const ReportMsg *r = &s->report[s->rep_head];

				s->rep_head = (uint32_t) (s->rep_head + 1) % REPORT_RING;
				s->rep_n--;
				s->rep_due = s->rep_n > 0 ? s->report[s->rep_head].t : NEVER;
				report_apply(s, r);
				step_fill_check(s);
				if (poll_stop(++steps + i, &poll_at, stop))
					return PtErrorSet(err, PT_ERR_CANCELLED, "backtest cancelled");
			} while (s->rep_due == tx && s->canq.due != tx && s->subq.due != tx);
			continue;
		}
		else if (tx == tf)
		{
			feed_deliver(s);
			feed_due_update(s);

			/*
			 * A reaction asked for now is the next step: whatever else
			 * was due now came first, the feed is delivered up to now,
			 * the tape's next event is later, and without a fill to
			 * handle this step changed nothing else.
			 */
			if (s->react_t == tx && !s->fill_flag)
			{
				if (poll_stop(++steps + i, &poll_at, stop))
					return PtErrorSet(err, PT_ERR_CANCELLED, "backtest cancelled");
				s->react_t = NEVER;
				ClobSimMmAct(s, false);
			}
		}
		else if (tx == s->react_t)
		{
			s->react_t = NEVER;
			ClobSimMmAct(s, false);
		}
		else
		{
			s->timer_t += s->timer_us;
			ClobSimMmAct(s, true);
		}
		step_fill_check(s);
		if (poll_stop(++steps + i, &poll_at, stop))
			return PtErrorSet(err, PT_ERR_CANCELLED, "backtest cancelled");
	}
	s->now = end;
	if (s->n_sec == 0 || s->next_sample <= end)
		sample_second(s);
	m->events = steps + i;
	ClobSimRunFinish(s);
	return PT_OK;
}
