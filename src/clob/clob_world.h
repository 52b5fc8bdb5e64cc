/*
 * clob_world.h — scenarios and the exogenous world of the CLOB V2 backtest.
 *
 * Internal to src/clob (tests drive it directly).  A world is generated once
 * per (scenario, seed) into a compact event tape: the true probability path,
 * background maker adds and cancels, noise and informed taker arrivals.
 * Nothing in it depends on the strategy, so every trial replays the same
 * world (common random numbers); the replay (clob_sim.c) runs it against an
 * L3 book with the strategy's orders in it.
 */
#ifndef PTOPT_CLOB_WORLD_H
#define PTOPT_CLOB_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pt_error.h"

#define CLOB_SCENARIO_NAME_MAX 16
#define CLOB_N_PRESETS 6			/* calm news toxic thin closing restart */
#define CLOB_P0_LO 0.05
#define CLOB_P0_HI 0.95

/* Every setting of a scenario; overrides may change any of them. */
typedef struct ClobScenario
{
	char		name[CLOB_SCENARIO_NAME_MAX];
	double		window_s;		/* simulated window */
	double		resolve_in_s;	/* resolution this long after the window; 0 = at its end */
	double		p0;				/* starting probability; < 0 draws U(0.05, 0.95) */
	double		k0;				/* signal intensity of the truth, 1/sqrt(s) */
	double		beta;			/* growth of the intensity towards resolution */
	double		grid_ms;		/* step of the truth and consensus paths */
	double		jump_rate_h;	/* news jumps per hour */
	double		jump_a;			/* news signal strength */
	double		pub_lag_ms;		/* lag of the public consensus behind the truth */
	double		pub_noise_ticks;	/* noise of the public consensus */
	double		bg_rate;		/* background adds per side per second */
	double		bg_geom_rho;	/* ticks outside the inside price: Geom(rho) from 0 */
	double		bg_size_median; /* shares */
	double		bg_size_sigma;	/* log-normal sigma */
	double		bg_life_s;		/* mean life before a background cancel */
	double		bg_requote_ticks;	/* re-centre when the consensus moves this far away */
	double		noise_rate;		/* noise takers per second */
	double		noise_size_median;
	double		noise_size_sigma;
	double		noise_slip_ticks;	/* FAK limit beyond the consensus */
	double		noise_no_share; /* share of noise takers trading the NO token */
	double		noise_elasticity;	/* size shrinks exp(-e * ticks) with the price they get */
	double		inf_rate;		/* informed takers per second */
	double		inf_edge_ticks; /* edge they demand beyond the fee */
	double		inf_size_median;
	double		inf_size_sigma;
	double		inf_burst;		/* informed arrivals right after a jump */
	double		inf_latency_ms; /* informed reaction time to a jump */
	double		lat_feed_ms;	/* market data to the strategy */
	double		lat_entry_ms;	/* strategy order to the book */
	double		lat_cancel_ms;	/* strategy cancel to the book */
	double		lat_response_ms;	/* fill report to the strategy */
	double		fee_rate;
	double		fee_exp;
	double		rebate_share;	/* maker share of the taker fee */
	double		min_size;		/* shares */
	double		start_cash_pusd;
	double		restart_at_s;	/* engine restart start; < 0 for none */
	double		restart_down_s; /* 425 period */
	double		restart_post_only_s;	/* post-only period after it */
	double		feed_gap_at_s;	/* strategy feed outage start; < 0 for none */
	double		feed_gap_s;
	double		feed_gap_jump;	/* 1: a news jump inside the outage */
	double		market_close_at_s;	/* exchange stops trading; < 0 for none */
} ClobScenario;

/* Descriptor of one scenario setting (for overrides and documentation). */
typedef struct ClobSettingInfo
{
	const char *name;
	size_t		offset;
	double		low;
	double		high;
	const char *description;
} ClobSettingInfo;

/* Tape event kinds. */
typedef enum ClobEventType
{
	CLOB_EV_ADD = 0,			/* background GTC: side, price, size; aux = add id */
	CLOB_EV_CANCEL,				/* background cancel; aux = add id */
	CLOB_EV_NOISE,				/* noise FAK: side/token/price in the token's space */
	CLOB_EV_INFORMED			/* informed FAK: price = buy limit, aux = sell limit */
} ClobEventType;

/* One exogenous event: 24 bytes. */
typedef struct ClobEvent
{
	int64_t		t_us;
	int32_t		price;
	int32_t		aux;
	int32_t		size_cs;		/* centi-shares */
	uint8_t		type;
	uint8_t		side;
	uint8_t		token;
	uint8_t		flags;
} ClobEvent;

/* A generated world. */
typedef struct ClobTape
{
	ClobScenario scenario;		/* the settings it was made with */
	uint64_t	seed;
	double		p0;
	int			outcome;		/* Y: 1 when YES wins */
	double		p_end;			/* truth at the end of the window */
	int64_t		window_us;
	int64_t		grid_us;
	int32_t		n_grid;			/* p_grid has n_grid + 1 points */
	float	   *p_grid;			/* truth at i * grid_us */
	int32_t		n_events;
	ClobEvent  *events;
	int32_t		n_adds;
	int32_t		max_live_bg;	/* bound on resting background orders */
	int32_t		n_jumps;
} ClobTape;

/* Scenario settings table; *n receives the count. */
extern const ClobSettingInfo *ClobScenarioSettings(int *n);

/* Preset names in mix order ("calm", "news", ...). */
extern const char *ClobPresetName(int i);

/* Fill *s with a preset; false for an unknown name. */
extern bool ClobScenarioPreset(const char *name, ClobScenario *s);

/* Generate the world of (scenario, seed); PT_OK or PT_ERR_OUT_OF_MEMORY. */
extern int	ClobWorldGenerate(const ClobScenario *s, uint64_t seed, ClobTape *tape, PtError *err);

/* Free a tape's arrays. */
extern void ClobTapeFree(ClobTape *tape);

/* Bytes a tape holds. */
extern size_t ClobTapeBytes(const ClobTape *tape);

/* The truth at a time (the grid point at or after it). */
static inline double
ClobTapeTruth(const ClobTape *tape, int64_t t_us)
{
	int64_t		i = (t_us + tape->grid_us - 1) / tape->grid_us;

	if (i < 0)
		i = 0;
	if (i > tape->n_grid)
		i = tape->n_grid;
	return tape->p_grid[i];
}

#endif							/* PTOPT_CLOB_WORLD_H */
