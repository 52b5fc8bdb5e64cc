/*
 * clob_sim.h — replaying a world against the book with the market maker in it.
 *
 * Internal to src/clob (tests drive it directly).  ClobSimRun plays one tape:
 * exogenous events, the strategy's order entry and cancel latencies, the
 * exchange phases (restart, close), the gates of the policy, and the
 * accounting that becomes one seed's metrics.  A ClobSim holds every buffer
 * the replay needs, sized once; the replay itself allocates nothing.
 */
#ifndef PTOPT_CLOB_SIM_H
#define PTOPT_CLOB_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "clob_book.h"
#include "clob_world.h"
#include "pt_error.h"
#include "pt_stop.h"

#define CLOB_MAX_LAYERS 5
#define CLOB_MM_RECORDS 64			/* strategy orders alive or in flight */
#define CLOB_MM_QUEUE 128			/* in-flight submits / cancels */
#define CLOB_N_MARKOUTS 4			/* 1, 10, 60, 300 s */
#define CLOB_STOP_EVERY 4096		/* events between stop polls */

/* The tunable parameters, decoded (src/clob/README.md, "The replay"). */
typedef struct ClobMmParams
{
	int			half_spread_min_ticks;
	double		c_vol;
	double		c_tox;
	double		gamma_skew;
	double		base_size_pusd;
	int			layers;
	int			layer_step_ticks;
	int			reprice_ticks;
	double		resize_frac;
	int			min_edge_ticks;
	int			requote_interval_ms;
	bool		post_only;
	double		vol_hl_short_s;
	double		vol_hl_long_s;
	double		flow_hl_s;
	double		markout_horizon_s;
	int			event_jump_ticks;
	double		event_cooloff_s;
	double		trend_flow_z;
	double		q_max_pusd;
	double		q_soft_frac;
	double		price_band_lo;
	double		price_band_hi;
	double		reduce_only_s;
	double		halt_before_s;
	bool		allow_taker_exit;
	int			max_orders_per_s;
} ClobMmParams;

/* The hard-gated settings, decoded from the policy snapshot. */
typedef struct ClobPolicy
{
	double		max_loss_pusd;
	double		max_drawdown_pusd;
	double		cooldown_s;
	bool		force_trip;
	bool		flatten_on_trip;
	double		max_notional_pusd;
	double		per_market_cap_pusd;
	bool		jurisdiction_ok;	/* the market's jurisdiction is allowed */
	bool		builder_ok;		/* the signer's builder code is allowed */
	bool		halt_on_restart;
	bool		halt_on_closed;
	bool		halt_on_stale;
	double		halt_on_stale_s;
	bool		domain_ok;		/* EIP-712 domain version is "2" */
	bool		signature_type_ok;
} ClobPolicy;

typedef enum ClobKillReason
{
	CLOB_KILL_NONE = 0,
	CLOB_KILL_MAX_LOSS,
	CLOB_KILL_MAX_DRAWDOWN,
	CLOB_KILL_FORCED
} ClobKillReason;

/* One seed's results. */
typedef struct ClobSeedMetrics
{
	double		net_pnl;		/* pUSD */
	double		edge_pnl;		/* fills against the truth at fill time */
	double		inventory_pnl;	/* the rest of the trading PnL */
	double		fees_paid;
	double		rebates;
	double		volume_maker;	/* pUSD notional */
	double		volume_taker;
	int64_t		orders;
	int64_t		cancels;
	int64_t		rejects[CLOB_REJ_COUNT];
	int64_t		fills_maker;
	int64_t		fills_taker;
	double		shares_maker;
	double		shares_quoted;
	double		fill_rate;		/* maker shares filled / shares quoted */
	double		quote_uptime;	/* share of seconds with a bid and an ask resting */
	double		markout[CLOB_N_MARKOUTS];	/* pUSD per share, by horizon */
	double		adverse_selection_cost; /* pUSD, maker fills, mid move over a fixed 60 s */
	double		exit_cost;		/* pUSD: end inventory at the truth less what walking the book fetched */
	double		inventory_mean; /* pUSD notional, time average of |q| */
	double		inventory_max;
	double		exposure_side_peak; /* position + same-side orders at each send, pUSD */
	double		exposure_total_peak;	/* position + all orders at each send, pUSD */
	double		time_at_cap;	/* share of seconds at >= 95% of q_max */
	double		max_drawdown;	/* pUSD */
	double		sharpe;			/* per-minute PnL, scaled to the window */
	double		sortino;
	double		return_over_mdd;
	int			kill_trips;
	double		kill_time_s;	/* first trip, -1 when none */
	ClobKillReason kill_reason; /* first trip */
	int64_t		kill_cancelled; /* strategy orders cancelled by trips */
	int64_t		orders_while_killed;	/* quotes sent while off (a guard check: 0) */
	double		killed_s;		/* seconds spent switched off */
	int			halts_seen;
	double		end_inventory_shares;
	double		start_cash;
	bool		invalid;
	const char *invalid_reason;
	int64_t		events;			/* events processed (tape, strategy, exchange) */
	double		stopped_early_s;	/* window seconds skipped: flat and unable to trade again */
	/* stylized facts of the market (without the strategy's orders) */
	double		spread_ticks_median;	/* per-second samples of the external spread */
	double		top_depth_mean; /* shares at the external best bid plus best ask */
	double		noise_shares;	/* taker shares filled, by kind of taker */
	double		informed_shares;
	double		edge_vs_noise;	/* the maker's edge at the fill (pUSD) against noise takers */
	double		edge_vs_informed;	/* ... and against informed takers */
	double		shares_vs_noise;
	double		shares_vs_informed;
	double		p0;
	int			outcome;
	double		p_end;
} ClobSeedMetrics;

typedef struct ClobSim ClobSim;

/* Decode parameter values (table order of ClobTunableParams) into params. */
extern void ClobMmParamsFromValues(const double *values, ClobMmParams *params);

/* The default policy (every gate at its default). */
extern void ClobPolicyDefault(ClobPolicy *policy);

/* A replay context able to play tapes of up to n_adds adds / max_live background orders. */
extern ClobSim *ClobSimCreate(int32_t n_adds, int32_t max_live);

/* Grow a replay context for a larger tape; false when out of memory. */
extern bool ClobSimReserve(ClobSim *sim, int32_t n_adds, int32_t max_live);

/*
 * Make room for one tape (its seconds, its adds and background orders, its
 * fills): a ClobSimRun of that tape then makes no allocation call.  False
 * when out of memory.
 */
extern bool ClobSimReserveTape(ClobSim *sim, const ClobTape *tape);

/* Free a replay context (NULL is fine). */
extern void ClobSimFree(ClobSim *sim);

/* Play one tape; PT_OK, PT_ERR_CANCELLED or PT_ERR_OUT_OF_MEMORY. */
extern int	ClobSimRun(ClobSim *sim, const ClobTape *tape, const ClobMmParams *mm,
					   const ClobPolicy *policy, const PtStop *stop, ClobSeedMetrics *out,
					   PtError *err);

/* The kill reason's name ("max_loss"). */
extern const char *ClobKillReasonName(ClobKillReason reason);

#endif							/* PTOPT_CLOB_SIM_H */
