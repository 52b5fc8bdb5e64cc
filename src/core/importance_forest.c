/*
 * importance_forest.c — a random forest of regression trees, grown as
 * scikit-learn's RandomForestRegressor grows them with Optuna's settings.
 *
 * Each tree draws n rows with replacement (a row's count is its weight),
 * keeps the rows drawn at least once, and grows depth first.  At a node,
 * every column is tried in a random order; a split falls halfway between two
 * neighbouring distinct values (more than PT_FOREST_FEATURE_EPS apart) and
 * the best maximises sum_left^2 / w_left + sum_right^2 / w_right (least
 * squared error); the first best in column order wins a tie.  A node is a
 * leaf at max_depth, below min_samples_split distinct rows, or with a
 * weighted variance <= DBL_EPSILON.  Columns are sorted once per tree; a
 * split partitions every column's sorted segment stably, so a level costs
 * O(rows * columns).
 */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "importance_internal.h"
#include "pt_alloc.h"
#include "rng.h"

#define PT_FOREST_FEATURE_EPS 1e-7		/* scikit-learn's FEATURE_THRESHOLD */

/* Scratch shared by the nodes of one tree. */
typedef struct ForestWork
{
	const double *X;
	const double *y;
	int			n;				/* rows of X */
	int			d;				/* columns */
	int			m;				/* rows in the bootstrap sample */
	double	   *w;				/* weight (bootstrap count) of each row of X */
	int		   *sorted;			/* d segments of m row ids, each sorted by its column */
	int		   *tmp;			/* m ids: the right side while partitioning */
	unsigned char *left;		/* per row of X: goes left at the current split */
	int		   *order;			/* d columns in random order */
	PtRng		rng;
} ForestWork;

/* A node waiting to be grown. */
typedef struct ForestTask
{
	int			node;
	int			start;
	int			end;
	int			depth;
} ForestTask;

/* The row ids sorted by one column: the comparison's context. */
static const double *sort_column_X;
static int	sort_column_d;
static int	sort_column_j;

/* Order row ids by their value in the sort column, then by id (stable). */
static int
cmp_by_column(const void *a, const void *b)
{
	int			ia = *(const int *) a;
	int			ib = *(const int *) b;
	double		va = sort_column_X[(size_t) ia * sort_column_d + sort_column_j];
	double		vb = sort_column_X[(size_t) ib * sort_column_d + sort_column_j];

	if (va < vb)
		return -1;
	if (va > vb)
		return 1;
	return (ia > ib) - (ia < ib);
}

/* Append a node to a tree; its index, or -1 when out of memory. */
static int
tree_add(PtTree *tree)
{
	if (tree->n_nodes == tree->cap)
	{
		int			cap = tree->cap == 0 ? 64 : tree->cap * 2;
		PtTreeNode *nodes = PtRealloc(tree->nodes, sizeof(PtTreeNode) * (size_t) cap);

		if (nodes == NULL)
			return -1;
		tree->nodes = nodes;
		tree->cap = cap;
	}
	memset(&tree->nodes[tree->n_nodes], 0, sizeof(PtTreeNode));
	tree->nodes[tree->n_nodes].feature = -1;
	return tree->n_nodes++;
}

/*
 * Find the best split of rows [start, end) (the segment of each column's
 * sorted ids).  Sets *feature (-1 for none), *pos (rows before the split in
 * that column's order) and *threshold.
 */
static void
best_split(ForestWork *w, int start, int end, double sum_all, double w_all,
		   int *feature, int *pos, double *threshold)
{
	double		best = -INFINITY;
	int			k;

	*feature = -1;
	for (k = w->d - 1; k > 0; k--)
	{
		int			r = (int) PtRngBelow(&w->rng, (uint64_t) k + 1);
		int			t = w->order[k];

		w->order[k] = w->order[r];
		w->order[r] = t;
	}
	for (k = 0; k < w->d; k++)
	{
		int			j = w->order[k];
		const int  *ids = w->sorted + (size_t) j * w->m;
		double		sl = 0;
		double		wl = 0;
		int			p;

		if (w->X[(size_t) ids[start] * w->d + j] + PT_FOREST_FEATURE_EPS >=
			w->X[(size_t) ids[end - 1] * w->d + j])
			continue;			/* constant here */
		for (p = start + 1; p < end; p++)
		{
			int			prev = ids[p - 1];
			double		xp = w->X[(size_t) prev * w->d + j];
			double		xn = w->X[(size_t) ids[p] * w->d + j];
			double		proxy;

			sl += w->w[prev] * w->y[prev];
			wl += w->w[prev];
			if (xp + PT_FOREST_FEATURE_EPS >= xn)
				continue;
			proxy = sl * sl / wl + (sum_all - sl) * (sum_all - sl) / (w_all - wl);
			if (proxy > best)
			{
				double		th = xp / 2.0 + xn / 2.0;

				if (th == xn || !isfinite(th))
					th = xp;
				best = proxy;
				*feature = j;
				*pos = p - start;
				*threshold = th;
			}
		}
	}
}

/* Split every column's segment [start, end) stably: rows marked left first. */
static void
partition(ForestWork *w, int start, int end)
{
	int			j;

	for (j = 0; j < w->d; j++)
	{
		int		   *ids = w->sorted + (size_t) j * w->m;
		int			nl = start;
		int			nr = 0;
		int			p;

		for (p = start; p < end; p++)
		{
			if (w->left[ids[p]])
				ids[nl++] = ids[p];
			else
				w->tmp[nr++] = ids[p];
		}
		memcpy(ids + nl, w->tmp, sizeof(int) * (size_t) nr);
	}
}

/* Grow one tree on the rows with weight > 0 in w->w. */
static int
grow_tree(ForestWork *w, const PtForestOptions *opts, PtTree *tree, PtError *err)
{
	ForestTask *stack;
	int			top = 0;
	int			root;

	/* Depth-first: at most one pending sibling per level, plus the node in hand. */
	stack = PtMalloc(sizeof(ForestTask) * (size_t) (opts->max_depth + 2));
	root = tree_add(tree);
	if (stack == NULL || root < 0)
	{
		PtFree(stack);
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory growing a tree");
	}
	stack[top++] = (ForestTask) {root, 0, w->m, 0};
	while (top > 0)
	{
		ForestTask	t = stack[--top];
		const int  *ids = w->sorted;	/* column 0's order: any order will do for sums */
		double		sum = 0;
		double		sq = 0;
		double		wt = 0;
		double		mean;
		int			feature = -1;
		int			pos = 0;
		double		threshold = 0;
		int			p;

		for (p = t.start; p < t.end; p++)
		{
			int			r = ids[p];

			sum += w->w[r] * w->y[r];
			sq += w->w[r] * w->y[r] * w->y[r];
			wt += w->w[r];
		}
		mean = sum / wt;
		tree->nodes[t.node].value = mean;
		if (t.depth >= opts->max_depth || t.end - t.start < opts->min_samples_split ||
			sq / wt - mean * mean <= DBL_EPSILON)
			continue;
		best_split(w, t.start, t.end, sum, wt, &feature, &pos, &threshold);
		if (feature < 0)
			continue;
		{
			const int  *fids = w->sorted + (size_t) feature * w->m;
			int			left;
			int			right;

			for (p = t.start; p < t.end; p++)
				w->left[fids[p]] = (p - t.start) < pos;
			partition(w, t.start, t.end);
			left = tree_add(tree);
			right = left < 0 ? -1 : tree_add(tree);
			if (right < 0)
			{
				PtFree(stack);
				return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory growing a tree");
			}
			tree->nodes[t.node].feature = feature;
			tree->nodes[t.node].threshold = threshold;
			tree->nodes[t.node].left = left;
			tree->nodes[t.node].right = right;
			stack[top++] = (ForestTask) {right, t.start + pos, t.end, t.depth + 1};
			stack[top++] = (ForestTask) {left, t.start, t.start + pos, t.depth + 1};
		}
	}
	PtFree(stack);
	return PT_OK;
}

/* Grow the forest. */
int
PtForestFit(const double *X, const double *y, int n, int d, const PtForestOptions *opts,
			const PtStop *stop, PtTree *trees, PtError *err)
{
	ForestWork	w;
	int		   *all_sorted;
	int			t;
	int			j;
	int			i;
	int			rc = PT_OK;

	PtErrorClear(err);
	memset(trees, 0, sizeof(PtTree) * (size_t) opts->n_trees);
	if (n < 1 || d < 1)
		return PtErrorSet(err, PT_ERR_INTERNAL, "a forest needs rows and columns");
	memset(&w, 0, sizeof(w));
	w.X = X;
	w.y = y;
	w.n = n;
	w.d = d;
	w.w = PtMalloc(sizeof(double) * (size_t) n);
	w.sorted = PtMalloc(sizeof(int) * (size_t) n * (size_t) d);
	w.tmp = PtMalloc(sizeof(int) * (size_t) n);
	w.left = PtMalloc((size_t) n);
	w.order = PtMalloc(sizeof(int) * (size_t) d);
	all_sorted = PtMalloc(sizeof(int) * (size_t) n * (size_t) d);
	if (w.w == NULL || w.sorted == NULL || w.tmp == NULL || w.left == NULL || w.order == NULL ||
		all_sorted == NULL)
	{
		rc = PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory fitting the importance forest");
		goto done;
	}
	/* Every column sorted once over all rows; each tree keeps its rows in that order. */
	sort_column_X = X;
	sort_column_d = d;
	for (j = 0; j < d; j++)
	{
		int		   *ids = all_sorted + (size_t) j * n;

		for (i = 0; i < n; i++)
			ids[i] = i;
		sort_column_j = j;
		qsort(ids, (size_t) n, sizeof(int), cmp_by_column);
	}
	for (t = 0; t < opts->n_trees; t++)
	{
		if (PtStopRequested(stop))
		{
			rc = PtErrorSet(err, PT_ERR_CANCELLED, "parameter importance was cancelled");
			goto done;
		}
		PtRngSeed(&w.rng, PtRngDerive(opts->seed, (uint64_t) t));
		memset(w.w, 0, sizeof(double) * (size_t) n);
		for (i = 0; i < n; i++)
			w.w[PtRngBelow(&w.rng, (uint64_t) n)] += 1.0;
		w.m = 0;
		for (i = 0; i < n; i++)
			w.m += w.w[i] > 0;
		for (j = 0; j < d; j++)
		{
			const int  *src = all_sorted + (size_t) j * n;
			int		   *dst = w.sorted + (size_t) j * w.m;
			int			k = 0;

			for (i = 0; i < n; i++)
				if (w.w[src[i]] > 0)
					dst[k++] = src[i];
			w.order[j] = j;
		}
		rc = grow_tree(&w, opts, &trees[t], err);
		if (rc != PT_OK)
			goto done;
	}
done:
	if (rc != PT_OK)
		for (t = 0; t < opts->n_trees; t++)
			PtTreeFree(&trees[t]);
	PtFree(w.w);
	PtFree(w.sorted);
	PtFree(w.tmp);
	PtFree(w.left);
	PtFree(w.order);
	PtFree(all_sorted);
	return rc;
}

/* Free a tree's nodes. */
void
PtTreeFree(PtTree *tree)
{
	PtFree(tree->nodes);
	tree->nodes = NULL;
	tree->n_nodes = tree->cap = 0;
}

/* Predict one row. */
double
PtTreePredict(const PtTree *tree, const double *row)
{
	int			k = 0;

	while (tree->nodes[k].feature >= 0)
		k = row[tree->nodes[k].feature] <= tree->nodes[k].threshold ? tree->nodes[k].left
			: tree->nodes[k].right;
	return tree->nodes[k].value;
}
