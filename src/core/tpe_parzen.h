/*
 * tpe_parzen.h — the Parzen estimator of Optuna 3.1's TPE (_ParzenEstimator).
 *
 * One estimator is a mixture of kernels, one per observation plus the prior,
 * over one parameter (independent mode) or several (multivariate mode).
 * Values here are internal: log parameters are in log space, categorical
 * values are choice indexes.
 */
#ifndef PTOPT_TPE_PARZEN_H
#define PTOPT_TPE_PARZEN_H

#include <stdbool.h>

#include "pt_error.h"
#include "rng.h"
#include "space.h"

#define TPE_SIGMA0_MAGNITUDE 0.2	/* multivariate bandwidth factor (Scott's rule) */
#define TPE_MAGIC_CLIP_KERNELS 100.0	/* minimum bandwidth range / min(100, 1 + kernels) */
#define TPE_EPS 1e-12				/* minimum bandwidth without the magic clip */
#define TPE_BLOCK 16				/* sorted kernels per block of the fast log density */

/* One parameter as TPE sees it: its internal bounds and step. */
typedef struct TpeDim
{
	bool		categorical;	/* categorical or bool */
	int			n_choices;
	bool		log;
	bool		is_int;
	double		low;			/* internal bounds: log space, widened by q/2 */
	double		high;
	double		q;				/* step in internal space; 0 when continuous */
	double		ext_low;		/* the parameter's own bounds and step */
	double		ext_high;
	double		ext_step;
	bool		fixed;			/* a single value: not modelled */
} TpeDim;

/* The estimator's knobs (Optuna's _ParzenEstimatorParameters; consider_prior is always on). */
typedef struct TpeParzenParams
{
	double		prior_weight;
	bool		consider_magic_clip;
	bool		consider_endpoints;
	bool		multivariate;
	/* optional: the mixture weights of TpeMixtureWeights for this n_obs, shared across builds */
	const double *weights;
	const double *log_weights;
	const double *cum_weights;
} TpeParzenParams;

/* The kernels of one parameter. */
typedef struct TpeKernels
{
	double	   *mus;			/* n_kernels (numerical parameters) */
	double	   *sigmas;
	double	   *log_p_accept;	/* log mass of [low, high] under each kernel */
	int		   *order;			/* kernels by ascending mu, when has_order */
	bool		has_order;		/* independent mode: the bandwidths needed the sort */
	double	   *probs;			/* categorical: n_kernels x n_choices, rows sum to 1 */
	size_t		cap;			/* capacity of mus, sigmas, log_p_accept, order */
	size_t		cap_probs;		/* capacity of probs */
} TpeKernels;

/*
 * An estimator.  Its arrays are kept between builds and grown when needed,
 * so refitting every suggestion allocates nothing once the sizes settle.
 */
typedef struct TpeParzen
{
	int			n_dims;
	const TpeDim *const *dims;	/* borrowed */
	int			n_obs;
	int			n_kernels;		/* n_obs + 1: the prior is the last kernel */
	double	   *weights;		/* normalised */
	double	   *log_weights;
	double	   *cum_weights;	/* for drawing a kernel */
	TpeKernels *kernels;		/* n_dims */
	double	   *scratch;		/* n_kernels, for log-density sums */
	/* one numerical parameter: kernels by ascending mu, folded for a fast log density */
	bool		fast_1d;
	double	   *ev_mu;
	double	   *ev_inv_sigma;
	double	   *ev_const;		/* log w - log_p_accept (continuous: - log sqrt(2 pi) too) */
	/* blocks of TPE_BLOCK sorted kernels: bounds that let far blocks be skipped */
	int			n_blocks;
	double	   *blk_lo;			/* smallest and largest mu */
	double	   *blk_hi;
	double	   *blk_cmax;		/* largest ev_const */
	double	   *blk_inv_min;	/* 1 / largest sigma */
	double	   *blk_log_inv_max;	/* log(1 / smallest sigma), for stepped parameters */
	double	   *ext;			/* scratch: sorted means padded with the bounds */
	size_t		cap;			/* capacity of the per-kernel arrays */
	int			cap_dims;		/* capacity of kernels */
	size_t		cap_blocks;		/* capacity of the per-block arrays */
} TpeParzen;

/* Describe a parameter for TPE. */
extern void TpeDimFromParam(const PtParam *param, TpeDim *dim);

/* A parameter value to TPE's internal space (log for log parameters). */
extern double TpeToInternal(const TpeDim *dim, double value);

/* An internal value back to the parameter: exp, round to the step, clip (Optuna's _transform_from_uniform). */
extern double TpeFromInternal(const TpeDim *dim, double value);

/* An empty estimator, ready to build. */
extern void TpeParzenInit(TpeParzen *pe);

/*
 * Build an estimator over n_dims parameters from n_obs observations:
 * obs[i * obs_stride + j] is observation i of dims[j], internal.  orders is
 * NULL, or per parameter NULL or the permutation of the n_obs + 1 kernel
 * means (the prior, mu = mid-range, is kernel n_obs) in numpy argsort's
 * order, when the caller already knows it.  pe must have been through
 * TpeParzenInit; a built estimator may be built again (its arrays are
 * reused).  Returns PT_OK, or PT_ERR_OUT_OF_MEMORY with err set.  Release
 * with TpeParzenFree.
 */
extern int	TpeParzenBuild(TpeParzen *pe, const TpeDim *const *dims, int n_dims,
						   const double *obs, int obs_stride, int n_obs,
						   const TpeParzenParams *params, const int *const *orders,
						   PtError *err);

/*
 * Mixture weights of n_obs observations and the prior: default_weights(n_obs)
 * then prior_weight, normalised; their logs; their normalised running sums.
 * Each array has n_obs + 1 entries.
 */
extern void TpeMixtureWeights(int n_obs, double prior_weight, double *w, double *log_w,
							  double *cum_w);

/* log density of one internal point x[0..n_dims-1] (Optuna's log_pdf). */
extern double TpeParzenLogPdf(const TpeParzen *pe, const double *x);

/* Draw one internal point from the mixture into x[0..n_dims-1]. */
extern void TpeParzenSample(const TpeParzen *pe, PtRng *rng, double *x);

/* Release what an estimator holds (not the struct). */
extern void TpeParzenFree(TpeParzen *pe);

#endif							/* PTOPT_TPE_PARZEN_H */
