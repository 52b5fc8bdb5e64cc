/*
 * importance.c — PtImportance: encode the trials as Optuna does, fit the
 * forest, average each parameter's fANOVA variance fraction over the trees,
 * and normalise (importance.h).
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "importance.h"
#include "importance_internal.h"
#include "pt_alloc.h"

/* True when a parameter can take a single value only (Optuna's dist.single()). */
static bool
param_single(const PtParam *p)
{
	if (p->type == PT_PARAM_CATEGORICAL || p->type == PT_PARAM_BOOL)
		return p->n_choices <= 1;
	return !(p->high > p->low);
}

/* Importance of each parameter. */
int
PtImportance(const PtSpace *space, const double *x, const double *y, int n,
			 uint64_t seed, const PtStop *stop, double *importance, PtError *err)
{
	int			np = space->n_params;
	int		   *gstart = NULL;
	int		   *glen = NULL;
	int		   *gparam = NULL;
	double	   *X = NULL;
	double	   *Y = NULL;
	double	   *frac_sum = NULL;
	double	   *frac = NULL;
	PtTree	   *trees = NULL;
	PtForestOptions opts = {PT_IMPORTANCE_TREES, PT_IMPORTANCE_MAX_DEPTH, PT_IMPORTANCE_MIN_SPLIT, seed};
	int			n_groups = 0;
	int			d = 0;
	int			m = 0;
	int			used_trees = 0;
	int			rc = PT_OK;
	int			p;
	int			i;
	int			t;
	double		sum;

	PtErrorClear(err);
	for (p = 0; p < np; p++)
		importance[p] = 0;
	for (i = 0; i < n; i++)
		m += isfinite(y[i]) ? 1 : 0;
	if (m < PT_IMPORTANCE_MIN_TRIALS)
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "parameter importance needs at least %d successful iterations",
				   PT_IMPORTANCE_MIN_TRIALS);
		PtErrorDetail(err, "The run has %d successful iteration%s with a finite score.", m, m == 1 ? "" : "s");
		return PT_ERR_INVALID_PARAMETER;
	}
	gstart = PtMalloc(sizeof(int) * (size_t) (np + 1));
	glen = PtMalloc(sizeof(int) * (size_t) (np + 1));
	gparam = PtMalloc(sizeof(int) * (size_t) (np + 1));
	if (gstart == NULL || glen == NULL || gparam == NULL)
		goto oom;
	for (p = 0; p < np; p++)
	{
		const PtParam *pp = &space->params[p];

		if (param_single(pp))
			continue;
		gstart[n_groups] = d;
		glen[n_groups] = (pp->type == PT_PARAM_CATEGORICAL || pp->type == PT_PARAM_BOOL) ? pp->n_choices : 1;
		gparam[n_groups] = p;
		d += glen[n_groups];
		n_groups++;
	}
	if (n_groups == 0)
		goto done;				/* nothing varies: every importance is 0 */

	/* The design matrix, each column on [0, 1]. */
	X = PtCalloc((size_t) m * (size_t) d, sizeof(double));
	Y = PtMalloc(sizeof(double) * (size_t) m);
	frac_sum = PtCalloc((size_t) n_groups, sizeof(double));
	frac = PtMalloc(sizeof(double) * (size_t) n_groups);
	trees = PtCalloc((size_t) opts.n_trees, sizeof(PtTree));
	if (X == NULL || Y == NULL || frac_sum == NULL || frac == NULL || trees == NULL)
		goto oom;
	m = 0;
	for (i = 0; i < n; i++)
	{
		int			g;

		if (!isfinite(y[i]))
			continue;
		for (g = 0; g < n_groups; g++)
		{
			const PtParam *pp = &space->params[gparam[g]];
			double		v = x[(size_t) i * np + gparam[g]];
			double	   *row = X + (size_t) m * d + gstart[g];

			if (glen[g] > 1 || pp->type == PT_PARAM_CATEGORICAL || pp->type == PT_PARAM_BOOL)
			{
				int			c = (int) v;

				if (c >= 0 && c < glen[g])
					row[c] = 1.0;
			}
			else
				row[0] = fmin(1.0, fmax(0.0, (v - pp->low) / (pp->high - pp->low)));
		}
		Y[m++] = y[i];
	}

	rc = PtForestFit(X, Y, m, d, &opts, stop, trees, err);
	if (rc != PT_OK)
		goto done;
	for (t = 0; t < opts.n_trees; t++)
	{
		double		total;
		int			g;

		if (PtStopRequested(stop))
		{
			rc = PtErrorSet(err, PT_ERR_CANCELLED, "parameter importance was cancelled");
			goto done;
		}
		rc = PtFanovaTree(&trees[t], d, n_groups, gstart, glen, &total, frac, err);
		if (rc != PT_OK)
			goto done;
		if (!(total > 0))
			continue;			/* Optuna leaves trees without variance out */
		used_trees++;
		for (g = 0; g < n_groups; g++)
			frac_sum[g] += frac[g];
	}
	if (used_trees == 0)
	{
		rc = PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "parameter importance needs scores that vary");
		PtErrorDetail(err, "Every tree of the forest fitted on the %d successful iterations predicts one score.", m);
		goto done;
	}
	sum = 0;
	for (p = 0; p < n_groups; p++)
		sum += frac_sum[p] / used_trees;
	for (p = 0; p < n_groups; p++)
		importance[gparam[p]] = sum > 0 ? (frac_sum[p] / used_trees) / sum : 1.0 / n_groups;
	goto done;
oom:
	rc = PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory computing parameter importance");
done:
	if (trees != NULL)
		for (t = 0; t < opts.n_trees; t++)
			PtTreeFree(&trees[t]);
	PtFree(trees);
	PtFree(gstart);
	PtFree(glen);
	PtFree(gparam);
	PtFree(X);
	PtFree(Y);
	PtFree(frac_sum);
	PtFree(frac);
	if (rc != PT_OK)
		for (p = 0; p < np; p++)
			importance[p] = 0;
	return rc;
}
