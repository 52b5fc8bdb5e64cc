/*
 * tpe_parzen.c — the Parzen estimator of Optuna 3.1's TPE.
 *
 * Kernels: one truncated normal per observation plus a prior (mu = middle of
 * the range, sigma = the range).  Bandwidths: the larger gap to a sorted
 * neighbour (independent mode) or Scott's rule (multivariate), clipped to
 * [range / min(100, 1 + kernels), range].  Categorical kernels put
 * prior_weight / (n + 1) on every choice and 1 more on their own.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "pt_alloc.h"
#include "tpe.h"
#include "tpe_parzen.h"
#include "tpe_truncnorm.h"

/*
 * Terms this far below the largest add less than e^-37 = 8.5e-17 of it each:
 * with 10^5 kernels the log density moves by less than 1e-11.
 */
#define TPE_LSE_CUTOFF 37.0

/* Describe a parameter for TPE (Optuna's _calculate_parzen_bounds). */
void
TpeDimFromParam(const PtParam *param, TpeDim *dim)
{
	memset(dim, 0, sizeof(*dim));
	if (param->type == PT_PARAM_CATEGORICAL || param->type == PT_PARAM_BOOL)
	{
		dim->categorical = true;
		dim->n_choices = param->n_choices > 0 ? param->n_choices :
			(param->type == PT_PARAM_BOOL ? 2 : 1);
		dim->fixed = dim->n_choices <= 1;
		return;
	}
	dim->is_int = param->type == PT_PARAM_INT;
	dim->log = param->log;
	dim->ext_low = param->low;
	dim->ext_high = param->high;
	dim->ext_step = param->step;
	if (dim->is_int && dim->ext_step <= 0.0)
		dim->ext_step = 1.0;
	dim->fixed = !(param->low < param->high);
	if (dim->log && dim->is_int)
	{
		dim->low = log(param->low - 0.5);
		dim->high = log(param->high + 0.5);
	}
	else if (dim->log)
	{
		dim->low = log(param->low);
		dim->high = log(param->high);
	}
	else if (dim->ext_step > 0.0)
	{
		dim->q = dim->ext_step;
		dim->low = param->low - 0.5 * dim->q;
		dim->high = param->high + 0.5 * dim->q;
	}
	else
	{
		dim->low = param->low;
		dim->high = param->high;
	}
}

/* A value to internal space. */
double
TpeToInternal(const TpeDim *dim, double value)
{
	if (!dim->categorical && dim->log)
		return log(value);
	return value;
}

/* Clip to [lo, hi]. */
static double
clip(double v, double lo, double hi)
{
	return v < lo ? lo : (v > hi ? hi : v);
}

/* Round to the grid low + k step (numpy's round: half to even) and clip. */
static double
snap(double v, double low, double high, double step)
{
	return clip(rint((v - low) / step) * step + low, low, high);
}

/* An internal value back to the parameter (Optuna's _transform_from_uniform). */
double
TpeFromInternal(const TpeDim *dim, double value)
{
	double		v;

	if (dim->categorical)
	{
		v = rint(value);
		return clip(v, 0.0, (double) (dim->n_choices - 1));
	}
	if (dim->fixed)
		return dim->ext_low;
	if (dim->log)
	{
		v = exp(value);
		if (dim->is_int)
			v = rint(v);
		v = clip(v, dim->ext_low, dim->ext_high);
		/* a step on a log parameter (Optuna has none): snap after the fact */
		if (dim->ext_step > 0.0 && !(dim->is_int && dim->ext_step == 1.0))
			v = snap(v, dim->ext_low, dim->ext_high, dim->ext_step);
		return v;
	}
	if (dim->q > 0.0)
		return snap(value, dim->ext_low, dim->ext_high, dim->q);
	return clip(value, dim->ext_low, dim->ext_high);
}

/* Mixture weights: default_weights(n) and the prior, normalised; logs; running sums. */
void
TpeMixtureWeights(int n, double prior_weight, double *w, double *log_w, double *cum_w)
{
	int			k;
	double		sum = 0.0;

	TpeDefaultWeights(n, w);
	w[n] = prior_weight;
	for (k = 0; k <= n; k++)
		sum += w[k];
	for (k = 0; k <= n; k++)
	{
		w[k] /= sum;
		log_w[k] = log(w[k]);
	}
	sum = 0.0;
	for (k = 0; k <= n; k++)
	{
		sum += w[k];
		cum_w[k] = sum;
	}
	for (k = 0; k <= n; k++)
		cum_w[k] /= sum;
}

/* Grow *p to hold n elements of elem bytes; *cap counts elements.  False when out of memory. */
static bool
reserve(void **p, size_t *cap, size_t n, size_t elem)
{
	void	   *q;

	if (n <= *cap && *p != NULL)
		return true;
	q = PtRealloc(*p, elem * (n > 0 ? n : 1));
	if (q == NULL)
		return false;
	*p = q;
	*cap = n;
	return true;
}

/* Room for nk kernels over n_dims parameters in the shared arrays. */
static bool
reserve_estimator(TpeParzen *pe, size_t nk, int n_dims)
{
	size_t		cap = pe->cap;
	size_t		c;

	if (n_dims > pe->cap_dims)
	{
		TpeKernels *k = PtRealloc(pe->kernels, sizeof(TpeKernels) * (size_t) n_dims);

		if (k == NULL)
			return false;
		memset(k + pe->cap_dims, 0, sizeof(TpeKernels) * (size_t) (n_dims - pe->cap_dims));
		pe->kernels = k;
		pe->cap_dims = n_dims;
	}
	if (nk + TPE_BLOCK + 2 <= cap && pe->weights != NULL)
		return true;
	/* every per-kernel array shares one capacity: nk + 2 covers ext, + TPE_BLOCK the padding */
	cap = nk + TPE_BLOCK + 2 > 2 * cap ? nk + TPE_BLOCK + 2 : 2 * cap;
	c = pe->cap;
	if (!reserve((void **) &pe->weights, &c, cap, sizeof(double)))
		return false;
#define RESERVE_SAME(field) \
	do { c = pe->cap; if (!reserve((void **) &pe->field, &c, cap, sizeof(*pe->field))) return false; } while (0)
	RESERVE_SAME(log_weights);
	RESERVE_SAME(cum_weights);
	RESERVE_SAME(scratch);
	RESERVE_SAME(ev_mu);
	RESERVE_SAME(ev_inv_sigma);
	RESERVE_SAME(ev_const);
	RESERVE_SAME(ext);
#undef RESERVE_SAME
	pe->cap = cap;
	return true;
}

/* An empty estimator. */
void
TpeParzenInit(TpeParzen *pe)
{
	memset(pe, 0, sizeof(*pe));
}

/* The estimator's weights: shared ones copied, or computed. */
static void
build_weights(TpeParzen *pe, const TpeParzenParams *params)
{
	size_t		size = sizeof(double) * (size_t) pe->n_kernels;

	if (params->weights != NULL && params->log_weights != NULL && params->cum_weights != NULL)
	{
		memcpy(pe->weights, params->weights, size);
		memcpy(pe->log_weights, params->log_weights, size);
		memcpy(pe->cum_weights, params->cum_weights, size);
	}
	else
		TpeMixtureWeights(pe->n_obs, params->prior_weight, pe->weights, pe->log_weights,
						  pe->cum_weights);
}

/* Categorical kernels (Optuna's _calculate_categorical_params). */
static int
build_categorical(TpeParzen *pe, TpeKernels *kern, const TpeDim *dim, const double *obs,
				  int stride, double prior_weight)
{
	int			nc = dim->n_choices;
	int			nk = pe->n_kernels;
	double		value = prior_weight / (pe->n_obs + 1);
	size_t		total = (size_t) nk * (size_t) nc;
	size_t		i;
	int			k;
	int			c;

	if (!reserve((void **) &kern->probs, &kern->cap_probs, pe->cap * (size_t) nc, sizeof(double)))
		return PT_ERR_OUT_OF_MEMORY;
	kern->has_order = false;
	for (i = 0; i < total; i++)
		kern->probs[i] = value;
	for (k = 0; k < pe->n_obs; k++)
	{
		c = (int) obs[(size_t) k * stride];
		if (c < 0)
			c = 0;
		if (c >= nc)
			c = nc - 1;
		kern->probs[(size_t) k * nc + c] += 1.0;
	}
	for (k = 0; k < nk; k++)
	{
		double	   *row = kern->probs + (size_t) k * nc;
		double		sum = 0.0;

		for (c = 0; c < nc; c++)
			sum += row[c];
		for (c = 0; c < nc; c++)
			row[c] /= sum;
	}
	return PT_OK;
}

/*
 * Bandwidths from the gaps between sorted means (independent mode): the
 * larger gap to a neighbour, the bounds padding the ends; without
 * consider_endpoints the outermost kernels use their inner gap only.
 */
static void
gap_sigmas(TpeParzen *pe, const TpeKernels *kern, double low, double high, bool endpoints,
		   double *sigmas)
{
	int			nk = pe->n_kernels;
	const int  *idx = kern->order;
	double	   *ext = pe->ext;
	int			p;

	ext[0] = low;
	for (p = 0; p < nk; p++)
		ext[p + 1] = kern->mus[idx[p]];
	ext[nk + 1] = high;
	for (p = 0; p < nk; p++)
	{
		double		left = ext[p + 1] - ext[p];
		double		right = ext[p + 2] - ext[p + 1];
		double		s = left > right ? left : right;

		if (!endpoints && nk >= 2)
		{
			if (p == 0)
				s = ext[2] - ext[1];
			else if (p == nk - 1)
				s = ext[nk] - ext[nk - 1];
		}
		sigmas[idx[p]] = s;
	}
}

/* Numerical kernels (Optuna's _calculate_numerical_params). */
static int
build_numerical(TpeParzen *pe, TpeKernels *kern, const TpeDim *dim, const double *obs,
				int stride, const TpeParzenParams *params, const int *order)
{
	int			nk = pe->n_kernels;
	int			n = pe->n_obs;
	double		range = dim->high - dim->low;
	double		minsigma;
	double		maxsigma = 1.0 * range;
	size_t		c;
	int			i;

	c = kern->cap;
	if (!reserve((void **) &kern->mus, &c, pe->cap, sizeof(double)))
		return PT_ERR_OUT_OF_MEMORY;
	c = kern->cap;
	if (!reserve((void **) &kern->sigmas, &c, pe->cap, sizeof(double)))
		return PT_ERR_OUT_OF_MEMORY;
	c = kern->cap;
	if (!reserve((void **) &kern->log_p_accept, &c, pe->cap, sizeof(double)))
		return PT_ERR_OUT_OF_MEMORY;
	c = kern->cap;
	if (!reserve((void **) &kern->order, &c, pe->cap, sizeof(int)))
		return PT_ERR_OUT_OF_MEMORY;
	kern->cap = c;

	for (i = 0; i < n; i++)
		kern->mus[i] = obs[(size_t) i * stride];
	kern->mus[n] = 0.5 * (dim->low + dim->high);

	if (params->multivariate)
	{
		double		sigma0 = TPE_SIGMA0_MAGNITUDE *
			pow((double) (n > 1 ? n : 1), -1.0 / (pe->n_dims + 4));

		kern->has_order = false;
		for (i = 0; i < nk; i++)
			kern->sigmas[i] = sigma0 * range;
	}
	else
	{
		if (order != NULL)
			memcpy(kern->order, order, sizeof(int) * (size_t) nk);
		else
			TpeArgsort(kern->mus, nk, kern->order);
		kern->has_order = true;
		gap_sigmas(pe, kern, dim->low, dim->high, params->consider_endpoints, kern->sigmas);
	}

	if (params->consider_magic_clip)
		minsigma = 1.0 * range / (TPE_MAGIC_CLIP_KERNELS < 1.0 + nk ?
								  TPE_MAGIC_CLIP_KERNELS : 1.0 + nk);
	else
		minsigma = TPE_EPS;
	for (i = 0; i < nk; i++)
		kern->sigmas[i] = clip(kern->sigmas[i], minsigma, maxsigma);
	kern->sigmas[n] = 1.0 * range;

	for (i = 0; i < nk; i++)
		kern->log_p_accept[i] = TpeLogGaussMass((dim->low - kern->mus[i]) / kern->sigmas[i],
												(dim->high - kern->mus[i]) / kern->sigmas[i]);
	return PT_OK;
}

/* Fold one numerical parameter's kernels, sorted by mu, in blocks, for TpeParzenLogPdf. */
static int
build_fast_1d(TpeParzen *pe)
{
	const TpeKernels *kern = &pe->kernels[0];
	int			nk = pe->n_kernels;
	size_t		nb = (size_t) (nk + TPE_BLOCK - 1) / TPE_BLOCK;
	size_t		c;
	int			p;
	int			b;

	if (nb > pe->cap_blocks)
	{
		size_t		cap = nb > 2 * pe->cap_blocks ? nb : 2 * pe->cap_blocks;

		c = pe->cap_blocks;
		if (!reserve((void **) &pe->blk_lo, &c, cap, sizeof(double)))
			return PT_ERR_OUT_OF_MEMORY;
		c = pe->cap_blocks;
		if (!reserve((void **) &pe->blk_hi, &c, cap, sizeof(double)))
			return PT_ERR_OUT_OF_MEMORY;
		c = pe->cap_blocks;
		if (!reserve((void **) &pe->blk_cmax, &c, cap, sizeof(double)))
			return PT_ERR_OUT_OF_MEMORY;
		c = pe->cap_blocks;
		if (!reserve((void **) &pe->blk_inv_min, &c, cap, sizeof(double)))
			return PT_ERR_OUT_OF_MEMORY;
		c = pe->cap_blocks;
		if (!reserve((void **) &pe->blk_log_inv_max, &c, cap, sizeof(double)))
			return PT_ERR_OUT_OF_MEMORY;
		pe->cap_blocks = cap;
	}
	for (p = 0; p < nk; p++)
	{
		int			k = kern->has_order ? kern->order[p] : p;

		pe->ev_mu[p] = kern->mus[k];
		pe->ev_inv_sigma[p] = 1.0 / kern->sigmas[k];
		pe->ev_const[p] = pe->log_weights[k] - kern->log_p_accept[k];
		if (pe->dims[0]->q == 0.0)
			pe->ev_const[p] -= TPE_NORM_LOG_C;
	}
	/* pad the last block with kernels whose terms are -inf */
	for (p = nk; (size_t) p < nb * TPE_BLOCK; p++)
	{
		pe->ev_mu[p] = 0.0;
		pe->ev_inv_sigma[p] = 0.0;
		pe->ev_const[p] = -INFINITY;
	}
	pe->n_blocks = (int) nb;
	for (b = 0; b < pe->n_blocks; b++)
	{
		int			end = (b + 1) * TPE_BLOCK < nk ? (b + 1) * TPE_BLOCK : nk;
		double		lo = INFINITY;
		double		hi = -INFINITY;
		double		cmax = -INFINITY;
		double		inv_min = INFINITY;
		double		inv_max = 0.0;

		/* not assuming sorted means: without an order they are not */
		for (p = b * TPE_BLOCK; p < end; p++)
		{
			lo = pe->ev_mu[p] < lo ? pe->ev_mu[p] : lo;
			hi = pe->ev_mu[p] > hi ? pe->ev_mu[p] : hi;
			cmax = pe->ev_const[p] > cmax ? pe->ev_const[p] : cmax;
			inv_min = pe->ev_inv_sigma[p] < inv_min ? pe->ev_inv_sigma[p] : inv_min;
			inv_max = pe->ev_inv_sigma[p] > inv_max ? pe->ev_inv_sigma[p] : inv_max;
		}
		pe->blk_lo[b] = lo;
		pe->blk_hi[b] = hi;
		pe->blk_cmax[b] = cmax;
		pe->blk_inv_min[b] = inv_min;
		pe->blk_log_inv_max[b] = log(inv_max);
	}
	pe->fast_1d = true;
	return PT_OK;
}

/* Build (or rebuild) an estimator. */
int
TpeParzenBuild(TpeParzen *pe, const TpeDim *const *dims, int n_dims,
			   const double *obs, int obs_stride, int n_obs,
			   const TpeParzenParams *params, const int *const *orders, PtError *err)
{
	int			j;
	int			rc = PT_OK;

	pe->n_dims = n_dims;
	pe->dims = dims;
	pe->n_obs = n_obs;
	pe->n_kernels = n_obs + 1;
	pe->fast_1d = false;
	pe->n_blocks = 0;
	if (!reserve_estimator(pe, (size_t) pe->n_kernels, n_dims > 0 ? n_dims : 1))
		rc = PT_ERR_OUT_OF_MEMORY;
	else
		build_weights(pe, params);

	for (j = 0; j < n_dims && rc == PT_OK; j++)
	{
		if (dims[j]->categorical)
			rc = build_categorical(pe, &pe->kernels[j], dims[j], obs + j, obs_stride,
								   params->prior_weight);
		else
			rc = build_numerical(pe, &pe->kernels[j], dims[j], obs + j, obs_stride, params,
								 orders != NULL ? orders[j] : NULL);
	}
	if (rc == PT_OK && n_dims == 1 && !dims[0]->categorical)
		rc = build_fast_1d(pe);
	if (rc != PT_OK)
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory building a TPE estimator");
	return PT_OK;
}

/* 2^(j/64), j = 0..63, correctly rounded. */
static const double exp2_64[64] = {
	0x1.0000000000000p+0, 0x1.02c9a3e778061p+0, 0x1.059b0d3158574p+0, 0x1.0874518759bc8p+0,
	0x1.0b5586cf9890fp+0, 0x1.0e3ec32d3d1a2p+0, 0x1.11301d0125b51p+0, 0x1.1429aaea92de0p+0,
	0x1.172b83c7d517bp+0, 0x1.1a35beb6fcb75p+0, 0x1.1d4873168b9aap+0, 0x1.2063b88628cd6p+0,
	0x1.2387a6e756238p+0, 0x1.26b4565e27cddp+0, 0x1.29e9df51fdee1p+0, 0x1.2d285a6e4030bp+0,
	0x1.306fe0a31b715p+0, 0x1.33c08b26416ffp+0, 0x1.371a7373aa9cbp+0, 0x1.3a7db34e59ff7p+0,
	0x1.3dea64c123422p+0, 0x1.4160a21f72e2ap+0, 0x1.44e086061892dp+0, 0x1.486a2b5c13cd0p+0,
	0x1.4bfdad5362a27p+0, 0x1.4f9b2769d2ca7p+0, 0x1.5342b569d4f82p+0, 0x1.56f4736b527dap+0,
	0x1.5ab07dd485429p+0, 0x1.5e76f15ad2148p+0, 0x1.6247eb03a5585p+0, 0x1.6623882552225p+0,
	0x1.6a09e667f3bcdp+0, 0x1.6dfb23c651a2fp+0, 0x1.71f75e8ec5f74p+0, 0x1.75feb564267c9p+0,
	0x1.7a11473eb0187p+0, 0x1.7e2f336cf4e62p+0, 0x1.82589994cce13p+0, 0x1.868d99b4492edp+0,
	0x1.8ace5422aa0dbp+0, 0x1.8f1ae99157736p+0, 0x1.93737b0cdc5e5p+0, 0x1.97d829fde4e50p+0,
	0x1.9c49182a3f090p+0, 0x1.a0c667b5de565p+0, 0x1.a5503b23e255dp+0, 0x1.a9e6b5579fdbfp+0,
	0x1.ae89f995ad3adp+0, 0x1.b33a2b84f15fbp+0, 0x1.b7f76f2fb5e47p+0, 0x1.bcc1e904bc1d2p+0,
	0x1.c199bdd85529cp+0, 0x1.c67f12e57d14bp+0, 0x1.cb720dcef9069p+0, 0x1.d072d4a07897cp+0,
	0x1.d5818dcfba487p+0, 0x1.da9e603db3285p+0, 0x1.dfc97337b9b5fp+0, 0x1.e502ee78b3ff6p+0,
	0x1.ea4afa2a490dap+0, 0x1.efa1bee615a27p+0, 0x1.f50765b6e4540p+0, 0x1.fa7c1819e90d8p+0
};

/*
 * e^d for -TPE_LSE_CUTOFF <= d <= 0, inline and without errno: d = (64 m + j)
 * ln2/64 + r with |r| <= ln2/128, e^r by a degree-5 polynomial (error below
 * 4e-17), times 2^(j/64) from the table and 2^m in the exponent bits.
 * Within 2 ulp of libm's exp; the log densities sum thousands of these.
 */
static inline double
exp_tail(double d)
{
	const double shift = 0x1.8p52;	/* adding it rounds to an integer */
	const double inv_ln2_64 = 92.332482616893656;	/* 64 / ln 2 */
	const double ln2_hi_64 = 6.93147180369123816490e-01 / 64.0;	/* exact times |k| < 2^12 */
	const double ln2_lo_64 = 1.90821492927058770002e-10 / 64.0;
	double		kd = (d * inv_ln2_64 + shift) - shift;
	double		r = (d - kd * ln2_hi_64) - kd * ln2_lo_64;
	int64_t		k = (int64_t) kd;
	int64_t		j = k & 63;
	int64_t		m = (k - j) / 64;
	double		p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0)))));
	union
	{
		double		f;
		uint64_t	u;
	}			scale;

	scale.f = exp2_64[j];
	scale.u += (uint64_t) m << 52;
	return scale.f * p;
}

/* log sum exp(t) given its maximum, skipping terms too small to change the sum. */
static double
log_sum_exp_tail(const double *t, int n, double max)
{
	double		sum = 0.0;
	double		floor_ = max - TPE_LSE_CUTOFF;
	int			k;

	if (!isfinite(max))
		return max;
	for (k = 0; k < n; k++)
	{
		if (t[k] > floor_)
			sum += exp_tail(t[k] - max);
	}
	return log(sum) + max;
}

/*
 * Terms of block b at v into t[0..TPE_BLOCK-1]; returns the block's largest.
 * Continuous: the truncated-normal logpdf at v, over the whole block (the
 * arrays are padded past the last kernel with terms of -inf).  Stepped
 * (q > 0): the log mass of [lb, ub] = [v - q/2, v + q/2] within the bounds,
 * -inf past the last kernel.
 */
static inline double
eval_block(const TpeParzen *pe, int b, double v, double lb, double ub, double *restrict t)
{
	const double *restrict mu = pe->ev_mu + (size_t) b * TPE_BLOCK;
	const double *restrict inv = pe->ev_inv_sigma + (size_t) b * TPE_BLOCK;
	const double *restrict cst = pe->ev_const + (size_t) b * TPE_BLOCK;
	double		max = -INFINITY;
	int			k;

	if (pe->dims[0]->q == 0.0)
	{
		for (k = 0; k < TPE_BLOCK; k++)
		{
			double		z = (v - mu[k]) * inv[k];

			t[k] = cst[k] - 0.5 * z * z;
		}
	}
	else
	{
		int			n = pe->n_kernels - b * TPE_BLOCK;

		n = n < TPE_BLOCK ? n : TPE_BLOCK;
		for (k = 0; k < n; k++)
			t[k] = cst[k] + TpeLogGaussMass((lb - mu[k]) * inv[k], (ub - mu[k]) * inv[k]);
		for (; k < TPE_BLOCK; k++)
			t[k] = -INFINITY;
	}
	for (k = 0; k < TPE_BLOCK; k++)
		max = t[k] > max ? t[k] : max;
	return max;
}

/*
 * Upper bound of the terms of block b.  Continuous: cmax - (d inv_min)^2 / 2
 * with d the distance from v to the block's means.  Stepped: a normal mass
 * of [lb, ub] is at most its width times the density at the nearest point,
 * and at most 1: cmax + min(0, log((ub - lb) inv_max) - log sqrt(2 pi)
 * - (d inv_min)^2 / 2) with d the distance from [lb, ub] to the means.
 */
static inline double
block_bound(const TpeParzen *pe, int b, double lb, double ub, double log_width)
{
	double		lo = pe->blk_lo[b];
	double		hi = pe->blk_hi[b];
	double		d = lb > hi ? lb - hi : (ub < lo ? lo - ub : 0.0);
	double		z = d * pe->blk_inv_min[b];
	double		shape;

	if (pe->dims[0]->q == 0.0)
		return pe->blk_cmax[b] - 0.5 * z * z;
	shape = log_width + pe->blk_log_inv_max[b] - TPE_NORM_LOG_C - 0.5 * z * z;
	return pe->blk_cmax[b] + (shape < 0.0 ? shape : 0.0);
}

/*
 * Sum exp(t[k] - max) over one block's terms above max - TPE_LSE_CUTOFF,
 * branch-free: terms below are clamped into exp_tail's range and masked.
 */
/* Two doubles, and their bits, for code gcc turns into SSE2 (or scalar pairs elsewhere). */
typedef double v2d __attribute__((vector_size(16)));
typedef int64_t v2i __attribute__((vector_size(16)));
typedef uint64_t v2u __attribute__((vector_size(16)));

/*
 * exp_tail on two lanes, bit for bit: k from the bits of d 64/ln2 + shift
 * (no integer conversion), 2^m added to the table's exponent bits as
 * (k - j) << 46.
 */
static inline v2d
exp_tail_v2(v2d d)
{
	const v2d	shift = {0x1.8p52, 0x1.8p52};
	const v2d	inv_ln2_64 = {92.332482616893656, 92.332482616893656};
	const v2d	ln2_hi_64 = {6.93147180369123816490e-01 / 64.0, 6.93147180369123816490e-01 / 64.0};
	const v2d	ln2_lo_64 = {1.90821492927058770002e-10 / 64.0, 1.90821492927058770002e-10 / 64.0};
	const v2d	one = {1.0, 1.0};
	const v2d	c2 = {0.5, 0.5};
	const v2d	c3 = {1.0 / 6.0, 1.0 / 6.0};
	const v2d	c4 = {1.0 / 24.0, 1.0 / 24.0};
	const v2d	c5 = {1.0 / 120.0, 1.0 / 120.0};
	const v2u	shift_bits = {0x4338000000000000ULL, 0x4338000000000000ULL};
	v2d			sh = d * inv_ln2_64 + shift;
	v2d			kd = sh - shift;
	v2d			r = (d - kd * ln2_hi_64) - kd * ln2_lo_64;
	v2u			k = (v2u) sh - shift_bits;
	v2u			j = k & 63;
	v2d			p = one + r * (one + r * (c2 + r * (c3 + r * (c4 + r * c5))));
	v2d			tab = {exp2_64[j[0]], exp2_64[j[1]]};
	v2u			scale = (v2u) tab + ((k - j) << 46);

	return (v2d) scale * p;
}

/*
 * Sum exp(t[k] - max) over one block's terms above max - TPE_LSE_CUTOFF,
 * two at a time: terms below are clamped into exp_tail's range and masked.
 */
static inline __attribute__((always_inline)) double
sum_block(const double *restrict t, double max)
{
	const v2d	mx = {max, max};
	const v2d	floor_ = {max - TPE_LSE_CUTOFF, max - TPE_LSE_CUTOFF};
	const v2d	lo = {-TPE_LSE_CUTOFF, -TPE_LSE_CUTOFF};
	v2d			s0 = {0.0, 0.0};
	v2d			s1 = {0.0, 0.0};
	int			k;

	for (k = 0; k < TPE_BLOCK; k += 4)
	{
		v2d			t0;
		v2d			t1;
		v2d			d0;
		v2d			d1;
		v2i			live0;
		v2i			live1;
		v2i			in0;
		v2i			in1;

		memcpy(&t0, t + k, sizeof(t0));
		memcpy(&t1, t + k + 2, sizeof(t1));
		live0 = t0 > floor_;
		live1 = t1 > floor_;
		d0 = t0 - mx;
		d1 = t1 - mx;
		in0 = d0 > lo;
		in1 = d1 > lo;
		d0 = (v2d) (((v2i) d0 & in0) | ((v2i) lo & ~in0));
		d1 = (v2d) (((v2i) d1 & in1) | ((v2i) lo & ~in1));
		s0 += (v2d) ((v2i) exp_tail_v2(d0) & live0);
		s1 += (v2d) ((v2i) exp_tail_v2(d1) & live1);
	}
	s0 += s1;
	return s0[0] + s0[1];
}

/* Four doubles, and their bits: AVX2 in the avx2 clone, SSE2 pairs otherwise. */
typedef double v4d __attribute__((vector_size(32)));
typedef int64_t v4i __attribute__((vector_size(32)));
typedef uint64_t v4u __attribute__((vector_size(32)));

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TPE_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TPE_CLONES
#endif

/* exp_tail on four lanes, bit for bit (see exp_tail_v2); by pointer, as 32-byte vectors by value change the ABI. */
static inline __attribute__((always_inline)) void
exp_tail_v4(const v4d *dp, v4d *out)
{
	v4d			d = *dp;
	const v4d	shift = {0x1.8p52, 0x1.8p52, 0x1.8p52, 0x1.8p52};
	const double ci = 92.332482616893656;
	const double ch = 6.93147180369123816490e-01 / 64.0;
	const double cl = 1.90821492927058770002e-10 / 64.0;
	const v4d	inv_ln2_64 = {ci, ci, ci, ci};
	const v4d	ln2_hi_64 = {ch, ch, ch, ch};
	const v4d	ln2_lo_64 = {cl, cl, cl, cl};
	const v4d	one = {1.0, 1.0, 1.0, 1.0};
	const v4d	c2 = {0.5, 0.5, 0.5, 0.5};
	const v4d	c3 = {1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0};
	const v4d	c4 = {1.0 / 24.0, 1.0 / 24.0, 1.0 / 24.0, 1.0 / 24.0};
	const v4d	c5 = {1.0 / 120.0, 1.0 / 120.0, 1.0 / 120.0, 1.0 / 120.0};
	const uint64_t sb = 0x4338000000000000ULL;
	const v4u	shift_bits = {sb, sb, sb, sb};
	v4d			sh = d * inv_ln2_64 + shift;
	v4d			kd = sh - shift;
	v4d			r = (d - kd * ln2_hi_64) - kd * ln2_lo_64;
	v4u			k = (v4u) sh - shift_bits;
	v4u			j = k & 63;
	v4d			p = one + r * (one + r * (c2 + r * (c3 + r * (c4 + r * c5))));
	v4d			tab = {exp2_64[j[0]], exp2_64[j[1]], exp2_64[j[2]], exp2_64[j[3]]};
	v4u			scale = (v4u) tab + ((k - j) << 46);

	*out = (v4d) scale * p;
}

/*
 * The continuous case of log_pdf_fast_1d in one pass, four kernels at a
 * time: block first, then every block whose bound reaches the running
 * maximum minus the cut-off.  Each block's terms are computed in registers,
 * its maximum taken, the running sum (per lane) rescaled when the maximum
 * grows, and exp(t - max) added for the terms above the cut-off.
 */
TPE_CLONES static double
log_pdf_cont_1d(const TpeParzen *pe, double v, int first)
{
	const v4d	vv = {v, v, v, v};
	const v4d	half = {0.5, 0.5, 0.5, 0.5};
	const double cut = -TPE_LSE_CUTOFF;
	const v4d	lo = {cut, cut, cut, cut};
	v4d			acc = {0.0, 0.0, 0.0, 0.0};
	double		max = -INFINITY;
	int			i;
	int			b;

	for (i = -1; i < pe->n_blocks; i++)
	{
		const double *mu;
		const double *inv;
		const double *cst;
		v4d			t[TPE_BLOCK / 4];
		v4d			bm;
		v4d			mx;
		v4d			floor_;
		double		m;
		int			q;

		b = i < 0 ? first : i;
		if (i >= 0)
		{
			double		d;
			double		z;

			if (b == first)
				continue;
			d = v > pe->blk_hi[b] ? v - pe->blk_hi[b] :
				(v < pe->blk_lo[b] ? pe->blk_lo[b] - v : 0.0);
			z = d * pe->blk_inv_min[b];
			if (pe->blk_cmax[b] - 0.5 * z * z <= max - TPE_LSE_CUTOFF)
				continue;
		}
		mu = pe->ev_mu + (size_t) b * TPE_BLOCK;
		inv = pe->ev_inv_sigma + (size_t) b * TPE_BLOCK;
		cst = pe->ev_const + (size_t) b * TPE_BLOCK;
		for (q = 0; q < TPE_BLOCK / 4; q++)
		{
			v4d			a;
			v4d			s;
			v4d			c;
			v4d			z;

			memcpy(&a, mu + 4 * q, sizeof(a));
			memcpy(&s, inv + 4 * q, sizeof(s));
			memcpy(&c, cst + 4 * q, sizeof(c));
			z = (vv - a) * s;
			t[q] = c - half * z * z;
		}
		bm = t[0];
		for (q = 1; q < TPE_BLOCK / 4; q++)
		{
			v4i			gt = t[q] > bm;

			bm = (v4d) (((v4i) t[q] & gt) | ((v4i) bm & ~gt));
		}
		m = bm[0];
		m = bm[1] > m ? bm[1] : m;
		m = bm[2] > m ? bm[2] : m;
		m = bm[3] > m ? bm[3] : m;
		if (m <= max - TPE_LSE_CUTOFF)
			continue;
		if (m > max)
		{
			double		d = max - m;

			if (d > -TPE_LSE_CUTOFF)
			{
				double		e = exp_tail(d);
				const v4d	ev = {e, e, e, e};

				acc *= ev;
			}
			else
			{
				const v4d	zero = {0.0, 0.0, 0.0, 0.0};

				acc = zero;
			}
			max = m;
		}
		mx = (v4d) {max, max, max, max};
		floor_ = (v4d) {max - TPE_LSE_CUTOFF, max - TPE_LSE_CUTOFF,
			max - TPE_LSE_CUTOFF, max - TPE_LSE_CUTOFF};
		for (q = 0; q < TPE_BLOCK / 4; q++)
		{
			v4i			live = t[q] > floor_;
			v4d			d = t[q] - mx;
			v4i			in = d > lo;
			v4d			e;

			d = (v4d) (((v4i) d & in) | ((v4i) lo & ~in));
			exp_tail_v4(&d, &e);
			acc += (v4d) ((v4i) e & live);
		}
	}
	if (!isfinite(max))
		return max;
	return log((acc[0] + acc[1]) + (acc[2] + acc[3])) + max;
}

/*
 * log density of one numerical parameter, one pass with an online
 * log-sum-exp: the block whose means reach v goes first and sets the
 * running maximum; a block whose upper bound falls below that maximum minus
 * the cut-off holds only terms the sum skips anyway.  When a block raises
 * the maximum the sum so far is rescaled (terms that fall below the new
 * cut-off stay in: each is under e^-37 of the largest, as the cut-off
 * allows).
 */
static double
log_pdf_fast_1d(const TpeParzen *pe, double v)
{
	const TpeDim *dim = pe->dims[0];
	double		t[TPE_BLOCK];
	double		max;
	double		sum;
	double		lb = v;
	double		ub = v;
	double		log_width = 0.0;
	int			first = 0;
	int			b;

	if (v < dim->low || v > dim->high)
		return -INFINITY;
	if (dim->q > 0.0)
	{
		ub = v + dim->q / 2.0 < dim->high ? v + dim->q / 2.0 : dim->high;
		lb = v - dim->q / 2.0 > dim->low ? v - dim->q / 2.0 : dim->low;
		log_width = log(ub - lb);
	}
	/* seed the maximum with the block whose means reach v */
	while (first < pe->n_blocks - 1 && pe->blk_hi[first] < v)
		first++;
	if (dim->q == 0.0)
		return log_pdf_cont_1d(pe, v, first);
	max = eval_block(pe, first, v, lb, ub, t);
	sum = isfinite(max) ? sum_block(t, max) : 0.0;
	for (b = 0; b < pe->n_blocks; b++)
	{
		double		m;

		if (b == first || block_bound(pe, b, lb, ub, log_width) <= max - TPE_LSE_CUTOFF)
			continue;
		m = eval_block(pe, b, v, lb, ub, t);
		if (m <= max - TPE_LSE_CUTOFF)
			continue;
		if (m > max)
		{
			double		d = max - m;

			sum = d > -TPE_LSE_CUTOFF ? sum * exp_tail(d) : 0.0;
			max = m;
		}
		sum += sum_block(t, max);
	}
	if (!isfinite(max))
		return max;
	return log(sum) + max;
}

/* log density of one internal point (Optuna's log_pdf). */
double
TpeParzenLogPdf(const TpeParzen *pe, const double *x)
{
	int			nk = pe->n_kernels;
	double	   *t = pe->scratch;
	double		max = -INFINITY;
	double		sum = 0.0;
	int			j;
	int			k;

	/* one categorical parameter: the mixture's choice probabilities directly */
	if (pe->n_dims == 1 && pe->dims[0]->categorical)
	{
		int			nc = pe->dims[0]->n_choices;
		int			c = (int) x[0];
		const double *probs = pe->kernels[0].probs;

		if (c < 0 || c >= nc)
			return -INFINITY;
		for (k = 0; k < nk; k++)
			sum += probs[(size_t) k * nc + c] * pe->weights[k];
		return log(sum);
	}

	/* one numerical parameter: folded kernels in blocks, far blocks skipped */
	if (pe->fast_1d)
		return log_pdf_fast_1d(pe, x[0]);

	for (k = 0; k < nk; k++)
		t[k] = 0.0;
	for (j = 0; j < pe->n_dims; j++)
	{
		const TpeDim *dim = pe->dims[j];
		const TpeKernels *kern = &pe->kernels[j];
		double		v = x[j];

		if (dim->categorical)
		{
			int			nc = dim->n_choices;
			int			c = (int) v;

			if (c < 0 || c >= nc)
				return -INFINITY;
			for (k = 0; k < nk; k++)
				t[k] += log(kern->probs[(size_t) k * nc + c]);
		}
		else if (v < dim->low || v > dim->high)
			return -INFINITY;
		else if (dim->q == 0.0)
		{
			for (k = 0; k < nk; k++)
			{
				double		z = (v - kern->mus[k]) / kern->sigmas[k];

				t[k] += -(z * z) / 2.0 - TPE_NORM_LOG_C - kern->log_p_accept[k];
			}
		}
		else
		{
			double		ub = v + dim->q / 2.0 < dim->high ? v + dim->q / 2.0 : dim->high;
			double		lb = v - dim->q / 2.0 > dim->low ? v - dim->q / 2.0 : dim->low;

			for (k = 0; k < nk; k++)
				t[k] += TpeLogGaussMass((lb - kern->mus[k]) / kern->sigmas[k],
										(ub - kern->mus[k]) / kern->sigmas[k])
					- kern->log_p_accept[k];
		}
	}
	for (k = 0; k < nk; k++)
	{
		t[k] += pe->log_weights[k];
		if (t[k] > max)
			max = t[k];
	}
	return log_sum_exp_tail(t, nk, max);
}

/* Draw one internal point: a kernel by weight, then each parameter from it. */
void
TpeParzenSample(const TpeParzen *pe, PtRng *rng, double *x)
{
	double		u = PtRngUniform(rng);
	int			lo = 0;
	int			hi = pe->n_kernels - 1;
	int			k;
	int			j;

	/* first kernel whose cumulative weight exceeds u (numpy's searchsorted, right) */
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (pe->cum_weights[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	k = lo;

	for (j = 0; j < pe->n_dims; j++)
	{
		const TpeDim *dim = pe->dims[j];
		const TpeKernels *kern = &pe->kernels[j];
		double		u2 = PtRngUniform(rng);

		if (dim->categorical)
		{
			int			nc = dim->n_choices;
			const double *row = kern->probs + (size_t) k * nc;
			double		cum = 0.0;
			int			c;
			int			pick = 0;

			/* Optuna: the number of cumulative probabilities below u */
			for (c = 0; c < nc; c++)
			{
				cum += row[c];
				if (cum < u2)
					pick++;
			}
			x[j] = pick < nc ? pick : nc - 1;
		}
		else
		{
			double		mu = kern->mus[k];
			double		s = kern->sigmas[k];
			double		z = TpeTruncnormPpf(u2, (dim->low - mu) / s, (dim->high - mu) / s);

			x[j] = clip(z * s + mu, dim->low, dim->high);
		}
	}
}

/* Release an estimator's arrays; it may be built again after TpeParzenInit. */
void
TpeParzenFree(TpeParzen *pe)
{
	int			j;

	for (j = 0; j < pe->cap_dims; j++)
	{
		PtFree(pe->kernels[j].mus);
		PtFree(pe->kernels[j].sigmas);
		PtFree(pe->kernels[j].log_p_accept);
		PtFree(pe->kernels[j].order);
		PtFree(pe->kernels[j].probs);
	}
	PtFree(pe->kernels);
	PtFree(pe->weights);
	PtFree(pe->log_weights);
	PtFree(pe->cum_weights);
	PtFree(pe->scratch);
	PtFree(pe->ev_mu);
	PtFree(pe->ev_inv_sigma);
	PtFree(pe->ev_const);
	PtFree(pe->ext);
	PtFree(pe->blk_lo);
	PtFree(pe->blk_hi);
	PtFree(pe->blk_cmax);
	PtFree(pe->blk_inv_min);
	PtFree(pe->blk_log_inv_max);
	memset(pe, 0, sizeof(*pe));
}
