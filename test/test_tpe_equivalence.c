/*
 * test_tpe_equivalence.c — ptopt's TPE against Optuna 3.1, number for number.
 *
 * data/tpe_fixtures.json is written by bench/optuna_fixtures.py from Optuna's
 * own internals.  For fixed histories over every parameter kind this checks
 * the good/bad split, the kernels (weights, means, bandwidths, categorical
 * weights), log l / log g at given points, and the truncated-normal pieces,
 * to TPE_TOL (relative to the magnitude, at least absolute).
 */
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pt_alloc.h"
#include "tpe.h"
#include "tpe_parzen.h"
#include "tpe_truncnorm.h"
#include "unit.h"

#define FIXTURES "data/tpe_fixtures.json"
#define TPE_TOL 1e-9

/*
 * One estimator rebuilt for every fixture, as the strategy rebuilds its own:
 * parameters of every kind and sizes up and down pass through the same arrays.
 */
static TpeParzen shared_pe;

/* Scaled difference: |a - b| / max(1, |b|); NaN counts as a mismatch. */
static double
err_of(double a, double b)
{
	double		scale = fabs(b) > 1.0 ? fabs(b) : 1.0;
	double		e = fabs(a - b) / scale;

	if (a == b)
		return 0.0;
	return isnan(e) ? INFINITY : e;
}

/* Member of an object, or NULL. */
static json_object *
get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* A number member of an array. */
static double
num(json_object *arr, size_t i)
{
	return json_object_get_double(json_object_array_get_idx(arr, i));
}

/* A ptopt parameter from its fixture description. */
static void
param_from_json(json_object *o, PtParam *p)
{
	const char *type = json_object_get_string(get(o, "type"));

	memset(p, 0, sizeof(*p));
	p->name = (char *) json_object_get_string(get(o, "name"));
	if (strcmp(type, "float") == 0 || strcmp(type, "int") == 0)
	{
		p->type = strcmp(type, "float") == 0 ? PT_PARAM_FLOAT : PT_PARAM_INT;
		p->low = json_object_get_double(get(o, "low"));
		p->high = json_object_get_double(get(o, "high"));
		p->log = json_object_get_boolean(get(o, "log"));
		p->step = json_object_get_double(get(o, "step"));
	}
	else
	{
		p->type = strcmp(type, "bool") == 0 ? PT_PARAM_BOOL : PT_PARAM_CATEGORICAL;
		p->n_choices = json_object_get_int(get(o, "n_choices"));
	}
}

/* gamma(n), default_weights(n). */
static void
check_tables(json_object *root)
{
	json_object *g = get(root, "gamma");
	json_object *dg = get(root, "default_gamma");
	json_object *w = get(root, "weights");
	size_t		i;
	int			bad = 0;
	double		werr = 0.0;

	for (i = 0; i < json_object_array_length(g); i++)
	{
		json_object *r = json_object_array_get_idx(g, i);

		if (TpeGamma(num(r, 0), (int) num(r, 1)) != (int) num(r, 2))
			bad++;
	}
	for (i = 0; i < json_object_array_length(dg); i++)
	{
		json_object *r = json_object_array_get_idx(dg, i);

		if (TpeGamma(TPE_DEFAULT_GAMMA, (int) num(r, 0)) != (int) num(r, 1))
			bad++;
	}
	CHECK(bad == 0, "gamma(n) = min(ceil(f n), 25) matches Optuna for %zu (f, n) pairs (%d off)",
		  json_object_array_length(g) + json_object_array_length(dg), bad);
	for (i = 0; i < json_object_array_length(w); i++)
	{
		json_object *r = json_object_array_get_idx(w, i);
		int			n = (int) num(r, 0);
		json_object *exp = json_object_array_get_idx(r, 1);
		double	   *ours = malloc(sizeof(double) * (n > 0 ? n : 1));
		int			k;

		TpeDefaultWeights(n, ours);
		if ((int) json_object_array_length(exp) != n)
			werr = INFINITY;
		for (k = 0; k < n && k < (int) json_object_array_length(exp); k++)
			werr = fmax(werr, err_of(ours[k], num(exp, k)));
		free(ours);
	}
	CHECK(werr <= TPE_TOL, "default_weights(n) matches Optuna (max error %.3g)", werr);
}

/* log_ndtr, log_gauss_mass, logpdf, ppf. */
static void
check_truncnorm(json_object *root)
{
	json_object *tn = get(root, "truncnorm");
	json_object *a;
	size_t		i;
	double		e;

	a = get(tn, "log_ndtr");
	for (e = 0.0, i = 0; i < json_object_array_length(a); i++)
	{
		json_object *r = json_object_array_get_idx(a, i);

		e = fmax(e, err_of(TpeLogNdtr(num(r, 0)), num(r, 1)));
	}
	CHECK(e <= TPE_TOL, "log_ndtr matches Optuna over both tails (max error %.3g)", e);
	a = get(tn, "log_gauss_mass");
	for (e = 0.0, i = 0; i < json_object_array_length(a); i++)
	{
		json_object *r = json_object_array_get_idx(a, i);

		e = fmax(e, err_of(TpeLogGaussMass(num(r, 0), num(r, 1)), num(r, 2)));
	}
	CHECK(e <= TPE_TOL, "log_gauss_mass matches Optuna, left, central and right (max error %.3g)", e);
	a = get(tn, "logpdf");
	for (e = 0.0, i = 0; i < json_object_array_length(a); i++)
	{
		json_object *r = json_object_array_get_idx(a, i);

		e = fmax(e, err_of(TpeTruncnormLogpdf(num(r, 0), num(r, 1), num(r, 2)), num(r, 3)));
	}
	CHECK(e <= TPE_TOL, "truncnorm logpdf matches Optuna 3.1 (max error %.3g)", e);
	a = get(tn, "ppf");
	for (e = 0.0, i = 0; i < json_object_array_length(a); i++)
	{
		json_object *r = json_object_array_get_idx(a, i);

		e = fmax(e, err_of(TpeTruncnormPpf(num(r, 0), num(r, 1), num(r, 2)), num(r, 3)));
	}
	CHECK(e <= TPE_TOL, "truncnorm ppf (AS241) matches Optuna's bisection (max error %.3g)", e);
}

/* numpy argsort tie order. */
static void
check_argsort(json_object *root)
{
	json_object *a = get(root, "argsort");
	size_t		i;
	int			bad = 0;

	for (i = 0; i < json_object_array_length(a); i++)
	{
		json_object *r = json_object_array_get_idx(a, i);
		json_object *v = get(r, "v");
		json_object *idx = get(r, "idx");
		int			n = (int) json_object_array_length(v);
		double	   *vals = malloc(sizeof(double) * n);
		int		   *ours = malloc(sizeof(int) * n);
		int			k;

		for (k = 0; k < n; k++)
			vals[k] = num(v, k);
		TpeArgsort(vals, n, ours);
		for (k = 0; k < n; k++)
			if (ours[k] != (int) num(idx, k))
			{
				bad++;
				break;
			}
		free(vals);
		free(ours);
	}
	CHECK(bad == 0, "argsort reproduces numpy's tie order on %zu arrays (%d differ)",
		  json_object_array_length(a), bad);
}

/* Compare a list of indexes. */
static bool
same_ints(json_object *arr, const int *v, int n)
{
	int			i;

	if ((int) json_object_array_length(arr) != n)
		return false;
	for (i = 0; i < n; i++)
		if ((int) num(arr, i) != v[i])
			return false;
	return true;
}

/* One estimator of a case: kernels and log densities. */
static void
check_estimator(const char *case_name, json_object *est, const PtHistory *h, const int *usable,
				const int *rows, int n_rows, const TpeDim *dims_all, const TpeParzenParams *pp)
{
	json_object *jd = get(est, "dims");
	json_object *kernels = get(est, "kernels");
	json_object *weights = get(est, "weights");
	json_object *points = get(est, "points");
	json_object *logpdf = get(est, "log_pdf");
	const char *side = json_object_get_string(get(est, "side"));
	int			nd = (int) json_object_array_length(jd);
	const TpeDim *dims[PT_SPACE_MAX_PARAMS];
	int			cols[PT_SPACE_MAX_PARAMS];
	double	   *obs = malloc(sizeof(double) * (size_t) (n_rows > 0 ? n_rows : 1) * nd);
	double		x[PT_SPACE_MAX_PARAMS];
	double		werr = 0.0;
	double		kerr = 0.0;
	double		lerr = 0.0;
	bool		shape_ok = true;
	TpeParzen  *pe = &shared_pe;
	PtError		err;
	int			i;
	int			j;
	size_t		k;

	for (j = 0; j < nd; j++)
	{
		cols[j] = (int) num(jd, j);
		dims[j] = &dims_all[cols[j]];
	}
	for (i = 0; i < n_rows; i++)
		for (j = 0; j < nd; j++)
			obs[(size_t) i * nd + j] = TpeToInternal(dims[j], h->trials[usable[rows[i]]].x[cols[j]]);
	PtErrorClear(&err);
	if (TpeParzenBuild(pe, dims, nd, obs, nd, n_rows, pp, NULL, &err) != PT_OK)
	{
		CHECK(false, "%s: %s estimator builds (%s)", case_name, side, err.message);
		free(obs);
		return;
	}
	if ((int) json_object_array_length(weights) != pe->n_kernels)
		shape_ok = false;
	for (k = 0; shape_ok && k < (size_t) pe->n_kernels; k++)
		werr = fmax(werr, err_of(pe->weights[k], num(weights, k)));
	for (j = 0; shape_ok && j < nd; j++)
	{
		json_object *kj = json_object_array_get_idx(kernels, j);
		json_object *probs = get(kj, "probs");

		if (probs != NULL)
		{
			for (k = 0; k < (size_t) pe->n_kernels; k++)
			{
				json_object *row = json_object_array_get_idx(probs, k);
				int			c;

				for (c = 0; c < dims[j]->n_choices; c++)
					kerr = fmax(kerr, err_of(pe->kernels[j].probs[k * dims[j]->n_choices + c],
											 num(row, c)));
			}
		}
		else
		{
			json_object *mus = get(kj, "mus");
			json_object *sig = get(kj, "sigmas");

			kerr = fmax(kerr, err_of(dims[j]->low, json_object_get_double(get(kj, "low"))));
			kerr = fmax(kerr, err_of(dims[j]->high, json_object_get_double(get(kj, "high"))));
			kerr = fmax(kerr, err_of(dims[j]->q, json_object_get_double(get(kj, "q"))));
			for (k = 0; k < (size_t) pe->n_kernels; k++)
			{
				kerr = fmax(kerr, err_of(pe->kernels[j].mus[k], num(mus, k)));
				kerr = fmax(kerr, err_of(pe->kernels[j].sigmas[k], num(sig, k)));
			}
		}
	}
	CHECK(shape_ok && werr <= TPE_TOL, "%s: %s weights (%d kernels, dims %d..) match (max error %.3g)",
		  case_name, side, pe->n_kernels, cols[0], werr);
	CHECK(shape_ok && kerr <= TPE_TOL, "%s: %s kernels: bounds, mus, sigmas, categorical weights (max error %.3g)",
		  case_name, side, kerr);
	for (k = 0; k < json_object_array_length(points); k++)
	{
		json_object *pt = json_object_array_get_idx(points, k);

		for (j = 0; j < nd; j++)
			x[j] = TpeToInternal(dims[j], num(pt, j));
		lerr = fmax(lerr, err_of(TpeParzenLogPdf(pe, x), num(logpdf, k)));
	}
	CHECK(lerr <= TPE_TOL, "%s: log %s at %zu points (max error %.3g)", case_name,
		  strcmp(side, "below") == 0 ? "l" : "g", json_object_array_length(points), lerr);
	free(obs);
}

/* One case: history, split, then each estimator. */
static void
check_case(json_object *c, const PtParam *params, int n_params)
{
	const char *name = json_object_get_string(get(c, "name"));
	json_object *trials = get(c, "trials");
	json_object *ests = get(c, "estimators");
	int			nt = (int) json_object_array_length(trials);
	PtTrial    *tr = calloc(nt, sizeof(PtTrial));
	double	   *xs = calloc((size_t) nt * n_params, sizeof(double));
	PtSpace		space = {n_params, (PtParam *) params};
	PtHistory	h = {&space, nt, nt, tr, -1};
	TpeDim		dims[PT_SPACE_MAX_PARAMS];
	TpeParzenParams pp = {0};
	int		   *usable = malloc(sizeof(int) * nt);
	double	   *scores = malloc(sizeof(double) * nt);
	int		   *below = malloc(sizeof(int) * nt);
	int		   *above = malloc(sizeof(int) * nt);
	int		   *below_t = malloc(sizeof(int) * nt);
	int		   *above_t = malloc(sizeof(int) * nt);
	int			n;
	int			nb;
	int			i;
	int			j;
	size_t		e;

	for (i = 0; i < nt; i++)
	{
		json_object *t = json_object_array_get_idx(trials, i);
		json_object *x = get(t, "x");
		const char *status = json_object_get_string(get(t, "status"));

		tr[i].iter = i + 1;
		tr[i].x = xs + (size_t) i * n_params;
		for (j = 0; j < n_params; j++)
			tr[i].x[j] = num(x, j);
		tr[i].status = strcmp(status, "ok") == 0 ? PT_TRIAL_OK :
			(strcmp(status, "refused") == 0 ? PT_TRIAL_REFUSED : PT_TRIAL_FAILED);
		/* a failed trial's score is garbage that must not matter */
		tr[i].score = tr[i].status == PT_TRIAL_OK ? json_object_get_double(get(t, "score")) : 1e300;
		tr[i].source = PT_SOURCE_TPE;
	}
	for (j = 0; j < n_params; j++)
		TpeDimFromParam(&params[j], &dims[j]);

	n = TpeUsableTrials(&h, usable);
	for (i = 0; i < n; i++)
		scores[i] = tr[usable[i]].score;
	nb = TpeGamma(json_object_get_double(get(c, "gamma")), n);
	TpeSplit(scores, n, nb, below, above);
	for (i = 0; i < nb; i++)
		below_t[i] = usable[below[i]];
	for (i = 0; i < n - nb; i++)
		above_t[i] = usable[above[i]];
	CHECK(n == json_object_get_int(get(c, "n")) && nb == json_object_get_int(get(c, "n_below")),
		  "%s: %d usable trials (failed and refused left out), %d good", name, n, nb);
	CHECK(same_ints(get(c, "below"), below_t, nb) && same_ints(get(c, "above"), above_t, n - nb),
		  "%s: good/bad split identical to Optuna's (time order, ties to the earlier trial)", name);

	pp.prior_weight = json_object_get_double(get(c, "prior_weight"));
	pp.consider_magic_clip = json_object_get_boolean(get(c, "consider_magic_clip"));
	pp.consider_endpoints = json_object_get_boolean(get(c, "consider_endpoints"));
	pp.multivariate = json_object_get_boolean(get(c, "multivariate"));
	for (e = 0; e < json_object_array_length(ests); e++)
	{
		json_object *est = json_object_array_get_idx(ests, e);
		bool		is_below = strcmp(json_object_get_string(get(est, "side")), "below") == 0;

		check_estimator(name, est, &h, usable, is_below ? below : above, is_below ? nb : n - nb,
						dims, &pp);
	}
	free(tr);
	free(xs);
	free(usable);
	free(scores);
	free(below);
	free(above);
	free(below_t);
	free(above_t);
}

/* Run every check and print the TAP plan. */
int
main(void)
{
	json_object *root = json_object_from_file(FIXTURES);
	json_object *jp;
	json_object *cases;
	PtParam		params[PT_SPACE_MAX_PARAMS];
	int			n_params;
	int			i;
	long		live0 = PtAllocLive();

	CHECK(root != NULL, "fixtures %s load (regenerate: /usr/bin/python3 bench/optuna_fixtures.py)",
		  FIXTURES);
	if (root == NULL)
		return UnitDone();
	CHECK(strcmp(json_object_get_string(get(root, "optuna_version")), "3.1.0") == 0,
		  "fixtures come from Optuna 3.1.0");
	check_tables(root);
	check_truncnorm(root);
	check_argsort(root);

	jp = get(root, "params");
	n_params = (int) json_object_array_length(jp);
	for (i = 0; i < n_params; i++)
		param_from_json(json_object_array_get_idx(jp, i), &params[i]);
	cases = get(root, "cases");
	TpeParzenInit(&shared_pe);
	for (i = 0; i < (int) json_object_array_length(cases); i++)
		check_case(json_object_array_get_idx(cases, i), params, n_params);
	TpeParzenFree(&shared_pe);
	CHECK(PtAllocLive() == live0, "no allocation left behind (%ld live)", PtAllocLive() - live0);
	json_object_put(root);
	return UnitDone();
}
