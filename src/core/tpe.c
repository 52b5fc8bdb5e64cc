/*
 * tpe.c — the "tpe" strategy: Optuna 3.1's TPESampler, single objective.
 *
 * Until n_startup_trials ok trials exist, points are uniform
 * (PtSampleUniformPoint).  Then, per parameter (or jointly when
 * options.tpe.multivariate), the ok trials are split into the best gamma(n)
 * (l) and the rest (g), a Parzen estimator is fitted to each, n_ei_candidates
 * points are drawn from l and the one with the largest log l - log g is
 * proposed.  Failed and refused trials are left out, as Optuna leaves out
 * FAIL trials.
 *
 * Cost: each suggestion rebuilds the estimators from the in-memory history,
 * linear in its length.  The one sort g needs (bandwidths come from sorted
 * neighbours) is avoided for continuous parameters: the usable trials are
 * kept sorted per parameter as the history grows, and g's order is read off
 * in one pass.  When two values tie, numpy's tie order matters and the
 * numpy-compatible argsort is used instead.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pt_alloc.h"
#include "strategy.h"
#include "tpe.h"
#include "tpe_parzen.h"

#define TPE_REASONING_MAX 160
#define TPE_MIN_CAP 64

/* One continuous parameter's usable trials, ascending by internal value. */
typedef struct TpeColumn
{
	int		   *idx;			/* history indexes */
	double	   *val;			/* their internal values */
	bool		ties;			/* two usable trials share a value */
} TpeColumn;

typedef struct TpeState
{
	const PtSpace *space;
	TpeOptions	opt;
	uint64_t	seed;			/* the run seed, or options.tpe.seed */
	PtRng		rng;			/* reseeded from (seed, iter) at each proposal */
	TpeDim	   *dims;			/* one per parameter */
	int			n_active;		/* parameters that are not fixed */
	/* work arrays, grown with the history */
	int			cap;
	int		   *usable;
	double	   *scores;
	int		   *below;
	int		   *above;
	int		   *rank;			/* history index -> kernel of g, or -1 */
	int		   *order;			/* g's kernels by ascending mean */
	double	   *obs_below;		/* n x n_active, internal values */
	double	   *obs_above;
	double	   *cand;			/* n_ei_candidates x n_params */
	double	   *weights[2][3];	/* l and g mixture weights, logs, running sums */
	TpeParzen	l;				/* the estimators, refitted every suggestion */
	TpeParzen	g;
	const TpeDim *fit_dims[PT_SPACE_MAX_PARAMS];	/* the dimensions l and g were fitted over
												 * (they keep this array) */
	/* sorted columns, kept across suggestions */
	TpeColumn  *cols;			/* n_params; used for continuous parameters */
	const PtHistory *synced_history;
	int			synced;			/* trials of it already sorted in */
	int			n_sorted;		/* usable trials in each column */
	int			sorted_cap;
} TpeState;

/* Release the state. */
static void
tpe_free(void *vstate)
{
	TpeState   *st = vstate;
	int			j;

	if (st == NULL)
		return;
	if (st->cols != NULL)
	{
		for (j = 0; j < st->space->n_params; j++)
		{
			PtFree(st->cols[j].idx);
			PtFree(st->cols[j].val);
		}
	}
	PtFree(st->cols);
	PtFree(st->dims);
	PtFree(st->usable);
	PtFree(st->scores);
	PtFree(st->below);
	PtFree(st->above);
	PtFree(st->rank);
	PtFree(st->order);
	PtFree(st->obs_below);
	PtFree(st->obs_above);
	PtFree(st->cand);
	for (j = 0; j < 6; j++)
		PtFree(st->weights[j / 3][j % 3]);
	TpeParzenFree(&st->l);
	TpeParzenFree(&st->g);
	PtFree(st);
}

/* The tpe state for explicit options. */
void *
TpeCreate(const PtSpace *space, uint64_t seed, const TpeOptions *opt, PtError *err)
{
	TpeState   *st;
	int			n_params = space->n_params;
	size_t		width = (size_t) (n_params > 0 ? n_params : 1);
	int			j;

	st = PtCalloc(1, sizeof(TpeState));
	if (st == NULL)
		goto oom;
	st->space = space;
	st->opt = *opt;
	TpeParzenInit(&st->l);
	TpeParzenInit(&st->g);
	st->seed = opt->has_seed ? opt->seed : seed;
	st->dims = PtCalloc(width, sizeof(TpeDim));
	st->cols = PtCalloc(width, sizeof(TpeColumn));
	st->cand = PtMalloc(sizeof(double) * (size_t) opt->n_ei_candidates * width);
	if (st->dims == NULL || st->cols == NULL || st->cand == NULL)
		goto oom;
	for (j = 0; j < n_params; j++)
	{
		TpeDimFromParam(&space->params[j], &st->dims[j]);
		if (!st->dims[j].fixed)
			st->n_active++;
	}
	return st;

oom:
	tpe_free(st);
	PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory creating the tpe strategy");
	return NULL;
}

/* New state: read options.tpe, then TpeCreate. */
static void *
tpe_init(const PtStrategyInit *init, PtError *err)
{
	TpeOptions	opt;

	if (init->space == NULL)
	{
		PtErrorSet(err, PT_ERR_INTERNAL, "the tpe strategy needs a space");
		return NULL;
	}
	if (TpeOptionsRead(init->options, &opt, err) != PT_OK)
		return NULL;
	return TpeCreate(init->space, init->seed, &opt, err);
}

/* Grow a work array to count elements; false when out of memory. */
static bool
grow(void **field, size_t elem, size_t count)
{
	void	   *p = PtRealloc(*field, elem * count);

	if (p == NULL)
		return false;
	*field = p;
	return true;
}

/* Grow the work arrays to hold n trials. */
static int
ensure_capacity(TpeState *st, int n)
{
	int			cap = st->cap;
	size_t		width = (size_t) (st->n_active > 0 ? st->n_active : 1);
	int			i;

	if (n <= cap)
		return PT_OK;
	while (cap < n)
		cap = cap < TPE_MIN_CAP ? TPE_MIN_CAP : cap * 2;
	if (!grow((void **) &st->usable, sizeof(int), cap) ||
		!grow((void **) &st->scores, sizeof(double), cap) ||
		!grow((void **) &st->below, sizeof(int), cap) ||
		!grow((void **) &st->above, sizeof(int), cap) ||
		!grow((void **) &st->rank, sizeof(int), cap) ||
		!grow((void **) &st->order, sizeof(int), (size_t) cap + 1) ||
		!grow((void **) &st->obs_below, sizeof(double), (size_t) cap * width) ||
		!grow((void **) &st->obs_above, sizeof(double), (size_t) cap * width))
		return PT_ERR_OUT_OF_MEMORY;
	for (i = 0; i < 6; i++)
		if (!grow((void **) &st->weights[i / 3][i % 3], sizeof(double), (size_t) cap + 1))
			return PT_ERR_OUT_OF_MEMORY;
	st->cap = cap;
	return PT_OK;
}

/* True for parameters whose usable values are kept sorted. */
static inline bool
sorted_column(const TpeDim *dim)
{
	return !dim->fixed && !dim->categorical && dim->q == 0.0;
}

/* Sort the history's new usable trials into the columns (insertion: linear per trial). */
static int
sync_columns(TpeState *st, const PtHistory *history)
{
	int			n_params = st->space->n_params;
	int			t;
	int			j;

	if (st->opt.multivariate || st->opt.no_sort_cache)
		return PT_OK;
	if (history != st->synced_history || history->n < st->synced)
	{
		st->synced_history = history;
		st->synced = 0;
		st->n_sorted = 0;
		for (j = 0; j < n_params; j++)
			st->cols[j].ties = false;
	}
	for (t = st->synced; t < history->n; t++)
	{
		const PtTrial *trial = &history->trials[t];

		if (trial->status != PT_TRIAL_OK || isnan(trial->score))
			continue;
		if (st->n_sorted == st->sorted_cap)
		{
			int			cap = st->sorted_cap < TPE_MIN_CAP ? TPE_MIN_CAP : st->sorted_cap * 2;

			for (j = 0; j < n_params; j++)
			{
				if (!sorted_column(&st->dims[j]))
					continue;
				if (!grow((void **) &st->cols[j].idx, sizeof(int), cap) ||
					!grow((void **) &st->cols[j].val, sizeof(double), cap))
					return PT_ERR_OUT_OF_MEMORY;
			}
			st->sorted_cap = cap;
		}
		for (j = 0; j < n_params; j++)
		{
			TpeColumn  *col = &st->cols[j];
			double		v;
			int			lo = 0;
			int			hi = st->n_sorted;

			if (!sorted_column(&st->dims[j]))
				continue;
			v = TpeToInternal(&st->dims[j], trial->x[j]);
			while (lo < hi)		/* first value greater than v */
			{
				int			mid = lo + (hi - lo) / 2;

				if (col->val[mid] > v)
					hi = mid;
				else
					lo = mid + 1;
			}
			if (lo > 0 && col->val[lo - 1] == v)
				col->ties = true;
			memmove(col->idx + lo + 1, col->idx + lo, sizeof(int) * (size_t) (st->n_sorted - lo));
			memmove(col->val + lo + 1, col->val + lo, sizeof(double) * (size_t) (st->n_sorted - lo));
			col->idx[lo] = t;
			col->val[lo] = v;
		}
		st->n_sorted++;
	}
	st->synced = history->n;
	return PT_OK;
}

/*
 * g's kernels (the above trials, then the prior) by ascending mean, read off
 * the sorted column in one pass.  False when values tie (numpy's tie order
 * is then needed) or the column is not kept.
 */
static bool
column_order(const TpeState *st, int j, int n_usable, int n_above, int *order)
{
	const TpeColumn *col = &st->cols[j];
	const TpeDim *dim = &st->dims[j];
	double		prior_mu = 0.5 * (dim->low + dim->high);
	bool		prior_placed = false;
	int			p = 0;
	int			s;

	if (st->opt.multivariate || st->opt.no_sort_cache || !sorted_column(dim) || col->ties ||
		st->n_sorted != n_usable)
		return false;
	for (s = 0; s < st->n_sorted; s++)
	{
		int			r = st->rank[col->idx[s]];

		if (r < 0)
			continue;
		if (!prior_placed && col->val[s] >= prior_mu)
		{
			if (col->val[s] == prior_mu)
				return false;
			order[p++] = n_above;
			prior_placed = true;
		}
		order[p++] = r;
	}
	if (!prior_placed)
		order[p++] = n_above;
	return p == n_above + 1;
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
 * Split the n usable trials into good (below) and bad (above), rank the bad
 * ones in history order, and set the mixture weights of l and g (the same
 * for every parameter); returns the number of good trials.
 */
static int
split_history(TpeState *st, const PtHistory *history, int n, int n_hist)
{
	int			n_below;
	int			i;

	for (i = 0; i < n; i++)
		st->scores[i] = history->trials[st->usable[i]].score;
	n_below = TpeGamma(st->opt.gamma, n);
	TpeSplit(st->scores, n, n_below, st->below, st->above);
	for (i = 0; i < n_hist; i++)
		st->rank[i] = -1;
	for (i = 0; i < n - n_below; i++)
		st->rank[st->usable[st->above[i]]] = i;
	TpeMixtureWeights(n_below, st->opt.prior_weight,
					  st->weights[0][0], st->weights[0][1], st->weights[0][2]);
	TpeMixtureWeights(n - n_below, st->opt.prior_weight,
					  st->weights[1][0], st->weights[1][1], st->weights[1][2]);
	return n_below;
}

/*
 * Fit l (the good trials) and g (the rest) over the parameters
 * cols[0..n_cols-1] and draw the n_ei_candidates candidates from l into
 * st->cand: what suggest and TpeRankCandidates share.
 */
static int
fit_and_draw(TpeState *st, const PtHistory *history, const int *cols, int n_cols,
			 int n_usable, int n_below, PtError *err)
{
	const TpeDim **dims = st->fit_dims;
	const int  *g_orders[1];
	TpeParzenParams pp = {0};
	TpeParzenParams pp_g;
	int			n_above = n_usable - n_below;
	int			c;
	int			rc;

	for (c = 0; c < n_cols; c++)
		dims[c] = &st->dims[cols[c]];
	pp.prior_weight = st->opt.prior_weight;
	pp.consider_magic_clip = st->opt.consider_magic_clip;
	pp.consider_endpoints = st->opt.consider_endpoints;
	pp.multivariate = st->opt.multivariate;
	pp_g = pp;
	pp.weights = st->weights[0][0];
	pp.log_weights = st->weights[0][1];
	pp.cum_weights = st->weights[0][2];
	pp_g.weights = st->weights[1][0];
	pp_g.log_weights = st->weights[1][1];
	pp_g.cum_weights = st->weights[1][2];

	gather(st, history, st->below, n_below, cols, n_cols, st->obs_below);
	gather(st, history, st->above, n_above, cols, n_cols, st->obs_above);
	g_orders[0] = n_cols == 1 && column_order(st, cols[0], n_usable, n_above, st->order) ?
		st->order : NULL;
	rc = TpeParzenBuild(&st->l, dims, n_cols, st->obs_below, n_cols, n_below, &pp, NULL, err);
	if (rc != PT_OK)
		return rc;
	rc = TpeParzenBuild(&st->g, dims, n_cols, st->obs_above, n_cols, n_above, &pp_g,
						g_orders[0] != NULL ? g_orders : NULL, err);
	if (rc != PT_OK)
		return rc;
	for (c = 0; c < st->opt.n_ei_candidates; c++)
		TpeParzenSample(&st->l, &st->rng, st->cand + (size_t) c * n_cols);
	return PT_OK;
}

/*
 * Fit l and g over the parameters cols[0..n_cols-1], draw the candidates
 * from l and write the best (internal values) to best.
 */
static int
suggest(TpeState *st, const PtHistory *history, const int *cols, int n_cols,
		int n_usable, int n_below, double *best, PtError *err)
{
	double		best_score = -INFINITY;
	int			best_c = 0;
	int			c;
	int			rc = fit_and_draw(st, history, cols, n_cols, n_usable, n_below, err);

	if (rc != PT_OK)
		return rc;
	for (c = 0; c < st->opt.n_ei_candidates; c++)
	{
		const double *x = st->cand + (size_t) c * n_cols;
		double		score = TpeParzenLogPdf(&st->l, x) - TpeParzenLogPdf(&st->g, x);

		/* the first maximum wins, as numpy's argmax */
		if (c == 0 || score > best_score)
		{
			best_score = score;
			best_c = c;
		}
	}
	memcpy(best, st->cand + (size_t) best_c * n_cols, sizeof(double) * (size_t) n_cols);
	return PT_OK;
}

/* A short reasoning line for the trajectory (PtMalloc'd, or NULL). */
static char *
reasoning(bool startup, int n, int n_startup, int n_below, bool multivariate)
{
	char		buf[TPE_REASONING_MAX];

	if (startup)
		snprintf(buf, sizeof(buf),
				 "tpe start-up: uniform sample (%d of %d ok trials before the model)",
				 n, n_startup);
	else
		snprintf(buf, sizeof(buf), "tpe%s: l from the best %d of %d ok trials, g from the other %d",
				 multivariate ? " multivariate" : "", n_below, n, n - n_below);
	return PtStrdup(buf);
}

/* Propose the next point. */
static int
tpe_propose(void *vstate, const PtHistory *history, int iter, PtProposal *out,
			const PtStop *stop, PtError *err)
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
	/* Every draw of this proposal comes from (seed, iter): resumable and batch-safe. */
	PtStrategyIterRng(&st->rng, st->seed, iter);
	if (ensure_capacity(st, n_hist > 0 ? n_hist : 1) != PT_OK)
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory in the tpe strategy");
	n = TpeUsableTrials(history, st->usable);

	if (n < st->opt.n_startup_trials || st->n_active == 0)
	{
		PtSampleUniformPoint(space, &st->rng, out->x);
		out->reasoning = reasoning(true, n, st->opt.n_startup_trials, 0, false);
		return PT_OK;
	}
	if (n_hist > 0 && sync_columns(st, history) != PT_OK)
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory in the tpe strategy");

	n_below = split_history(st, history, n, n_hist);

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
		rc = suggest(st, history, cols, n_cols, n, n_below, best, err);
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
			rc = suggest(st, history, cols, 1, n, n_below, best, err);
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

/*
 * Fit l and g over cols[0..n_cols-1] (as suggest does), draw the
 * n_ei_candidates from l into st->cand and add each one's log l - log g to
 * score[c].  Used by TpeRankCandidates.
 */
static int
score_candidates(TpeState *st, const PtHistory *history, const int *cols, int n_cols,
				 int n_usable, int n_below, double *score, PtError *err)
{
	int			c;
	int			rc = fit_and_draw(st, history, cols, n_cols, n_usable, n_below, err);

	if (rc != PT_OK)
		return rc;
	for (c = 0; c < st->opt.n_ei_candidates; c++)
	{
		const double *x = st->cand + (size_t) c * n_cols;

		score[c] += TpeParzenLogPdf(&st->l, x) - TpeParzenLogPdf(&st->g, x);
	}
	return PT_OK;
}

/*
 * llm_tpe's candidates: draw n_ei_candidates joint points from l (one draw
 * per parameter, or joint when multivariate), rank them by the sum of
 * log l - log g over the parameters, and write the best n_want (at most
 * n_ei_candidates) to points, n_params values each, best first.  Before the
 * model has n_startup_trials ok trials, uniform points are written and
 * *ranked is false.  Returns how many points were written, or -1 with err set.
 */
int
TpeRankCandidates(void *state, const PtHistory *history, int iter, int n_want, double *points,
				  bool *ranked, PtError *err)
{
	TpeState   *st = state;
	const PtSpace *space = st->space;
	int			np = space->n_params;
	int			n_hist = history != NULL ? history->n : 0;
	int			n_cand = st->opt.n_ei_candidates;
	int			cols[PT_SPACE_MAX_PARAMS];
	double	   *all;
	double	   *score;
	bool	   *taken;
	int			n;
	int			n_below;
	int			i;
	int			j;
	int			c;
	int			rc = PT_OK;

	*ranked = false;
	/* The only randomness of iteration iter, as in a proposal. */
	PtStrategyIterRng(&st->rng, st->seed, iter);
	if (n_want > n_cand)
		n_want = n_cand;
	if (ensure_capacity(st, n_hist > 0 ? n_hist : 1) != PT_OK)
		goto oom;
	n = TpeUsableTrials(history, st->usable);
	if (n < st->opt.n_startup_trials || st->n_active == 0)
	{
		for (i = 0; i < n_want; i++)
			PtSampleUniformPoint(space, &st->rng, points + (size_t) i * np);
		return n_want;
	}
	if (n_hist > 0 && sync_columns(st, history) != PT_OK)
		goto oom;
	all = PtMalloc(sizeof(double) * (size_t) n_cand * (size_t) (np > 0 ? np : 1));
	score = PtCalloc((size_t) n_cand, sizeof(double));
	taken = PtCalloc((size_t) n_cand, sizeof(bool));
	if (all == NULL || score == NULL || taken == NULL)
	{
		PtFree(all);
		PtFree(score);
		PtFree(taken);
		goto oom;
	}
	n_below = split_history(st, history, n, n_hist);
	for (c = 0; c < n_cand; c++)
		for (j = 0; j < np; j++)
			all[(size_t) c * np + j] = st->dims[j].categorical ? 0.0 : st->dims[j].ext_low;
	if (st->opt.multivariate)
	{
		int			n_cols = 0;

		for (j = 0; j < np; j++)
			if (!st->dims[j].fixed)
				cols[n_cols++] = j;
		rc = score_candidates(st, history, cols, n_cols, n, n_below, score, err);
		for (c = 0; rc == PT_OK && c < n_cand; c++)
			for (i = 0; i < n_cols; i++)
				all[(size_t) c * np + cols[i]] =
					TpeFromInternal(&st->dims[cols[i]], st->cand[(size_t) c * n_cols + i]);
	}
	else
	{
		for (j = 0; j < np && rc == PT_OK; j++)
		{
			if (st->dims[j].fixed)
				continue;
			cols[0] = j;
			rc = score_candidates(st, history, cols, 1, n, n_below, score, err);
			for (c = 0; rc == PT_OK && c < n_cand; c++)
				all[(size_t) c * np + j] = TpeFromInternal(&st->dims[j], st->cand[c]);
		}
	}
	for (i = 0; rc == PT_OK && i < n_want; i++)
	{
		int			best = -1;

		for (c = 0; c < n_cand; c++)
			if (!taken[c] && (best < 0 || score[c] > score[best]))
				best = c;
		taken[best] = true;
		memcpy(points + (size_t) i * np, all + (size_t) best * np, sizeof(double) * (size_t) np);
	}
	PtFree(all);
	PtFree(score);
	PtFree(taken);
	if (rc != PT_OK)
		return -1;
	*ranked = true;
	return n_want;

oom:
	PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory ranking the tpe candidates");
	return -1;
}
