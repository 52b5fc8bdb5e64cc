/*
 * clob_sim.c — the replay loop and the market maker under test.
 *
 * One pass over a tape, merged in time with the strategy's own clock: its
 * in-flight submits and cancels (entry and cancel latency), its reactions
 * to market data (feed latency) and fills (response latency), its re-quote
 * timer, the exchange's phases and a one-second sampler for the metrics.
 * The strategy (src/clob/README.md, "The replay") sees the book without its own orders,
 * the public prints, and its own fills; it never sees the truth.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "clob_book_ops.h"
#include "clob_sim.h"
#include "pt_alloc.h"

#define NEVER INT64_MAX
#define US 1000000LL
#define FILL_CAP_MIN 4096
#define MID_RING 16
#define VOL_DIFF_S 10				/* volatility from 10 s mid changes (less bid-ask bounce) */
#define VOL_HORIZON_S 60.0			/* sigma is the mid's standard deviation over a minute */
#define TOX_WEIGHT 0.1				/* weight of each fill in the own-markout toxicity */
#define JUMP_LOOKBACK_S 5
#define INIT_VOL_RATE 100.0			/* (0.1 tick)^2 per second, in units^2 */
#define LEAN_MAX_TICKS 3.0			/* fair value leans with the flow by at most this */
#define LEAN_SIGMAS 0.5				/* ... and by half a sigma */
#define SKEW_U_MAX 1.5				/* inventory beyond 1.5 caps skews no further */
#define EXT_SCAN_LEVELS 64			/* levels searched for the book without our orders */
#define AT_CAP_FRAC 0.95
#define FLATTEN_TICKS 5
#define FEED_RING 1024				/* market data messages in flight (merged when full) */
#define REPORT_RING 1024			/* fill and release reports in flight */
#define MAX_MARKOUT_US (300 * US)	/* the longest markout horizon */
#define FACTS_EVERY_S 10			/* sampling period of the market's spread and depth */
#define SPREAD_HIST 64				/* spread histogram bins, ticks (last bin: wider) */
#define CLOB_ADVERSE_HORIZON_US (60 * US)	/* fixed horizon of adverse_selection_cost */

enum
{
	REC_FREE = 0,
	REC_INFLIGHT,
	REC_LIVE,
	REC_CANCELLING,
	REC_DONE					/* gone from the exchange; the strategy learns it at the release */
};

enum
{
	HALT_RESTART = 1,
	HALT_CLOSED = 2,
	HALT_STALE = 4
};

typedef struct MmRec
{
	uint8_t		state;
	uint8_t		side;
	int8_t		layer;			/* quote slot, -1 when detached */
	bool		post_only;
	bool		cancel_on_arrival;
	uint8_t		type;
	int32_t		book_idx;
	int32_t		price;
	int64_t		size;
	int64_t		rem;			/* exchange: size still resting or to fill */
	int64_t		rem_known;		/* strategy: size not yet reported filled */
	double		notional_known;	/* order_notional of rem_known */
	double		coll_known;		/* order_collateral of rem_known with nothing covered */
	uint32_t	gen;
	int32_t		next_free;
	int32_t		act_pos;		/* index in the active list */
} MmRec;

typedef struct MmOp
{
	int64_t		t;
	int32_t		rec;
	uint32_t	gen;
} MmOp;

typedef struct OpQueue
{
	MmOp		op[CLOB_MM_QUEUE];
	int			head;
	int			n;
	int64_t		due;			/* time of the first operation, NEVER when empty */
} OpQueue;

/* Market data as of an exchange time, delivered lat_feed later. */
typedef struct FeedMsg
{
	int64_t		t;				/* exchange time of the newest state merged in */
	int32_t		bid;			/* best prices and sizes without the strategy's orders */
	int32_t		ask;
	int64_t		bsz;
	int64_t		asz;
	int32_t		full_mid;		/* mid of the whole book */
	int32_t		n_prints;
	double		buy_sz;			/* prints merged into this message, micro-shares */
	double		sell_sz;
} FeedMsg;

/* What the strategy learns lat_response after the exchange did it. */
typedef struct ReportMsg
{
	int64_t		t;				/* delivery time */
	int32_t		rec;
	uint8_t		release;		/* true: the order is gone; else a fill */
	int64_t		signed_size;	/* fill: micro-shares, + bought */
	int64_t		cash;			/* fill: micro-pUSD change of cash */
} ReportMsg;

typedef struct FillRec
{
	int64_t		t;
	int64_t		signed_size;	/* micro-shares, + for a buy */
	int32_t		price;
	int32_t		maker;
} FillRec;

struct ClobSim
{
	ClobBook	book;
	int32_t    *add_map;
	int32_t		add_cap;
	FillRec    *fills;
	int32_t		fill_cap;
	int32_t		n_fills;
	int32_t    *mid_s;			/* full-book mid at each second */
	double	   *eq_s;			/* equity (micro-pUSD) at each second */
	int32_t		sec_cap;

	/* the run */
	const ClobTape *tape;
	const ClobScenario *sc;
	const ClobMmParams *mm;
	const ClobPolicy *pol;
	ClobSeedMetrics *m;
	int64_t		now;
	int64_t		res_us;
	int64_t		feed_gap_lo;
	int64_t		feed_gap_hi;
	int64_t		lat_feed;
	int64_t		lat_entry;
	int64_t		lat_cancel;
	int64_t		lat_response;
	int64_t		timer_us;
	int64_t		min_size;
	double		noise_elast;	/* scenario noise_elasticity */
	double		noise_slip_units;	/* noise_slip_ticks in price units */
	/* per-run thresholds in the units they are compared in */
	double		kill_loss;		/* max_loss_pusd in micro-pUSD */
	double		kill_drawdown;	/* max_drawdown_pusd in micro-pUSD */
	int64_t		stale_us;		/* halt_on_stale_s */
	int64_t		halt_before_us;	/* halt_before_s */
	int64_t		reduce_only_us;	/* reduce_only_s */
	double		band_lo;		/* price_band_lo in price units */
	double		band_hi;		/* price_band_hi in price units */
	int			phase_halt[4];	/* halt mask of each exchange phase */
	bool		phase_post_only[4];	/* quotes post-only in each phase */
	double		atcap_inv;		/* AT_CAP_FRAC of q_max_pusd */
	ClobReject	gate_reject;	/* the first policy gate that refuses every order, or CLOB_OK */

	MmRec		rec[CLOB_MM_RECORDS];
	int32_t		free_rec;
	int32_t		quote[2][CLOB_MAX_LAYERS];
	int32_t		resting[CLOB_MM_RECORDS];	/* records with an order in the book */
	int64_t		mm_at[2][CLOB_PRICE_SCALE + 1];	/* the strategy's resting size by side and price */
	int32_t		n_resting;
	int32_t		n_resting_buy;	/* of them, bids */
	int32_t		active[CLOB_MM_RECORDS];	/* records not free */
	int32_t		n_active;
	/*
	 * send_order's sums over active[0 .. open_n - 1] in list order: notional
	 * by side and collateral reserved.  Records are only appended between
	 * two sends unless one is freed or a fill report changes what the
	 * strategy knows; those restart the sums (open_sums_reset).
	 */
	int32_t		open_n;
	double		open_notional[2];
	double		open_reserved;
	int32_t		ext_bid;		/* the book without our orders, as last seen */
	int32_t		ext_ask;
	int32_t		orphans;
	OpQueue		subq;
	OpQueue		canq;

	int64_t		cash;			/* micro-pUSD, YES-space accounting */
	int64_t		q;				/* micro-shares of YES, negative = short (NO) */
	int64_t		kcash;			/* cash as the strategy knows it (reports delivered) */
	int64_t		kq;				/* inventory as the strategy knows it */
	int32_t		view_mid;		/* whole-book mid as the strategy last saw it */
	FeedMsg		feed[FEED_RING];
	int32_t		feed_head;
	int32_t		feed_n;
	int64_t		feed_due;		/* delivery time of the first message, NEVER when none */
	ReportMsg	report[REPORT_RING];
	int32_t		rep_head;
	int32_t		rep_n;
	int64_t		rep_due;		/* delivery time of the first report, NEVER when none */
	int64_t		start_cash;
	double		edge;			/* micro-pUSD */
	int64_t		fees;
	int64_t		rebates;
	double		vol_maker;
	double		vol_taker;

	/* signals */
	double		vs;				/* variance rate (units^2 per s), fast */
	double		vl;				/* and slow */
	double		a_s;			/* per-second decay factors */
	double		a_l;
	double		tox_as;			/* own markout at the horizon, ticks (+ = adverse) */
	int32_t		mk_next;		/* next fill whose markout is due */
	int64_t		hz_us;
	double		ff;
	double		fa;
	double		fn;
	double		tau_f;
	int64_t		flow_t;
	double		ext_mid;
	bool		have_mid;
	double		fv;
	bool		have_fv;
	double		mid_ring[MID_RING];
	int32_t		full_mid;		/* last full-book mid, units */

	/* strategy clock and state */
	int64_t		react_t;
	int64_t		timer_t;
	const ClobEvent *seen_ev;	/* the tape's events; the feed has seen the first seen_n */
	int32_t		seen_n;
	int64_t		seen_before_gap;	/* the last event's time before the feed outage, 0 if none */
	int64_t		cool_until;
	bool		killed;
	int64_t		kill_until;
	double		peak;
	int			halt_mask;
	double		tokens;
	int64_t		token_t;
	int64_t		exit_next_t;
	bool		fill_flag;
	int			print_side;		/* the last tape event's print */
	int64_t		print_size;
	int32_t		top_bid;
	int32_t		top_ask;

	/* exchange phases */
	int64_t		phase_t[4];
	ClobPhase	phase_to[4];
	int			n_phase;
	int			phase_i;

	int64_t		next_sample;
	int32_t		n_sec;
	double		peak_eq_s;
	double		max_dd;
	int64_t		uptime_s;
	int64_t		atcap_s;
	double		inv_sum;
	double		inv_max;
	int32_t		spread_hist[SPREAD_HIST];	/* seconds by external spread in ticks */
	double		depth_sum;
	int32_t		depth_n;
};

static void on_fill(void *arg, const ClobFill *fill);
static void report_apply(ClobSim *s, const ReportMsg *r);

/* Kill reason names. */
const char *
ClobKillReasonName(ClobKillReason reason)
{
	switch (reason)
	{
		case CLOB_KILL_NONE:
			return "none";
		case CLOB_KILL_MAX_LOSS:
			return "max_loss";
		case CLOB_KILL_MAX_DRAWDOWN:
			return "max_drawdown";
		case CLOB_KILL_FORCED:
			return "forced";
	}
	return "unknown";
}

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

/* The default policy. */
void
ClobPolicyDefault(ClobPolicy *p)
{
	memset(p, 0, sizeof(*p));
	p->max_loss_pusd = 250;
	p->max_drawdown_pusd = 250;
	p->cooldown_s = 3600;
	p->force_trip = false;
	p->flatten_on_trip = false;
	p->max_notional_pusd = 5000;
	p->per_market_cap_pusd = 800;
	p->jurisdiction_ok = true;
	p->builder_ok = true;
	p->halt_on_restart = true;
	p->halt_on_closed = true;
	p->halt_on_stale = true;
	p->halt_on_stale_s = 10;
	p->domain_ok = true;
	p->signature_type_ok = true;
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

/* ---- strategy order records ---- */

/* Take a free record, or -1. */
static int32_t
rec_alloc(ClobSim *s)
{
	int32_t		r = s->free_rec;

	if (r < 0)
		return -1;
	s->free_rec = s->rec[r].next_free;
	s->rec[r].act_pos = s->n_active;
	s->active[s->n_active++] = r;
	s->rec[r].gen++;
	s->rec[r].book_idx = -1;
	s->rec[r].layer = -1;
	s->rec[r].cancel_on_arrival = false;
	return r;
}

/* Forget a record's resting order. */
static inline void
resting_drop(ClobSim *s, int32_t r)
{
	int			i;

	for (i = 0; i < s->n_resting; i++)
		if (s->resting[i] == r)
		{
			s->mm_at[s->rec[r].side][s->rec[r].price] -= s->rec[r].rem;
			s->n_resting_buy -= s->rec[r].side == CLOB_BUY;
			s->resting[i] = s->resting[--s->n_resting];
			return;
		}
}

/* Forget send_order's sums over the open orders: the list or a record's known size changed. */
static inline void
open_sums_reset(ClobSim *s)
{
	s->open_n = 0;
	s->open_notional[0] = 0;
	s->open_notional[1] = 0;
	s->open_reserved = 0;
}

/* Return a record to the free list and detach it from its slot. */
static void
rec_free(ClobSim *s, int32_t r)
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

/* Push an operation; false when the queue is full. */
static bool
queue_push(OpQueue *q, int64_t t, int32_t rec, uint32_t gen)
{
	MmOp	   *op;

	if (q->n == CLOB_MM_QUEUE)
		return false;
	op = &q->op[(uint32_t) (q->head + q->n) % CLOB_MM_QUEUE];
	op->t = t;
	op->rec = rec;
	op->gen = gen;
	if (q->n++ == 0)
		q->due = t;
	return true;
}

/* Time of the first queued operation. */
static inline int64_t
queue_t(const OpQueue *q)
{
	return q->due;
}

/* Pop the first queued operation. */
static inline MmOp
queue_pop(OpQueue *q)
{
	MmOp		op = q->op[q->head];

	q->head = (uint32_t) (q->head + 1) % CLOB_MM_QUEUE;
	q->n--;
	q->due = q->n > 0 ? q->op[q->head].t : NEVER;
	return op;
}

/* Ask for a record's order to go: a cancel in flight, or a drop on arrival. */
static void
rec_cancel(ClobSim *s, int32_t r)
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
static void
cancel_all(ClobSim *s)
{
	int32_t		i;

	for (i = 0; i < s->n_active; i++)
	{
		int32_t		r = s->active[i];

		if (s->rec[r].state == REC_INFLIGHT || s->rec[r].state == REC_LIVE)
			rec_cancel(s, r);
	}
	s->orphans = 0;
}

/* Strategy size resting at a price on a side. */
static int64_t
mm_size_at(const ClobSim *s, int side, int32_t price)
{
	return s->mm_at[side][price];
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

/* Equity in micro-pUSD at a mark (units). */
static inline double
equity_at(const ClobSim *s, double mark)
{
	return (double) s->cash + (double) s->q * mark / CLOB_PRICE_SCALE;
}

/* Capital an order needs beyond what it frees (micro-pUSD), given position q. */
static double
order_collateral(int side, int32_t price, int64_t size, int64_t q)
{
	if (side == CLOB_BUY)
	{
		int64_t		covered = q < 0 ? (-q < size ? -q : size) : 0;

		return (double) (size - covered) * price / CLOB_PRICE_SCALE;
	}
	else
	{
		int64_t		covered = q > 0 ? (q < size ? q : size) : 0;

		return (double) (size - covered) * (CLOB_PRICE_SCALE - price) / CLOB_PRICE_SCALE;
	}
}

/* Notional at risk of an order (pUSD): cost of the token it buys. */
static inline double
order_notional(int side, int32_t price, int64_t size)
{
	double		p = (double) price / CLOB_PRICE_SCALE;

	return (double) size / CLOB_SHARE * (side == CLOB_BUY ? p : 1.0 - p);
}

/* Set what the strategy knows is left of an order, with its notional and uncovered collateral. */
static inline void
rec_known_set(MmRec *x, int64_t rem_known)
{
	x->rem_known = rem_known;
	x->notional_known = order_notional(x->side, x->price, rem_known);
	x->coll_known = order_collateral(x->side, x->price, rem_known, 0);
}

/*
 * Send an order through the gates (signer, compliance, rate limit, exposure
 * guard, balance); on success it is in flight and its record is returned.
 */
static int32_t
send_order(ClobSim *s, int side, int32_t price, int64_t size, uint8_t type, bool post_only,
		   int layer, bool reducing)
{
	const ClobPolicy *pol = s->pol;
	ClobSeedMetrics *m = s->m;
	double		mark = s->view_mid;
	double		open_notional[2];
	double		reserved;
	int32_t		r;
	int			i;

	if (s->gate_reject != CLOB_OK)
	{
		m->rejects[s->gate_reject]++;
		return -1;
	}
	if (s->mm->max_orders_per_s > 0)
	{
		double		cap = s->mm->max_orders_per_s;

		s->tokens += (double) (s->now - s->token_t) / US * cap;
		if (s->tokens > cap)
			s->tokens = cap;
		s->token_t = s->now;
		if (s->tokens < 1.0)
		{
			m->rejects[CLOB_REJ_RATE_LIMIT]++;
			return -1;
		}
	}

	/*
	 * Open orders as the strategy knows them: notional by side, collateral
	 * reserved, summed in list order; the records appended since the last
	 * send continue the sums (the same additions in the same order).
	 */
	open_notional[0] = s->open_notional[0];
	open_notional[1] = s->open_notional[1];
	reserved = s->open_reserved;
	for (i = s->open_n; i < s->n_active; i++)
	{
		const MmRec *x = &s->rec[s->active[i]];

		open_notional[x->side] += x->notional_known;
		/* Only a position on the other side covers part of an order. */
		if (x->side == CLOB_BUY ? s->kq < 0 : s->kq > 0)
			reserved += order_collateral(x->side, x->price, x->rem_known, s->kq);
		else
			reserved += x->coll_known;
	}
	s->open_n = s->n_active;
	s->open_notional[0] = open_notional[0];
	s->open_notional[1] = open_notional[1];
	s->open_reserved = reserved;

	/* Exposure guard: orders that add risk must fit under both caps. */
	if (!reducing)
	{
		double		pos = s->kq >= 0 ? (double) s->kq / CLOB_SHARE * mark / CLOB_PRICE_SCALE
			: (double) -s->kq / CLOB_SHARE * (1.0 - mark / CLOB_PRICE_SCALE);
		double		open_all = open_notional[0] + open_notional[1];
		double		open_side = open_notional[side];
		double		room;
		double		per_share = order_notional(side, price, CLOB_SHARE);
		room = pol->per_market_cap_pusd - pos - open_side;
		if (pol->max_notional_pusd - pos - open_all < room)
			room = pol->max_notional_pusd - pos - open_all;
		if (per_share > 0 && room < order_notional(side, price, size))
		{
			int64_t		fit = room <= 0 ? 0 : (int64_t) (room / per_share * CLOB_SHARE);

			fit -= fit % CLOB_SIZE_QUANTUM;
			if (fit < s->min_size)
			{
				m->rejects[CLOB_REJ_EXPOSURE]++;
				return -1;
			}
			size = fit;
		}
		{
			double		side_total = pos + open_side + order_notional(side, price, size);
			double		all_total = pos + open_all + order_notional(side, price, size);

			if (side_total > m->exposure_side_peak)
				m->exposure_side_peak = side_total;
			if (all_total > m->exposure_total_peak)
				m->exposure_total_peak = all_total;
		}
	}

	/* Balance: cash less NO collateral, less what open orders reserve. */
	{
		double		avail = (double) s->kcash - (double) (s->kq < 0 ? -s->kq : 0) - reserved;

		if (avail < order_collateral(side, price, size, s->kq))
		{
			/* Size down to the cash left; refuse what cannot fit at the minimum size. */
			int64_t		covered = side == CLOB_BUY ? (s->kq < 0 ? -s->kq : 0) : (s->kq > 0 ? s->kq : 0);
			double		per_share = (double) (side == CLOB_BUY ? price : CLOB_PRICE_SCALE - price)
				/ CLOB_PRICE_SCALE;
			int64_t		fit = covered;

			if (avail > 0)
				fit += (int64_t) (avail / per_share);
			if (fit > size)
				fit = size;
			fit -= fit % CLOB_SIZE_QUANTUM;
			if (fit < s->min_size || avail < order_collateral(side, price, fit, s->kq))
			{
				m->rejects[CLOB_REJ_BALANCE]++;
				return -1;
			}
			size = fit;
		}
	}

	r = rec_alloc(s);
	if (r < 0)
		return -1;
	if (s->killed && !reducing)
		m->orders_while_killed++;
	if (!queue_push(&s->subq, s->now + s->lat_entry, r, s->rec[r].gen))
	{
		rec_free(s, r);
		m->rejects[CLOB_REJ_RATE_LIMIT]++;
		return -1;
	}
	if (s->mm->max_orders_per_s > 0)
		s->tokens -= 1.0;
	s->rec[r].state = REC_INFLIGHT;
	s->rec[r].side = (uint8_t) side;
	s->rec[r].layer = (int8_t) layer;
	s->rec[r].price = price;
	s->rec[r].size = size;
	s->rec[r].rem = size;
	rec_known_set(&s->rec[r], size);
	s->rec[r].type = type;
	s->rec[r].post_only = post_only;
	m->orders++;
	if (type == CLOB_GTC)
		m->shares_quoted += (double) size / CLOB_SHARE;
	if (layer >= 0)
		s->quote[side][layer] = r;
	return r;
}

/* ---- signals ---- */

/* Decay an accumulator over dt seconds with time constant tau. */
static inline double
decay(double v, double dt, double tau)
{
	return dt <= 0 ? v : v * exp(-dt / tau);
}

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

/* ---- kill switch ---- */

/* Trip the kill switch. */
static void
kill_trip(ClobSim *s, ClobKillReason reason)
{
	ClobSeedMetrics *m = s->m;

	if (m->kill_trips == 0)
	{
		m->kill_time_s = (double) s->now / US;
		m->kill_reason = reason;
	}
	m->kill_trips++;
	s->killed = true;
	s->kill_until = s->now + (int64_t) (s->pol->cooldown_s * US);
	{
		int32_t		i;

		for (i = 0; i < s->n_active; i++)
			if (s->rec[s->active[i]].state == REC_INFLIGHT || s->rec[s->active[i]].state == REC_LIVE)
				m->kill_cancelled++;
	}
	cancel_all(s);
	if (s->pol->flatten_on_trip && s->kq != 0 && s->book.phase == CLOB_PHASE_OPEN)
	{
		int			side = s->kq > 0 ? CLOB_SELL : CLOB_BUY;
		int64_t		size = s->kq > 0 ? s->kq : -s->kq;
		int32_t		limit;

		size -= size % CLOB_SIZE_QUANTUM;
		if (side == CLOB_SELL)
			limit = ClobPriceFloor(s->view_mid - FLATTEN_TICKS * CLOB_TICK_COARSE);
		else
			limit = ClobPriceCeil(s->view_mid + FLATTEN_TICKS * CLOB_TICK_COARSE);
		if (size >= s->min_size)
			(void) send_order(s, side, limit, size, CLOB_FAK, false, -1, true);
	}
}

/* Check the kill switch against equity at the current mark. */
static inline bool
kill_check(ClobSim *s)
{
	double		eq = (double) s->kcash + (double) s->kq * s->view_mid / CLOB_PRICE_SCALE;

	if (s->killed)
	{
		if (s->now < s->kill_until)
			return true;
		s->killed = false;
		s->peak = eq;
	}
	if (eq > s->peak)
		s->peak = eq;
	if ((double) s->start_cash - eq >= s->kill_loss)
		kill_trip(s, CLOB_KILL_MAX_LOSS);
	else if (s->peak - eq >= s->kill_drawdown)
		kill_trip(s, CLOB_KILL_MAX_DRAWDOWN);
	return s->killed;
}

/* ---- the market maker ---- */

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
			rec_cancel(s, r);
		}
		if (size[k] > 0)
			(void) send_order(s, side, price[k], size[k], CLOB_GTC, post_only, k, false);
	}
}

/*
 * The feed's last market data time: the newest event played so far outside
 * the feed outage (events are in time order: when the newest played is in
 * the outage, that is the last one before the outage), 0 if none.
 */
static inline int64_t
feed_seen_t(const ClobSim *s)
{
	int64_t		t;

	if (s->seen_n == 0)
		return 0;
	t = s->seen_ev[s->seen_n - 1].t_us;
	if (t < s->feed_gap_lo || t >= s->feed_gap_hi)
		return t;
	return s->seen_before_gap;
}

/* One decision of the strategy: halts, targets, quotes, taker exit. */
static void
mm_act(ClobSim *s, bool timer)
{
	const ClobMmParams *mm = s->mm;
	const ClobPolicy *pol = s->pol;
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

	mask = s->phase_halt[s->book.phase];
	post_only = s->phase_post_only[s->book.phase];
	/* Stale: no market data for halt_on_stale_s as the feed delivers it (lat_feed late). */
	if (pol->halt_on_stale && s->now - s->lat_feed - feed_seen_t(s) > s->stale_us)
		mask |= HALT_STALE;
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
				rec_cancel(s, s->active[i]);
	}

	if (mask != 0 || ttr < s->halt_before_us || s->now < s->cool_until ||
		!s->have_fv)
	{
		cancel_all(s);
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
				(void) send_order(s, side, limit, sz, CLOB_FAK, false, -1, true);
			s->exit_next_t = s->now + (s->timer_us > US ? s->timer_us : US);
		}
	}

	reconcile_side(s, CLOB_BUY, bid_px, bid_sz, timer, post_only, tick);
	reconcile_side(s, CLOB_SELL, ask_px, ask_sz, timer, post_only, tick);
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
			rec_free(s, r->rec);
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
	s->kill_loss = pol->max_loss_pusd * CLOB_PUSD;
	s->kill_drawdown = pol->max_drawdown_pusd * CLOB_PUSD;
	s->stale_us = (int64_t) (pol->halt_on_stale_s * US);
	s->halt_before_us = (int64_t) (mm->halt_before_s * US);
	s->reduce_only_us = (int64_t) (mm->reduce_only_s * US);
	s->band_lo = mm->price_band_lo * CLOB_PRICE_SCALE;
	s->band_hi = mm->price_band_hi * CLOB_PRICE_SCALE;
	for (i = 0; i < 4; i++)
	{
		s->phase_halt[i] = 0;
		s->phase_post_only[i] = mm->post_only;
	}
	if (pol->halt_on_restart)
	{
		s->phase_halt[CLOB_PHASE_RESTART] |= HALT_RESTART;
		s->phase_post_only[CLOB_PHASE_POST_ONLY] = true;
	}
	if (pol->halt_on_closed)
		s->phase_halt[CLOB_PHASE_CLOSED] |= HALT_CLOSED;
	s->atcap_inv = AT_CAP_FRAC * mm->q_max_pusd;
	/* Signer, signature type, builder, jurisdiction: checked in this order. */
	s->gate_reject = !pol->domain_ok ? CLOB_REJ_SIGNER_DOMAIN
		: !pol->signature_type_ok ? CLOB_REJ_SIGNATURE_TYPE
		: !pol->builder_ok ? CLOB_REJ_BUILDER
		: !pol->jurisdiction_ok ? CLOB_REJ_JURISDICTION : CLOB_OK;
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

/* Mid at a time from the per-second samples (the sample at or after it). */
static inline double
mid_at(const ClobSim *s, int64_t t)
{
	int64_t		i = (t + US - 1) / US;

	if (i >= s->n_sec)
		i = s->n_sec - 1;
	if (i < 0)
		i = 0;
	return s->mid_s[i];
}

/*
 * What the inventory fetches at the end of the window, in micro-pUSD: sell
 * YES into the bids (or buy it back from the asks for a short) level by level
 * as a taker, paying the taker fee, in the book without the strategy's own
 * orders.  Shares beyond the book's depth fetch nothing (a long) or cost
 * 1 pUSD each (a short).  Negative for a short.
 */
static int64_t
walk_exit_value(const ClobSim *s)
{
	const ClobBook *b = &s->book;
	int			side = s->q > 0 ? CLOB_BUY : CLOB_SELL;	/* the side we hit */
	int64_t		left = s->q > 0 ? s->q : -s->q;
	int64_t		value = 0;
	int32_t		p = side == CLOB_BUY ? b->best_bid : b->best_ask;

	while (left > 0 && p >= 0 && p <= CLOB_PRICE_SCALE)
	{
		int64_t		avail = (side == CLOB_BUY ? b->bids[p].size : b->asks[p].size)
			- (s->n_resting > 0 ? mm_size_at(s, side, p) : 0);
		int64_t		take = avail < left ? avail : left;

		if (take > 0)
		{
			int64_t		notional = (int64_t) p * take / CLOB_PRICE_SCALE;
			int64_t		fee = ClobTakerFee(take, p, s->sc->fee_rate, s->sc->fee_exp);

			value += side == CLOB_BUY ? notional - fee : -(notional + fee);
			left -= take;
		}
		p = side == CLOB_BUY ? ClobBookNextBid(b, p) : ClobBookNextAsk(b, p);
	}
	if (left > 0 && side == CLOB_SELL)
		value -= left;			/* 1 pUSD a share: left micro-shares = left micro-pUSD */
	return value;
}

/* Turn the run's accumulators into metrics. */
static void
run_finish(ClobSim *s)
{
	static const double horizons[CLOB_N_MARKOUTS] = {1, 10, 60, 300};
	ClobSeedMetrics *m = s->m;
	const ClobTape *tape = s->tape;
	double		settle;
	double		total_shares = 0;
	double		mk[CLOB_N_MARKOUTS] = {0};
	double		adverse = 0;
	int32_t		i;
	int			h;
	int32_t		n_min;
	double		sum = 0;
	double		sum2 = 0;
	double		down2 = 0;

	/*
	 * Settle: at the outcome when the window ends at resolution; otherwise
	 * what the inventory fetches by walking the book as a taker.
	 */
	if (s->sc->resolve_in_s <= 0)
	{
		settle = tape->outcome ? 1.0 : 0.0;
		s->cash += (int64_t) llround((double) s->q * settle);
	}
	else
	{
		int64_t		exit_value = walk_exit_value(s);

		m->exit_cost = ((double) s->q * tape->p_end - (double) exit_value) / CLOB_PUSD;
		s->cash += exit_value;
	}
	m->end_inventory_shares = (double) s->q / CLOB_SHARE;
	m->start_cash = (double) s->start_cash / CLOB_PUSD;
	m->net_pnl = (double) (s->cash - s->start_cash) / CLOB_PUSD;
	m->edge_pnl = s->edge / CLOB_PUSD;
	m->fees_paid = (double) s->fees / CLOB_PUSD;
	m->rebates = (double) s->rebates / CLOB_PUSD;
	m->inventory_pnl = m->net_pnl - m->edge_pnl - m->rebates + m->fees_paid;
	m->volume_maker = s->vol_maker;
	m->volume_taker = s->vol_taker;
	m->fill_rate = m->shares_quoted > 0 ? m->shares_maker / m->shares_quoted : 0;
	if (m->fill_rate > 1)
		m->fill_rate = 1;

	for (i = 0; i < s->n_fills; i++)
	{
		const FillRec *f = &s->fills[i];
		double		sz = (double) f->signed_size / CLOB_SHARE;

		total_shares += fabs(sz);
		for (h = 0; h < CLOB_N_MARKOUTS; h++)
			mk[h] += sz * (mid_at(s, f->t + (int64_t) (horizons[h] * US)) - f->price);
		if (f->maker)
			adverse -= sz * (mid_at(s, f->t + CLOB_ADVERSE_HORIZON_US) - s->mid_s[f->t / US]);
	}
	for (h = 0; h < CLOB_N_MARKOUTS; h++)
		m->markout[h] = total_shares > 0 ? mk[h] / total_shares / CLOB_PRICE_SCALE : 0;
	m->adverse_selection_cost = adverse / CLOB_PRICE_SCALE;

	m->top_depth_mean = s->depth_n > 0 ? s->depth_sum / s->depth_n : 0;
	{
		int32_t		seen = 0;

		for (h = 0; h < SPREAD_HIST; h++)
		{
			seen += s->spread_hist[h];
			if (2 * seen >= s->depth_n && s->depth_n > 0)
			{
				m->spread_ticks_median = h;
				break;
			}
		}
	}
	m->quote_uptime = s->n_sec > 0 ? (double) s->uptime_s / s->n_sec : 0;
	m->inventory_mean = s->n_sec > 0 ? s->inv_sum / s->n_sec : 0;
	m->inventory_max = s->inv_max;
	m->time_at_cap = s->n_sec > 0 ? (double) s->atcap_s / s->n_sec : 0;

	/* Final equity point, then drawdown and per-minute ratios. */
	if ((double) s->cash > s->peak_eq_s)
		s->peak_eq_s = (double) s->cash;
	if (s->peak_eq_s - (double) s->cash > s->max_dd)
		s->max_dd = s->peak_eq_s - (double) s->cash;
	m->max_drawdown = s->max_dd / CLOB_PUSD;
	n_min = (s->n_sec - 1) / 60;
	for (i = 0; i < n_min; i++)
	{
		double		next = i + 1 == n_min ? (double) s->cash : s->eq_s[(i + 1) * 60];
		double		d = (next - s->eq_s[i * 60]) / CLOB_PUSD;

		sum += d;
		sum2 += d * d;
		if (d < 0)
			down2 += d * d;
	}
	if (n_min > 1)
	{
		double		mean = sum / n_min;
		double		var = sum2 / n_min - mean * mean;

		m->sharpe = var > 1e-18 ? mean / sqrt(var) * sqrt((double) n_min) : 0;
		m->sortino = down2 > 1e-18 ? mean / sqrt(down2 / n_min) * sqrt((double) n_min) : 0;
	}
	m->return_over_mdd = m->net_pnl / (m->max_drawdown > 1.0 ? m->max_drawdown : 1.0);
	if (s->cash < 0)
	{
		m->invalid = true;
		m->invalid_reason = "cash went negative";
	}
	else if (!isfinite(m->net_pnl) || !isfinite(m->edge_pnl))
	{
		m->invalid = true;
		m->invalid_reason = "a metric is not a number";
	}
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
		kill_trip(s, CLOB_KILL_FORCED);
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
				mm_act(s, false);
			}
		}
		else if (tx == s->react_t)
		{
			s->react_t = NEVER;
			mm_act(s, false);
		}
		else
		{
			s->timer_t += s->timer_us;
			mm_act(s, true);
		}
		step_fill_check(s);
		if (poll_stop(++steps + i, &poll_at, stop))
			return PtErrorSet(err, PT_ERR_CANCELLED, "backtest cancelled");
	}
	s->now = end;
	if (s->n_sec == 0 || s->next_sample <= end)
		sample_second(s);
	m->events = steps + i;
	run_finish(s);
	return PT_OK;
}
