/*
 * clob.h — the public face of the synthetic Polymarket CLOB V2 backtest.
 *
 * PostgreSQL-free.  A session holds the scenario, the seeds and the policy
 * snapshot, and caches each seed's exogenous event tape the first time it is
 * needed, so every trial of a run replays the same world (common random
 * numbers).  See docs/backtest.md (the model and
 * its score), src/clob/README.md and BENCHMARKS.md.
 */
#ifndef PTOPT_CLOB_H
#define PTOPT_CLOB_H

#include <stdbool.h>
#include <stdint.h>

#include "pt_error.h"
#include "pt_stop.h"

typedef enum ClobParamKind
{
	CLOB_PARAM_FLOAT,
	CLOB_PARAM_INT,
	CLOB_PARAM_BOOL
} ClobParamKind;

/* One tunable parameter of the market maker (src/clob/README.md, "The replay"). */
typedef struct ClobParamInfo
{
	const char *name;			/* "mm.half_spread_min_ticks" */
	ClobParamKind kind;
	double		low;			/* bool: 0 */
	double		high;			/* bool: 1 */
	bool		log;
	double		step;			/* 0 for continuous floats, 1 for ints */
	double		default_value;	/* bool: 0 or 1 */
	const char *description;	/* one short sentence */
} ClobParamInfo;

/* One hard-gated setting; its value comes from the policy, never a search. */
typedef struct ClobGatedInfo
{
	const char *name;			/* "risk.killswitch.max_loss_pusd" */
	const char *type;			/* "float", "bool", "text", "text[]" */
	const char *default_json;	/* JSON text of the default value */
	const char *description;
} ClobGatedInfo;

typedef struct ClobResult
{
	double		score;
	double		holdout_score;
	bool		has_holdout;
	char	   *envelope_json;	/* PtMalloc'd ReportEnvelope JSON text */
	char	   *summary;		/* PtMalloc'd plain sentences */
} ClobResult;

typedef struct ClobSession ClobSession;

/* The tunable parameters, in table order; *n receives the count. */
extern const ClobParamInfo *ClobTunableParams(int *n);

/*
 * The search space over every tunable parameter at its full range, as JSON
 * text (ptopt_default_space()'s shape), with each parameter's default and
 * description when asked.  PtMalloc'd; NULL when out of memory.
 */
extern char *ClobDefaultSpaceJson(bool with_defaults, bool with_descriptions);

/* The hard-gated settings with their defaults; *n receives the count. */
extern const ClobGatedInfo *ClobGatedSettings(int *n);

/*
 * A session for options_json (the backtest options object, or NULL for the
 * defaults: scenario, train_seeds, holdout_seeds, overrides, per_seed) and
 * policy_json (a flat object of gated settings, or NULL for the defaults).
 * NULL with err set (PT_ERR_INVALID_PARAMETER / PT_ERR_INVALID_TEXT) on bad input.
 */
extern ClobSession *ClobSessionCreate(const char *options_json, const char *policy_json,
									  PtError *err);

/*
 * Check a parameter set (JSON object text) without running it: unknown
 * names, wrong types and out-of-range values are PT_ERR_INVALID_PARAMETER,
 * gated keys PT_ERR_HARD_GATE.
 */
extern int	ClobCheckParams(const char *params_json, PtError *err);

/*
 * Run one trial: the training seeds with these parameters (defaults fill
 * what params_json leaves out), and the held-out seeds too when the options
 * named holdout_seeds (a direct ptopt_backtest call asking for them: then
 * out->has_holdout and the envelope carries holdout_score).  Polls stop in
 * its loops and returns PT_ERR_CANCELLED when it fires.
 */
extern int	ClobSessionRun(ClobSession *session, const char *params_json,
						   const PtStop *stop, ClobResult *out, PtError *err);

/*
 * Run one trial from values already checked: one per tunable parameter, in
 * the order of ClobTunableParams (bools as 0 or 1).  The typed path the
 * run loop takes.  Training worlds only: the envelope and the summary hold
 * no held-out figure (out->has_holdout is false), because strategies read
 * them.
 */
extern int	ClobSessionRunValues(ClobSession *session, const double *values,
								 const PtStop *stop, ClobResult *out, PtError *err);

/*
 * Score a point on the held-out worlds (same scenario mix as training, as
 * many seeds unless options.holdout_seeds says otherwise, seeds derived from
 * the run seed, see ClobSessionSetRunSeed).  Writes the score and its
 * standard error across worlds; nothing else, so nothing of it can reach a
 * strategy.  PT_ERR_INVALID_PARAMETER when the session has no held-out seeds.
 */
extern int	ClobSessionRunHoldout(ClobSession *session, const double *values,
								  const PtStop *stop, double *score, double *stderr_out,
								  PtError *err);

/*
 * Derive the held-out worlds from a run's seed: fresh worlds per run,
 * reproducible from the seed, never a training world.  Without it they
 * derive from options.seed.  Call before the first ClobSessionRunHoldout.
 */
extern void ClobSessionSetRunSeed(ClobSession *session, uint64_t run_seed);

#define CLOB_THREADS_AUTO 0		/* ClobSessionSetThreads: as many threads as cores are free */
#define CLOB_MAX_THREADS 64			/* threads one trial may use */

/*
 * Play the worlds of each later trial on at most this many threads (the
 * calling thread among them; never more than the trial has worlds, nor than
 * CLOB_MAX_THREADS), or, with CLOB_THREADS_AUTO, on as many as cores are free
 * when the trial starts.  A new session plays them one after another on the
 * calling thread (1).  Results are the same whatever the count.
 */
extern void ClobSessionSetThreads(ClobSession *session, int threads);

/* Free what a result holds. */
extern void ClobResultClear(ClobResult *result);

/* Free a session and its cached tapes (NULL is fine). */
extern void ClobSessionFree(ClobSession *session);

#endif							/* PTOPT_CLOB_H */
