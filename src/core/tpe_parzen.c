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
	int			i;
	int			c;

	kern->probs = PtMalloc(sizeof(double) * (size_t) nk * (size_t) nc);
	if (kern->probs == NULL)
		return PT_ERR_OUT_OF_MEMORY;
	for (i = 0; i < nk * nc; i++)
		kern->probs[i] = value;
	for (i = 0; i < pe->n_obs; i++)
	{
		c = (int) obs[(size_t) i * stride];
		if (c < 0)
			c = 0;
		if (c >= nc)
			c = nc - 1;
		kern->probs[(size_t) i * nc + c] += 1.0;
	}
	for (i = 0; i < nk; i++)
	{
		double	   *row = kern->probs + (size_t) i * nc;
		double		sum = 0.0;

		for (c = 0; c < nc; c++)
			sum += row[c];
		for (c = 0; c < nc; c++)
			row[c] /= sum;
	}
	return PT_OK;
}

/*
 * Bandwidths from the gaps between sorted means (independent mode).  idx is
 * the sorting permutation: given (known), or computed here.
 */
static int
gap_sigmas(const double *mus, int nk, double low, double high, bool endpoints, int *idx,
		   bool known, double *sigmas)
{
	double	   *ext = PtMalloc(sizeof(double) * (size_t) (nk + 2));
	int			p;

	if (ext == NULL)
		return PT_ERR_OUT_OF_MEMORY;
	if (!known)
		TpeArgsort(mus, nk, idx);
	ext[0] = low;
	for (p = 0; p < nk; p++)
		ext[p + 1] = mus[idx[p]];
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
	PtFree(ext);
	return PT_OK;
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
	int			i;
	int			rc;

	kern->mus = PtMalloc(sizeof(double) * (size_t) nk);
	kern->sigmas = PtMalloc(sizeof(double) * (size_t) nk);
	kern->log_p_accept = PtMalloc(sizeof(double) * (size_t) nk);
	if (kern->mus == NULL || kern->sigmas == NULL || kern->log_p_accept == NULL)
		return PT_ERR_OUT_OF_MEMORY;
	for (i = 0; i < n; i++)
		kern->mus[i] = obs[(size_t) i * stride];
	kern->mus[n] = 0.5 * (dim->low + dim->high);

	if (params->multivariate)
	{
		double		sigma0 = TPE_SIGMA0_MAGNITUDE *
			pow((double) (n > 1 ? n : 1), -1.0 / (pe->n_dims + 4));

		for (i = 0; i < nk; i++)
			kern->sigmas[i] = sigma0 * range;
	}
	else
	{
		kern->order = PtMalloc(sizeof(int) * (size_t) nk);
		if (kern->order == NULL)
			return PT_ERR_OUT_OF_MEMORY;
		if (order != NULL)
			memcpy(kern->order, order, sizeof(int) * (size_t) nk);
		rc = gap_sigmas(kern->mus, nk, dim->low, dim->high, params->consider_endpoints,
						kern->order, order != NULL, kern->sigmas);
		if (rc != PT_OK)
			return rc;
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

/* Fold one continuous parameter's kernels, sorted by mu, for TpeParzenLogPdf. */
static int
build_fast_1d(TpeParzen *pe)
{
	const TpeKernels *kern = &pe->kernels[0];
	int			nk = pe->n_kernels;
	int			p;

	pe->ev_mu = PtMalloc(sizeof(double) * (size_t) nk);
	pe->ev_inv_sigma = PtMalloc(sizeof(double) * (size_t) nk);
	pe->ev_const = PtMalloc(sizeof(double) * (size_t) nk);
	if (pe->ev_mu == NULL || pe->ev_inv_sigma == NULL || pe->ev_const == NULL)
		return PT_ERR_OUT_OF_MEMORY;
	for (p = 0; p < nk; p++)
	{
		int			k = kern->order != NULL ? kern->order[p] : p;

		pe->ev_mu[p] = kern->mus[k];
		pe->ev_inv_sigma[p] = 1.0 / kern->sigmas[k];
		pe->ev_const[p] = pe->log_weights[k] - TPE_NORM_LOG_C - kern->log_p_accept[k];
	}
	return PT_OK;
}

/* Build an estimator. */
int
TpeParzenBuild(TpeParzen *pe, const TpeDim *const *dims, int n_dims,
			   const double *obs, int obs_stride, int n_obs,
			   const TpeParzenParams *params, const int *const *orders, PtError *err)
{
	int			j;
	int			rc = PT_OK;

	memset(pe, 0, sizeof(*pe));
	pe->n_dims = n_dims;
	pe->dims = dims;
	pe->n_obs = n_obs;
	pe->n_kernels = n_obs + 1;
	pe->weights = PtMalloc(sizeof(double) * (size_t) pe->n_kernels);
	pe->log_weights = PtMalloc(sizeof(double) * (size_t) pe->n_kernels);
	pe->cum_weights = PtMalloc(sizeof(double) * (size_t) pe->n_kernels);
	pe->scratch = PtMalloc(sizeof(double) * (size_t) pe->n_kernels);
	pe->kernels = PtCalloc((size_t) (n_dims > 0 ? n_dims : 1), sizeof(TpeKernels));
	if (pe->weights == NULL || pe->log_weights == NULL || pe->cum_weights == NULL ||
		pe->scratch == NULL || pe->kernels == NULL)
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
	if (rc == PT_OK && n_dims == 1 && !dims[0]->categorical && dims[0]->q == 0.0)
		rc = build_fast_1d(pe);
	if (rc != PT_OK)
	{
		TpeParzenFree(pe);
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory building a TPE estimator");
	}
	return PT_OK;
}

/*
 * e^d for -TPE_LSE_CUTOFF <= d <= 0, inline: d = k ln 2 + r with |r| <= ln 2 / 2
 * (Cody-Waite), e^r by its Taylor series to r^13 (truncation < 5e-18), times
 * 2^k built in the exponent bits.  Within a few ulp of libm's exp, at a
 * fraction of the cost; the log density sums thousands of these.
 */
static inline double
exp_tail(double d)
{
	const double round_magic = 0x1.8p52;	/* adding it rounds to an integer */
	const double log2e = 1.44269504088896338700e+00;
	const double ln2_hi = 6.93147180369123816490e-01;	/* exact times small k */
	const double ln2_lo = 1.90821492927058770002e-10;
	double		k = (d * log2e + round_magic) - round_magic;
	double		r = (d - k * ln2_hi) - k * ln2_lo;
	double		p;
	union
	{
		double		f;
		uint64_t	u;
	}			scale;

	p = 1.0 / 6227020800.0;		/* 1/13! */
	p = p * r + 1.0 / 479001600.0;
	p = p * r + 1.0 / 39916800.0;
	p = p * r + 1.0 / 3628800.0;
	p = p * r + 1.0 / 362880.0;
	p = p * r + 1.0 / 40320.0;
	p = p * r + 1.0 / 5040.0;
	p = p * r + 1.0 / 720.0;
	p = p * r + 1.0 / 120.0;
	p = p * r + 1.0 / 24.0;
	p = p * r + 1.0 / 6.0;
	p = p * r + 0.5;
	p = p * r + 1.0;
	p = p * r + 1.0;
	scale.u = (uint64_t) ((int64_t) k + 1023) << 52;
	return p * scale.f;
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
			sum += exp(t[k] - max);
	}
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

	/* one continuous parameter: folded kernels, in mu order so the cut-off branch predicts */
	if (pe->ev_mu != NULL)
	{
		double		v = x[0];

		if (v < pe->dims[0]->low || v > pe->dims[0]->high)
			return -INFINITY;
		for (k = 0; k < nk; k++)
		{
			double		z = (v - pe->ev_mu[k]) * pe->ev_inv_sigma[k];

			t[k] = pe->ev_const[k] - 0.5 * z * z;
			max = t[k] > max ? t[k] : max;
		}
		return log_sum_exp_tail(t, nk, max);
	}

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

/* Release an estimator's arrays. */
void
TpeParzenFree(TpeParzen *pe)
{
	int			j;

	if (pe->kernels != NULL)
	{
		for (j = 0; j < pe->n_dims; j++)
		{
			PtFree(pe->kernels[j].mus);
			PtFree(pe->kernels[j].sigmas);
			PtFree(pe->kernels[j].log_p_accept);
			PtFree(pe->kernels[j].probs);
			PtFree(pe->kernels[j].order);
		}
	}
	PtFree(pe->kernels);
	PtFree(pe->weights);
	PtFree(pe->log_weights);
	PtFree(pe->cum_weights);
	PtFree(pe->scratch);
	PtFree(pe->ev_mu);
	PtFree(pe->ev_inv_sigma);
	PtFree(pe->ev_const);
	memset(pe, 0, sizeof(*pe));
}
