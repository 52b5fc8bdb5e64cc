/*
 * importance_fanova.c — fANOVA on one regression tree (Hutter et al. 2014, as
 * Optuna 3.1's _FanovaTree computes it).
 *
 * Columns span [0, 1].  The tree cuts the unit cube into leaf boxes.  For a
 * group of columns G, the split thresholds of G's columns cut each of them
 * into intervals; on a cell of that grid the tree's prediction averaged
 * over every other column is constant: the mean of the leaves that hold the
 * cell, weighted by their volume outside G.  The group's marginal variance
 * is the variance of that average over the cells, weighted by cell volume;
 * the tree's total variance is the variance of the leaf values weighted by
 * leaf volume.  This is the same quantity Optuna gets by walking the tree
 * once per grid midpoint, computed here in one pass over the leaves.
 *
 * A group of several columns with more cells than PT_FANOVA_MAX_CELLS (a
 * categorical parameter with more than 12 one-hot columns split in one
 * tree; Optuna enumerates them all, 2^k midpoints) is measured at its valid
 * one-hot vertices instead, each weighted equally.  A single column is
 * summed with a difference array: O(leaves + intervals).
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "importance_internal.h"
#include "pt_alloc.h"

#define PT_FANOVA_MAX_CELLS 4096	/* grid cells of a group of several columns */

/* The leaves of a tree with their boxes. */
typedef struct FanovaLeaves
{
	int			n;
	int			d;
	double	   *lo;				/* n * d */
	double	   *hi;				/* n * d */
	double	   *value;
	double	   *log_width;		/* n * d: log(hi - lo) */
	double	   *log_vol;		/* n: sum of log_width */
} FanovaLeaves;

/* Ascending doubles. */
static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* Walk the tree and record every leaf's box. */
static int
collect_leaves(const PtTree *tree, int d, FanovaLeaves *lv)
{
	int		   *stack = PtMalloc(sizeof(int) * (size_t) (tree->n_nodes + 1));
	double	   *blo = PtMalloc(sizeof(double) * (size_t) tree->n_nodes * d);
	double	   *bhi = PtMalloc(sizeof(double) * (size_t) tree->n_nodes * d);
	int			n_leaves = 0;
	int			top = 0;
	int			k;

	if (stack == NULL || blo == NULL || bhi == NULL)
		goto oom;
	for (k = 0; k < tree->n_nodes; k++)
		n_leaves += tree->nodes[k].feature < 0;
	lv->n = 0;
	lv->d = d;
	lv->lo = PtMalloc(sizeof(double) * (size_t) n_leaves * d);
	lv->hi = PtMalloc(sizeof(double) * (size_t) n_leaves * d);
	lv->log_width = PtMalloc(sizeof(double) * (size_t) n_leaves * d);
	lv->value = PtMalloc(sizeof(double) * (size_t) n_leaves);
	lv->log_vol = PtMalloc(sizeof(double) * (size_t) n_leaves);
	if (lv->lo == NULL || lv->hi == NULL || lv->log_width == NULL || lv->value == NULL ||
		lv->log_vol == NULL)
		goto oom;
	for (k = 0; k < d; k++)
	{
		blo[k] = 0.0;
		bhi[k] = 1.0;
	}
	stack[top++] = 0;
	while (top > 0)
	{
		int			node = stack[--top];
		const PtTreeNode *nd = &tree->nodes[node];
		double	   *nlo = blo + (size_t) node * d;
		double	   *nhi = bhi + (size_t) node * d;

		if (nd->feature < 0)
		{
			int			i = lv->n++;
			double		lvol = 0;

			for (k = 0; k < d; k++)
			{
				double		wdt = nhi[k] - nlo[k];

				lv->lo[(size_t) i * d + k] = nlo[k];
				lv->hi[(size_t) i * d + k] = nhi[k];
				lv->log_width[(size_t) i * d + k] = log(wdt > 0 ? wdt : 1e-300);
				lvol += lv->log_width[(size_t) i * d + k];
			}
			lv->value[i] = nd->value;
			lv->log_vol[i] = lvol;
			continue;
		}
		memcpy(blo + (size_t) nd->left * d, nlo, sizeof(double) * d);
		memcpy(bhi + (size_t) nd->left * d, nhi, sizeof(double) * d);
		memcpy(blo + (size_t) nd->right * d, nlo, sizeof(double) * d);
		memcpy(bhi + (size_t) nd->right * d, nhi, sizeof(double) * d);
		/* A threshold outside the box (cannot happen with sorted splits) clamps to it. */
		bhi[(size_t) nd->left * d + nd->feature] = fmax(nlo[nd->feature], fmin(nhi[nd->feature], nd->threshold));
		blo[(size_t) nd->right * d + nd->feature] = fmax(nlo[nd->feature], fmin(nhi[nd->feature], nd->threshold));
		stack[top++] = nd->right;
		stack[top++] = nd->left;
	}
	PtFree(stack);
	PtFree(blo);
	PtFree(bhi);
	return PT_OK;
oom:
	PtFree(stack);
	PtFree(blo);
	PtFree(bhi);
	return PT_ERR_OUT_OF_MEMORY;
}

/* Free the leaf arrays. */
static void
free_leaves(FanovaLeaves *lv)
{
	PtFree(lv->lo);
	PtFree(lv->hi);
	PtFree(lv->value);
	PtFree(lv->log_width);
	PtFree(lv->log_vol);
	memset(lv, 0, sizeof(*lv));
}

/* Index of the first breakpoint >= v in bp[0..n-1] (binary search). */
static int
lower_index(const double *bp, int n, double v)
{
	int			lo = 0;
	int			hi = n;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (bp[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Weight of each leaf outside a group: exp(log volume outside G - max), into wgt. */
static void
outside_weights(const FanovaLeaves *lv, int gs, int gl, double *wgt)
{
	double		maxlog = -INFINITY;
	int			i;
	int			k;

	for (i = 0; i < lv->n; i++)
	{
		double		l = lv->log_vol[i];

		for (k = gs; k < gs + gl; k++)
			l -= lv->log_width[(size_t) i * lv->d + k];
		wgt[i] = l;
		if (l > maxlog)
			maxlog = l;
	}
	for (i = 0; i < lv->n; i++)
		wgt[i] = exp(wgt[i] - maxlog);
}

/* Weighted variance of values v with weights w over n entries. */
static double
weighted_variance(const double *v, const double *w, int n)
{
	double		sw = 0;
	double		mean = 0;
	double		var = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		sw += w[i];
		mean += w[i] * v[i];
	}
	if (!(sw > 0))
		return 0;
	mean /= sw;
	for (i = 0; i < n; i++)
		var += w[i] * (v[i] - mean) * (v[i] - mean);
	return var / sw;
}

/* The marginal variance of group [gs, gs + gl) at its valid one-hot vertices. */
static double
vertex_variance(const FanovaLeaves *lv, int gs, int gl, const double *wgt, double *val, double *cw)
{
	int			c;
	int			i;
	int			k;

	for (c = 0; c < gl; c++)
	{
		double		sv = 0;
		double		sw = 0;

		for (i = 0; i < lv->n; i++)
		{
			bool		inside = true;

			for (k = 0; k < gl && inside; k++)
			{
				double		x = (k == c) ? 1.0 : 0.0;
				double		lo = lv->lo[(size_t) i * lv->d + gs + k];
				double		hi = lv->hi[(size_t) i * lv->d + gs + k];

				/* left boxes hold x <= threshold: (lo, hi], with 0 in the first */
				inside = (x <= hi) && (x > lo || lo == 0.0);
			}
			if (inside)
			{
				sv += wgt[i] * lv->value[i];
				sw += wgt[i];
			}
		}
		val[c] = sw > 0 ? sv / sw : 0;
		cw[c] = 1.0;
	}
	return weighted_variance(val, cw, gl);
}

/* fANOVA of one tree. */
int
PtFanovaTree(const PtTree *tree, int d, int n_groups, const int *group_start,
			 const int *group_len, double *total, double *fraction, PtError *err)
{
	FanovaLeaves lv;
	double	   *wgt = NULL;
	double	   *bp = NULL;		/* breakpoints of every column: d segments of up to nodes + 2 */
	int		   *nbp = NULL;
	double	   *cell_v = NULL;
	double	   *cell_w = NULL;
	int		   *idx = NULL;
	int		   *ilo = NULL;
	int		   *ihi = NULL;
	int			stride = tree->n_nodes + 2;
	int			g;
	int			i;
	int			k;
	int			rc = PT_OK;

	memset(&lv, 0, sizeof(lv));
	*total = 0;
	for (g = 0; g < n_groups; g++)
		fraction[g] = 0;
	if (collect_leaves(tree, d, &lv) != PT_OK)
		goto oom;
	wgt = PtMalloc(sizeof(double) * (size_t) lv.n);
	bp = PtMalloc(sizeof(double) * (size_t) stride * d);
	nbp = PtCalloc((size_t) d, sizeof(int));
	cell_v = PtMalloc(sizeof(double) * (size_t) (stride > PT_FANOVA_MAX_CELLS ? stride : PT_FANOVA_MAX_CELLS));
	cell_w = PtMalloc(sizeof(double) * (size_t) (stride > PT_FANOVA_MAX_CELLS ? stride : PT_FANOVA_MAX_CELLS));
	idx = PtMalloc(sizeof(int) * (size_t) d);
	ilo = PtMalloc(sizeof(int) * (size_t) d);
	ihi = PtMalloc(sizeof(int) * (size_t) d);
	if (wgt == NULL || bp == NULL || nbp == NULL || cell_v == NULL || cell_w == NULL ||
		idx == NULL || ilo == NULL || ihi == NULL)
		goto oom;

	/* Total variance: leaf values weighted by leaf volume. */
	{
		double		maxlog = -INFINITY;

		for (i = 0; i < lv.n; i++)
			if (lv.log_vol[i] > maxlog)
				maxlog = lv.log_vol[i];
		for (i = 0; i < lv.n; i++)
			wgt[i] = exp(lv.log_vol[i] - maxlog);
		*total = weighted_variance(lv.value, wgt, lv.n);
	}
	if (!(*total > 0))
		goto done;

	/* Breakpoints per column: 0, the distinct thresholds, 1. */
	for (k = 0; k < d; k++)
		bp[(size_t) k * stride + nbp[k]++] = 0.0;
	for (i = 0; i < tree->n_nodes; i++)
		if (tree->nodes[i].feature >= 0)
		{
			k = tree->nodes[i].feature;
			bp[(size_t) k * stride + nbp[k]++] = tree->nodes[i].threshold;
		}
	for (k = 0; k < d; k++)
	{
		double	   *b = bp + (size_t) k * stride;
		int			m = 1;
		int			j;

		b[nbp[k]++] = 1.0;
		qsort(b, (size_t) nbp[k], sizeof(double), cmp_double);
		for (j = 1; j < nbp[k]; j++)
			if (b[j] > b[m - 1])
				b[m++] = b[j];
		nbp[k] = m;
	}

	for (g = 0; g < n_groups; g++)
	{
		int			gs = group_start[g];
		int			gl = group_len[g];
		double		cells = 1;
		double		var;
		int			c;
		int			n_cells;

		outside_weights(&lv, gs, gl, wgt);
		for (k = 0; k < gl; k++)
			cells *= (double) (nbp[gs + k] - 1);
		if (gl > 1 && cells > PT_FANOVA_MAX_CELLS)
		{
			if (gl > PT_FANOVA_MAX_CELLS)
				goto oom;
			var = vertex_variance(&lv, gs, gl, wgt, cell_v, cell_w);
			fraction[g] = fmax(var, 0) / *total;
			continue;
		}
		n_cells = (int) cells;
		memset(cell_v, 0, sizeof(double) * n_cells);
		memset(cell_w, 0, sizeof(double) * n_cells);
		if (gl == 1)
		{
			/* One column: a leaf covers a run of intervals; add it at both ends and sum along. */
			const double *b = bp + (size_t) gs * stride;
			double		run_v = 0;
			double		run_w = 0;

			for (i = 0; i < lv.n; i++)
			{
				int			lo = lower_index(b, nbp[gs], lv.lo[(size_t) i * d + gs]);
				int			hi = lower_index(b, nbp[gs], lv.hi[(size_t) i * d + gs]);

				if (hi <= lo)
					continue;
				cell_v[lo] += wgt[i] * lv.value[i];
				cell_w[lo] += wgt[i];
				if (hi < n_cells)
				{
					cell_v[hi] -= wgt[i] * lv.value[i];
					cell_w[hi] -= wgt[i];
				}
			}
			for (c = 0; c < n_cells; c++)
			{
				run_v += cell_v[c];
				run_w += cell_w[c];
				cell_v[c] = run_v;
				cell_w[c] = run_w;
			}
		}
		/* Each leaf adds its value to every cell of the grid its box covers. */
		for (i = 0; i < lv.n && gl > 1; i++)
		{
			bool		more = true;

			for (k = 0; k < gl; k++)
			{
				const double *b = bp + (size_t) (gs + k) * stride;

				ilo[k] = lower_index(b, nbp[gs + k], lv.lo[(size_t) i * d + gs + k]);
				ihi[k] = lower_index(b, nbp[gs + k], lv.hi[(size_t) i * d + gs + k]);
				idx[k] = ilo[k];
				if (ihi[k] <= ilo[k])
					more = false;
			}
			while (more)
			{
				int			cell = 0;

				for (k = 0; k < gl; k++)
					cell = cell * (nbp[gs + k] - 1) + idx[k];
				cell_v[cell] += wgt[i] * lv.value[i];
				cell_w[cell] += wgt[i];
				for (k = gl - 1; k >= 0; k--)
				{
					if (++idx[k] < ihi[k])
						break;
					idx[k] = ilo[k];
				}
				more = k >= 0;
			}
		}
		/* The cell's average, then its volume as the weight. */
		for (c = 0; c < n_cells; c++)
		{
			int			rest = c;
			double		vol = 1;

			cell_v[c] = cell_w[c] > 0 ? cell_v[c] / cell_w[c] : 0;
			for (k = gl - 1; k >= 0; k--)
			{
				const double *b = bp + (size_t) (gs + k) * stride;
				int			nk = nbp[gs + k] - 1;
				int			j = rest % nk;

				rest /= nk;
				vol *= b[j + 1] - b[j];
			}
			cell_w[c] = vol;
		}
		var = weighted_variance(cell_v, cell_w, n_cells);
		fraction[g] = fmax(var, 0) / *total;
	}
	goto done;
oom:
	rc = PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory in the fANOVA decomposition");
done:
	free_leaves(&lv);
	PtFree(wgt);
	PtFree(bp);
	PtFree(nbp);
	PtFree(cell_v);
	PtFree(cell_w);
	PtFree(idx);
	PtFree(ilo);
	PtFree(ihi);
	return rc;
}
