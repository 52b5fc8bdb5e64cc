/*
 * clob_sim_finish.c — the end of a replay: settlement and one seed's metrics.
 *
 * Run once per replay after the tape: the inventory settled at the outcome
 * or walked out through the book, PnL split, markouts and adverse selection
 * from the kept fills, the sampler's uptime, inventory and market facts,
 * drawdown and per-minute Sharpe and Sortino, and the invalid-seed checks.
 */
#include <math.h>

#include "clob_sim_state.h"

#define CLOB_ADVERSE_HORIZON_US (60 * US)	/* fixed horizon of adverse_selection_cost */

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
void
ClobSimRunFinish(ClobSim *s)
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
