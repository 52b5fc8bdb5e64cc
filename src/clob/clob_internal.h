/*
 * clob_internal.h — parameter, policy and score helpers shared inside src/clob.
 *
 * Internal (tests use them): decoding a parameter set into values, a policy
 * snapshot into a ClobPolicy, and the score of docs/backtest.md ("The score").
 */
#ifndef PTOPT_CLOB_INTERNAL_H
#define PTOPT_CLOB_INTERNAL_H

#include <stdbool.h>

#include "clob.h"
#include "clob_sim.h"

#define CLOB_N_PARAMS 27
#define CLOB_INVALID_SCORE (-1e9)
#define CLOB_DEFAULT_SEED 20260428	/* the day CLOB V2 went live */
#define CLOB_DEFAULT_TRAIN_SEEDS 8
#define CLOB_MAX_SEEDS 64
#define CLOB_HOLDOUT_STREAM 0x686f6c646f7574ULL	/* "holdout": derives held-out seeds */
#define CLOB_MAX_TAPE_BYTES (512.0 * 1048576.0)	/* cached worlds of one session */
#define CLOB_RANGE_SLACK 1e-9			/* relative rounding accepted at a parameter's bounds */
#define CLOB_RISK_LAMBDA 0.5		/* score: weight of the std of returns across worlds */
#define CLOB_KILL_CHARGE 0.02		/* score: charge per kill-switch trip, share of start cash */

/*
 * Decode a parameter set (JSON object text, NULL = defaults) into values in
 * table order; defaults fill the rest.  Errors as ClobCheckParams.
 */
extern int	ClobParamsParse(const char *params_json, double *values, PtError *err);

/* Index of a tunable parameter by name, or -1. */
extern int	ClobParamIndex(const char *name);

/*
 * Decode a policy snapshot (flat JSON object text, NULL = defaults) into
 * *policy; *canonical_json (PtMalloc'd) receives every gated setting with its
 * value.  jurisdiction is the market's (options.jurisdiction).
 */
extern int	ClobPolicyParse(const char *policy_json, const char *jurisdiction,
							ClobPolicy *policy, char **canonical_json, PtError *err);

/* Why a score is invalid, or NULL. */
typedef struct ClobScoreParts
{
	double		score;
	double		mean_r;
	double		std_r;			/* population std of r across worlds (the risk term) */
	double		stderr_r;		/* sample std of r / sqrt(n): seed noise of the score */
	double		kill_trips;		/* kill-switch trips per world */
	double		risk_lambda;	/* CLOB_RISK_LAMBDA */
	double		kill_charge;	/* CLOB_KILL_CHARGE */
	double		mean_maker_fills;
	const char *invalid_reason;
} ClobScoreParts;

/* The last trial's per-seed metrics (training seeds first); returns their count. */
extern int	ClobSessionSeedMetrics(const ClobSession *session, const ClobSeedMetrics **metrics,
								   int *n_train);

/*
 * World i of a session (training first, then held-out): its seed and
 * scenario name; false when i is out of range.
 */
extern bool ClobSessionWorld(const ClobSession *session, int i, uint64_t *seed,
							 const char **scenario);

/* Threads the session's last trial played its worlds on (1: serially on the calling thread). */
extern int	ClobSessionThreadsUsed(const ClobSession *session);

/* Bytes held by the session's cached tapes and how many tapes are cached. */
extern size_t ClobSessionTapeBytes(const ClobSession *session, int *n_tapes);

/* The score (docs/backtest.md, "The score") over n seeds' metrics. */
extern double ClobScore(const ClobSeedMetrics *m, int n, ClobScoreParts *parts);

#endif							/* PTOPT_CLOB_INTERNAL_H */
