/*
 * importance.h — parameter importance as Optuna 3.1's default evaluator computes it:
 * fANOVA over a random forest fitted on the successful trials.
 *
 * Encoding (Optuna's _SearchSpaceTransform with transform_log and
 * transform_step off): a float or int parameter is one column over
 * [low, high] in its own units (no log), a categorical or bool parameter is
 * one one-hot column per choice over [0, 1].  A parameter with a single
 * value (low = high, or one choice) gets importance 0 and no column.
 * The forest: PT_IMPORTANCE_TREES regression trees, each on a bootstrap
 * sample, every column tried at every node in a random order, the split of
 * least squared error, grown to PT_IMPORTANCE_MAX_DEPTH or until a node has
 * fewer than PT_IMPORTANCE_MIN_SPLIT samples or zero variance (scikit-learn's
 * RandomForestRegressor defaults as Optuna sets them).  fANOVA: for each
 * tree, the variance over a parameter's columns of the tree's prediction
 * averaged over every other column (uniform measure on the bounds), as a
 * fraction of the tree's total variance; the mean fraction over trees, then
 * normalised to sum 1.  Deterministic for a seed.
 */
#ifndef PTOPT_IMPORTANCE_H
#define PTOPT_IMPORTANCE_H

#include <stdint.h>

#include "pt_error.h"
#include "pt_stop.h"
#include "space.h"

#define PT_IMPORTANCE_TREES 64			/* Optuna's n_trees */
#define PT_IMPORTANCE_MAX_DEPTH 64		/* Optuna's max_depth */
#define PT_IMPORTANCE_MIN_SPLIT 2		/* Optuna's min_samples_split */
#define PT_IMPORTANCE_MIN_TRIALS 2		/* Optuna refuses fewer */
#define PT_IMPORTANCE_DEFAULT_SEED 0	/* ptopt_importance's fixed seed */

/*
 * Importance of each parameter of space, from n trials: x[i * n_params + p]
 * is trial i's value of parameter p in space order (a value for float and
 * int parameters, the choice index for categorical and bool ones, as
 * PtSpacePointFromJson writes it), y[i] its score.  Trials whose score is
 * not finite are left out.  Writes importance[0..n_params-1], summing to 1
 * (equal shares when every variance is 0; all 0 when no parameter varies).
 * Returns PT_OK, or an error: PT_ERR_INVALID_PARAMETER for fewer than two
 * usable trials or scores that never vary, PT_ERR_CANCELLED when stop
 * fires, PT_ERR_OUT_OF_MEMORY.
 */
extern int	PtImportance(const PtSpace *space, const double *x, const double *y, int n,
						 uint64_t seed, const PtStop *stop, double *importance, PtError *err);

#endif							/* PTOPT_IMPORTANCE_H */
