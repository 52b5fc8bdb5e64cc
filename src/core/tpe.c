/*
 * tpe.c — the "tpe" strategy: Optuna 3.1's TPESampler, single objective.
 *
 * Until n_startup_trials ok trials exist, points are uniform
 * (PtSampleUniformPoint).  Then, per parameter (or jointly when
 * options.tpe.multivariate), the ok trials are split into the best gamma(n)
 * (l) and the rest (g), a Parzen estimator is fitted to each, n_ei_candidates
 * points are drawn from l and the one with the largest log l - log g is
 * proposed.  Failed and refused trials are left out, as Optuna leaves out
 * FAIL trials.  Each suggestion rebuilds the estimators from the in-memory
 * history: linear work plus one sort per parameter, no I/O.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pt_alloc.h"
#include "strategy.h"
#include "tpe.h"
#include "tpe_parzen.h"

#define TPE_REASONING_MAX 160

typedef struct TpeState
{
	const PtSpace *space;
	TpeOptions	opt;
	PtRng		rng;
	TpeDim	   *dims;			/* one per parameter */
	const TpeDim **active;		/* the modelled (non-fixed) parameters */
	int			n_active;
	/* work arrays, grown with the history */
	int			cap;
	int		   *usable;
	double	   *scores;
	int		   *below;
	int		   *above;
	double	   *obs_below;		/* n x n_active, internal values */
	double	   *obs_above;
	double	   *cand;			/* n_ei_candidates x n_active */
} TpeState;

/* Release the state. */
static void
tpe_free(void *vstate)
{
	TpeState   *st = vstate;

	if (st == NULL)
		return;
	PtFree(st->dims);
	PtFree(st->active);
	PtFree(st->usable);
	PtFree(st->scores);
	PtFree(st->below);
	PtFree(st->above);
	PtFree(st->obs_below);
	PtFree(st->obs_above);
	PtFree(st->cand);
	PtFree(st);
}

/* New state: parse options.tpe, describe the parameters, seed the generator. */
static void *
tpe_init(const PtSpace *space, uint64_t seed, const char *options_json, PtError *err)
{
	TpeOptions	opt;
	TpeState   *st;
	int			n_params = space != NULL ? space->n_params : 0;
	int			j;

	if (TpeOptionsParse(options_json, &opt, err) != PT_OK)
		return NULL;
	st = PtCalloc(1, sizeof(TpeState));
	if (st == NULL)
		goto oom;
	st->space = space;
	st->opt = opt;
	PtRngSeed(&st->rng, opt.has_seed ? opt.seed : seed);
	st->dims = PtCalloc((size_t) (n_params > 0 ? n_params : 1), sizeof(TpeDim));
	st->active = PtCalloc((size_t) (n_params > 0 ? n_params : 1), sizeof(TpeDim *));
	st->cand = PtMalloc(sizeof(double) * (size_t) opt.n_ei_candidates *
						(size_t) (n_params > 0 ? n_params : 1));
	if (st->dims == NULL || st->active == NULL || st->cand == NULL)
		goto oom;
	for (j = 0; j < n_params; j++)
	{
		TpeDimFromParam(&space->params[j], &st->dims[j]);
		if (!st->dims[j].fixed)
			st->active[st->n_active++] = &st->dims[j];
	}
	return st;

oom:
	tpe_free(st);
	PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory creating the tpe strategy");
	return NULL;
}

/* Grow the work arrays to hold n trials. */
static int
ensure_capacity(TpeState *st, int n)
{
	int			cap = st->cap;
	size_t		width = (size_t) (st->n_active > 0 ? st->n_active : 1);

	if (n <= cap)
		return PT_OK;
	while (cap < n)
		cap = cap < 64 ? 64 : cap * 2;
#define GROW(field, type, count) \
	do { \
		type *p_ = PtRealloc(st->field, sizeof(type) * (count)); \
		if (p_ == NULL) \
			return PT_ERR_OUT_OF_MEMORY; \
		st->field = p_; \
	} while (0)
	GROW(usable, int, (size_t) cap);
	GROW(scores, double, (size_t) cap);
	GROW(below, int, (size_t) cap);
	GROW(above, int, (size_t) cap);
	GROW(obs_below, double, (size_t) cap * width);
	GROW(obs_above, double, (size_t) cap * width);
#undef GROW
	st->cap = cap;
	return PT_OK;
}

/* Internal values of the listed trials for parameters cols[0..n_cols-1], row-major. */
static void
gather(const TpeState *st, const PtHistory *history, const int *which, int n_rows,
	   const int *cols, int n_cols, double *obs)
{
	int			i;
	int			c;

	for (i = 0; i < n_rows; i++)
	{
		const double *x = history->trials[st->usable[which[i]]].x;

		for (c = 0; c < n_cols; c++)
			obs[(size_t) i * n_cols + c] = TpeToInternal(&st->dims[cols[c]], x[cols[c]]);
	}
}

/*
 * Fit l and g over the parameters cols[0..n_cols-1], draw the candidates
 * from l and write the best (internal values) to best.
 */
static int
suggest(TpeState *st, const PtHistory *history, const int *cols, int n_cols,
		int n_below, int n_above, double *best, PtError *err)
{
	const TpeDim *dims[PT_SPACE_MAX_PARAMS];
	TpeParzenParams pp;
	TpeParzen	l;
	TpeParzen	g;
	double		best_score = -INFINITY;
	int			best_c = 0;
	int			c;
	int			rc;

	for (c = 0; c < n_cols; c++)
		dims[c] = &st->dims[cols[c]];
	pp.prior_weight = st->opt.prior_weight;
	pp.consider_magic_clip = st->opt.consider_magic_clip;
	pp.consider_endpoints = st->opt.consider_endpoints;
	pp.multivariate = st->opt.multivariate;

	gather(st, history, st->below, n_below, cols, n_cols, st->obs_below);
	gather(st, history, st->above, n_above, cols, n_cols, st->obs_above);
	rc = TpeParzenBuild(&l, dims, n_cols, st->obs_below, n_cols, n_below, &pp, err);
	if (rc != PT_OK)
		return rc;
	rc = TpeParzenBuild(&g, dims, n_cols, st->obs_above, n_cols, n_above, &pp, err);
	if (rc != PT_OK)
	{
		TpeParzenFree(&l);
		return rc;
	}
	for (c = 0; c < st->opt.n_ei_candidates; c++)
		TpeParzenSample(&l, &st->rng, st->cand + (size_t) c * n_cols);
	for (c = 0; c < st->opt.n_ei_candidates; c++)
	{
		const double *x = st->cand + (size_t) c * n_cols;
		double		score = TpeParzenLogPdf(&l, x) - TpeParzenLogPdf(&g, x);

		/* the first maximum wins, as numpy's argmax */
		if (c == 0 || score > best_score)
		{
			best_score = score;
			best_c = c;
		}
	}
	memcpy(best, st->cand + (size_t) best_c * n_cols, sizeof(double) * (size_t) n_cols);
	TpeParzenFree(&l);
	TpeParzenFree(&g);
	return PT_OK;
}

/* A short reasoning line for the trajectory (PtMalloc'd, or NULL). */
static char *
reasoning(bool startup, int n, int n_startup, int n_below, bool multivariate)
{
	char		buf[TPE_REASONING_MAX];

	if (startup)
		snprintf(buf, sizeof(buf), "tpe start-up: uniform sample (%d of %d ok trials before the model)",
				 n, n_startup);
	else
		snprintf(buf, sizeof(buf), "tpe%s: l from the best %d of %d ok trials, g from the other %d",
				 multivariate ? " multivariate" : "", n_below, n, n - n_below);
	return PtStrdup(buf);
}

/* Propose the next point. */
static int
tpe_propose(void *vstate, const PtHistory *history, PtProposal *out, const PtStop *stop,
			PtError *err)
{
	TpeState   *st = vstate;
	const PtSpace *space = st->space;
	int			n_hist = history != NULL ? history->n : 0;
	int			cols[PT_SPACE_MAX_PARAMS];
	double		best[PT_SPACE_MAX_PARAMS];
	int			n;
	int			n_below;
	int			i;
	int			j;
	int			rc;

	out->source = PT_SOURCE_TPE;
	out->reasoning = NULL;
	if (ensure_capacity(st, n_hist > 0 ? n_hist : 1) != PT_OK)
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory in the tpe strategy");
	n = TpeUsableTrials(history, st->usable);

	if (n < st->opt.n_startup_trials || st->n_active == 0)
	{
		PtSampleUniformPoint(space, &st->rng, out->x);
		out->reasoning = reasoning(true, n, st->opt.n_startup_trials, 0, false);
		return PT_OK;
	}

	for (i = 0; i < n; i++)
		st->scores[i] = history->trials[st->usable[i]].score;
	n_below = TpeGamma(st->opt.gamma, n);
	TpeSplit(st->scores, n, n_below, st->below, st->above);

	/* fixed parameters keep their single value */
	for (j = 0; j < space->n_params; j++)
		out->x[j] = st->dims[j].categorical ? 0.0 : st->dims[j].ext_low;

	if (st->opt.multivariate)
	{
		int			n_cols = 0;

		for (j = 0; j < space->n_params; j++)
			if (!st->dims[j].fixed)
				cols[n_cols++] = j;
		if (PtStopRequested(stop))
			return PtErrorSet(err, PT_ERR_CANCELLED, "tpe suggestion cancelled");
		rc = suggest(st, history, cols, n_cols, n_below, n - n_below, best, err);
		if (rc != PT_OK)
			return rc;
		for (i = 0; i < n_cols; i++)
			out->x[cols[i]] = TpeFromInternal(&st->dims[cols[i]], best[i]);
	}
	else
	{
		for (j = 0; j < space->n_params; j++)
		{
			if (st->dims[j].fixed)
				continue;
			if (PtStopRequested(stop))
				return PtErrorSet(err, PT_ERR_CANCELLED, "tpe suggestion cancelled");
			cols[0] = j;
			rc = suggest(st, history, cols, 1, n_below, n - n_below, best, err);
			if (rc != PT_OK)
				return rc;
			out->x[j] = TpeFromInternal(&st->dims[j], best[0]);
		}
	}
	out->reasoning = reasoning(false, n, st->opt.n_startup_trials, n_below, st->opt.multivariate);
	return PT_OK;
}

const PtStrategyOps PtTpeStrategy = {
	.name = "tpe",
	.init = tpe_init,
	.propose = tpe_propose,
	.observe = NULL,
	.free = tpe_free,
};
