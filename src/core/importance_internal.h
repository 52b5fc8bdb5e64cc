/*
 * importance_internal.h — the random forest and the fANOVA decomposition behind PtImportance.
 *
 * Columns are scaled to [0, 1] before fitting: splits, leaf predictions and
 * variance fractions do not change under a per-column affine map, and unit
 * columns keep leaf volumes well inside double range.
 */
#ifndef PTOPT_IMPORTANCE_INTERNAL_H
#define PTOPT_IMPORTANCE_INTERNAL_H

#include <stdint.h>

#include "pt_error.h"
#include "pt_stop.h"

/* One node of a regression tree; feature < 0 marks a leaf. */
typedef struct PtTreeNode
{
	int			feature;
	double		threshold;		/* go left when x[feature] <= threshold */
	int			left;
	int			right;
	double		value;			/* weighted mean score of the node's samples */
} PtTreeNode;

typedef struct PtTree
{
	int			n_nodes;
	int			cap;
	PtTreeNode *nodes;			/* node 0 is the root */
} PtTree;

/* How a forest is grown. */
typedef struct PtForestOptions
{
	int			n_trees;
	int			max_depth;
	int			min_samples_split;
	uint64_t	seed;
} PtForestOptions;

/*
 * Grow n_trees trees on X (n rows of d columns in [0, 1], row-major) and y.
 * trees must hold n_trees PtTree values; each is filled (free with
 * PtTreeFree).  Returns PT_OK or an error code with err set.
 */
extern int	PtForestFit(const double *X, const double *y, int n, int d,
						const PtForestOptions *opts, const PtStop *stop,
						PtTree *trees, PtError *err);

/* Free the nodes of a tree (the struct itself is the caller's). */
extern void PtTreeFree(PtTree *tree);

/* Predict one row with a tree. */
extern double PtTreePredict(const PtTree *tree, const double *row);

/*
 * fANOVA of one tree over d columns in [0, 1]: *total gets the tree's
 * variance; fraction[g] the variance of the prediction as a function of
 * group g's columns (columns group_start[g] .. group_start[g] +
 * group_len[g] - 1), averaged over all others, divided by the total (0 when
 * the total is 0).  Returns PT_OK or PT_ERR_OUT_OF_MEMORY with err set.
 */
extern int	PtFanovaTree(const PtTree *tree, int d, int n_groups, const int *group_start,
						 const int *group_len, double *total, double *fraction, PtError *err);

#endif							/* PTOPT_IMPORTANCE_INTERNAL_H */
