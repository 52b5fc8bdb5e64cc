/*
 * clob_sim_state.h — the replay context's state, shared by the files of the replay (private to src/clob).
 *
 * The ClobSim struct with its order records, operation queues and the
 * feed and report rings, the constants several files use, and the small
 * helpers they call, kept static inline so that each caller's compiler sees
 * them (the hot ones are inlined into the replay loop and the market maker).
 * The kill switch's check (kill_check) and the market-halt guard
 * (market_halt_mask) are here for that reason: they run at every decision
 * of the market maker; the rest of the gates is in clob_gates.c.
 */
#ifndef PTOPT_CLOB_SIM_STATE_H
#define PTOPT_CLOB_SIM_STATE_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clob_book_ops.h"
#include "clob_sim.h"

#define NEVER INT64_MAX
#define US 1000000LL
#define MID_RING 16
#define FEED_RING 1024				/* market data messages in flight (merged when full) */
#define REPORT_RING 1024			/* fill and release reports in flight */
#define SPREAD_HIST 64				/* spread histogram bins, ticks (last bin: wider) */

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
	 * ClobSimSendOrder's sums over active[0 .. open_n - 1] in list order: notional
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

/* ---- across the files of the replay (clob_sim.c, clob_gates.c, clob_sim_finish.c) ---- */

extern void ClobSimRecFree(ClobSim *s, int32_t r);
extern void ClobSimRecCancel(ClobSim *s, int32_t r);
extern void ClobSimCancelAll(ClobSim *s);
extern int32_t ClobSimSendOrder(ClobSim *s, int side, int32_t price, int64_t size, uint8_t type,
								bool post_only, int layer, bool reducing);
extern void ClobSimGatesSetup(ClobSim *s);
extern void ClobSimKillTrip(ClobSim *s, ClobKillReason reason);
extern void ClobSimMmAct(ClobSim *s, bool timer);
extern void ClobSimRunFinish(ClobSim *s);

/* ---- small helpers, inline in every caller ---- */

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

/* Forget ClobSimSendOrder's sums over the open orders: the list or a record's known size changed. */
static inline void
open_sums_reset(ClobSim *s)
{
	s->open_n = 0;
	s->open_notional[0] = 0;
	s->open_notional[1] = 0;
	s->open_reserved = 0;
}

/* Push an operation; false when the queue is full. */
static inline bool
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

/* Strategy size resting at a price on a side. */
static inline int64_t
mm_size_at(const ClobSim *s, int side, int32_t price)
{
	return s->mm_at[side][price];
}

/* Equity in micro-pUSD at a mark (units). */
static inline double
equity_at(const ClobSim *s, double mark)
{
	return (double) s->cash + (double) s->q * mark / CLOB_PRICE_SCALE;
}

/* Capital an order needs beyond what it frees (micro-pUSD), given position q. */
static inline double
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
		ClobSimKillTrip(s, CLOB_KILL_MAX_LOSS);
	else if (s->peak - eq >= s->kill_drawdown)
		ClobSimKillTrip(s, CLOB_KILL_MAX_DRAWDOWN);
	return s->killed;
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

/* The market-halt guard: the halt reasons in force now (the exchange phase's, a stale feed), 0 if none. */
static inline int
market_halt_mask(const ClobSim *s)
{
	int			mask = s->phase_halt[s->book.phase];

	/* Stale: no market data for halt_on_stale_s as the feed delivers it (lat_feed late). */
	if (s->pol->halt_on_stale && s->now - s->lat_feed - feed_seen_t(s) > s->stale_us)
		mask |= HALT_STALE;
	return mask;
}

/* Decay an accumulator over dt seconds with time constant tau. */
static inline double
decay(double v, double dt, double tau)
{
	return dt <= 0 ? v : v * exp(-dt / tau);
}

#endif							/* PTOPT_CLOB_SIM_STATE_H */
