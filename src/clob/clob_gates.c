/*
 * clob_gates.c — the simulator's safety gates and kill switch.
 *
 * Every order the market maker sends passes the policy's gates here, in
 * this order: the gates that refuse every order (signer domain, signature
 * type, builder, jurisdiction: ClobSim.gate_reject, set per run), the token
 * bucket of max_orders_per_s, the exposure guard (clips or refuses orders
 * past per_market_cap_pusd or max_notional_pusd), the balance check.  The
 * kill switch's trip (cancel all, optionally flatten) is here, and each
 * run's gate settings from its policy.  Two checks run at every decision of
 * the market maker and stay inline there, in clob_sim_state.h: the kill
 * switch's check (kill_check) and the market-halt guard (market_halt_mask:
 * restart, market closed, stale feed).
 */
#include <string.h>

#include "clob_sim_state.h"
#include "pt_alloc.h"

#define FLATTEN_TICKS 5

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

/*
 * Set a run's gates from its policy (and the quotes' post-only choice):
 * kill switch thresholds, the halt and post-only rule of each exchange
 * phase, the stale-feed limit, the first gate that refuses every order.
 */
void
ClobSimGatesSetup(ClobSim *s)
{
	const ClobMmParams *mm = s->mm;
	const ClobPolicy *pol = s->pol;
	int			i;

	s->kill_loss = pol->max_loss_pusd * CLOB_PUSD;
	s->kill_drawdown = pol->max_drawdown_pusd * CLOB_PUSD;
	s->stale_us = (int64_t) (pol->halt_on_stale_s * US);
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
	/* Signer, signature type, builder, jurisdiction: checked in this order. */
	s->gate_reject = !pol->domain_ok ? CLOB_REJ_SIGNER_DOMAIN
		: !pol->signature_type_ok ? CLOB_REJ_SIGNATURE_TYPE
		: !pol->builder_ok ? CLOB_REJ_BUILDER
		: !pol->jurisdiction_ok ? CLOB_REJ_JURISDICTION : CLOB_OK;
}

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

/*
 * Send an order through the gates (signer, compliance, rate limit, exposure
 * guard, balance); on success it is in flight and its record is returned.
 */
int32_t
ClobSimSendOrder(ClobSim *s, int side, int32_t price, int64_t size, uint8_t type, bool post_only,
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
		ClobSimRecFree(s, r);
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

/* Trip the kill switch. */
void
ClobSimKillTrip(ClobSim *s, ClobKillReason reason)
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
	ClobSimCancelAll(s);
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
			(void) ClobSimSendOrder(s, side, limit, size, CLOB_FAK, false, -1, true);
	}
}
