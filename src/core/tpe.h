/*
 * tpe.h — the TPE strategy (Optuna 3.1's TPESampler in C): options, the
 * good/bad split, and the internals the equivalence tests reach.
 *
 * The strategy entry is PtTpeStrategy (strategy.h).  Everything else here is
 * internal API: the unit tests check it against fixtures exported from
 * Optuna 3.1 (bench/optuna_fixtures.py).
 *
 * ptopt maximises score; Optuna minimises loss.  The "good" trials (l) are
 * the gamma(n) highest scores, ties going to the earlier trial, exactly as
 * Optuna's stable sort of loss = -score orders them.
 */
#ifndef PTOPT_TPE_H
#define PTOPT_TPE_H

#include <stdbool.h>
#include <stdint.h>

#include "history.h"
#include "pt_error.h"
#include "space.h"

#define TPE_DEFAULT_N_STARTUP_TRIALS 10
#define TPE_DEFAULT_N_EI_CANDIDATES 24
#define TPE_DEFAULT_GAMMA 0.1			/* gamma(n) = min(ceil(0.1 n), 25) */
#define TPE_GAMMA_CAP 25				/* most good trials */
#define TPE_DEFAULT_PRIOR_WEIGHT 1.0
#define TPE_WEIGHTS_FLAT 25				/* newest observations at full weight */
#define TPE_MAX_N_EI_CANDIDATES 100000
#define TPE_MAX_N_STARTUP_TRIALS 1000000

/* The "tpe" member of the run options, with Optuna 3.1's defaults. */
typedef struct TpeOptions
{
	int			n_startup_trials;	/* uniform sampling until this many ok trials */
	int			n_ei_candidates;	/* candidates drawn from l per suggestion */
	double		gamma;				/* fraction f in gamma(n) = min(ceil(f n), 25) */
	double		prior_weight;		/* weight of the prior kernel */
	bool		consider_magic_clip;	/* minimum bandwidth range / min(100, 1 + kernels) */
	bool		consider_endpoints;	/* outermost kernels also see the bounds */
	bool		multivariate;		/* one joint estimator over all parameters */
	bool		has_seed;			/* seed given: it replaces the run seed */
	uint64_t	seed;
	bool		no_sort_cache;		/* tests only (not an option): always argsort */
} TpeOptions;

/*
 * The tpe strategy with explicit options (tests and benchmarks; the registry
 * entry PtTpeStrategy reads them from the run options instead).
 */
extern void *TpeCreate(const PtSpace *space, uint64_t seed, const TpeOptions *opt, PtError *err);

/* Fill opt with Optuna 3.1's defaults. */
extern void TpeOptionsDefault(TpeOptions *opt);

/*
 * Read options_json (the whole run options object; NULL or "" is {}) and its
 * "tpe" member into opt, starting from the defaults.  Unknown keys and bad
 * values give PT_ERR_INVALID_PARAMETER, malformed JSON PT_ERR_INVALID_TEXT.
 */
extern int	TpeOptionsParse(const char *options_json, TpeOptions *opt, PtError *err);

/* TpeOptionsParse on the parsed run options (NULL is none): what the strategy's init calls. */
struct json_object;
extern int	TpeOptionsRead(const struct json_object *options, TpeOptions *opt, PtError *err);

/* gamma(n) = min(ceil(f n), 25) good trials out of n, computed as Optuna does. */
extern int	TpeGamma(double f, int n);

/*
 * Optuna's default_weights(n), written to w[0..n-1]: ones below 25, else
 * linspace(1/n, 1, n - 25) then 25 ones (older observations count less).
 */
extern void TpeDefaultWeights(int n, double *w);

/*
 * Split n scores (time order, maximised) into the n_below best and the rest,
 * ties to the earlier index; both lists come back in time order.  below has
 * room for n_below, above for n - n_below.
 */
extern void TpeSplit(const double *scores, int n, int n_below, int *below, int *above);

/*
 * The ok trials of a history usable by TPE (status ok, score not NaN), as
 * indexes into history->trials in time order; returns their count.  idx has
 * room for history->n.
 */
extern int	TpeUsableTrials(const PtHistory *history, int *idx);

/*
 * numpy 1.24's default argsort (introsort: median-of-3 quicksort, insertion
 * sort below 16, heapsort past the depth limit) of v[0..n-1] into idx, so
 * that ties come out in numpy's order: TPE's bandwidths depend on it.
 */
extern void TpeArgsort(const double *v, int n, int *idx);

#endif							/* PTOPT_TPE_H */
