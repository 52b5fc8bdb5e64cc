/*
 * test_importance.c — unit tests of parameter importance (src/core/importance*.c).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "importance.h"
#include "importance_internal.h"
#include "pt_alloc.h"
#include "rng.h"
#include "space.h"
#include "unit.h"

#define N_TRIALS 300

/* fANOVA of hand-built trees, where the answer is known in closed form. */
static void
test_fanova_known_trees(void)
{
	PtError		err;
	/* x0 <= 0.5 ? 0 : 1  — all variance is x0's, 0.25 in total. */
	PtTreeNode	n1[3] = {{0, 0.5, 1, 2, 0.5}, {-1, 0, 0, 0, 0.0}, {-1, 0, 0, 0, 1.0}};
	PtTree		t1 = {3, 3, n1};
	/* x0 <= 0.5 ? (x1 <= 0.25 ? 0 : 4) : 2  — an interaction. */
	PtTreeNode	n2[5] = {{0, 0.5, 1, 2, 0}, {1, 0.25, 3, 4, 0}, {-1, 0, 0, 0, 2.0},
	{-1, 0, 0, 0, 0.0}, {-1, 0, 0, 0, 4.0}};
	PtTree		t2 = {5, 5, n2};
	int			gs[2] = {0, 1};
	int			gl[2] = {1, 1};
	double		total;
	double		frac[2];

	CHECK(PtFanovaTree(&t1, 2, 2, gs, gl, &total, frac, &err) == PT_OK, "fanova of a one-split tree runs");
	CHECK_NEAR(total, 0.25, 1e-12, "one-split tree: total variance 0.25 (got %g)", total);
	CHECK_NEAR(frac[0], 1.0, 1e-12, "one-split tree: x0 explains all of it (got %g)", frac[0]);
	CHECK_NEAR(frac[1], 0.0, 1e-12, "one-split tree: x1 explains none (got %g)", frac[1]);

	/*
	 * Leaves: [0,.5]x[0,.25] = 0 (vol 1/8), [0,.5]x[.25,1] = 4 (3/8), [.5,1]x[0,1] = 2 (1/2).
	 * Mean 2.5, total variance 1/8*6.25 + 3/8*2.25 + 1/2*0.25 = 1.75.  Marginal in x0: 3 on the
	 * left half, 2 on the right: variance 0.25.  Marginal in x1: below .25 (0 + 2)/2 = 1, above
	 * (4 + 2)/2 = 3, weights 1/4 and 3/4: variance 0.75.
	 */
	CHECK(PtFanovaTree(&t2, 2, 2, gs, gl, &total, frac, &err) == PT_OK, "fanova of an interaction tree runs");
	CHECK_NEAR(total, 1.75, 1e-12, "interaction tree: total variance 1.75 (got %g)", total);
	CHECK_NEAR(frac[0], 0.25 / 1.75, 1e-12, "interaction tree: x0 main effect 1/7 (got %g)", frac[0]);
	CHECK_NEAR(frac[1], 0.75 / 1.75, 1e-12, "interaction tree: x1 main effect 3/7 (got %g)", frac[1]);
}

/* A forest fitted on a step function predicts its training rows. */
static void
test_forest_fits(void)
{
	double		X[20];
	double		y[20];
	PtTree		trees[4];
	PtForestOptions opts = {4, 64, 2, 7};
	PtError		err;
	int			i;
	int			right = 0;

	for (i = 0; i < 20; i++)
	{
		X[i] = i / 19.0;
		y[i] = X[i] > 0.5 ? 3.0 : -1.0;
	}
	CHECK(PtForestFit(X, y, 20, 1, &opts, NULL, trees, &err) == PT_OK, "forest on a step function fits");
	for (i = 0; i < 20; i++)
		right += PtTreePredict(&trees[0], &X[i]) == y[i];
	CHECK(right >= 18, "a tree predicts the step at its training rows (%d of 20; out-of-bag rows may miss)", right);
	for (i = 0; i < 4; i++)
		PtTreeFree(&trees[i]);
}

/* Trials of y = 10 (a - 0.3)^2 + 0.5 b + [c == "x"] over a space with an unused z. */
static PtSpace *
synthetic(double *x, double *y, int n, uint64_t seed, PtError *err)
{
	PtSpace    *space = PtSpaceParse("{\"a\": {\"type\": \"float\", \"low\": 0, \"high\": 1},"
									 " \"b\": {\"type\": \"float\", \"low\": 0, \"high\": 1},"
									 " \"z\": {\"type\": \"float\", \"low\": 1, \"high\": 1000, \"log\": true},"
									 " \"c\": {\"type\": \"categorical\", \"choices\": [\"x\", \"y\", \"w\"]},"
									 " \"k\": {\"type\": \"categorical\", \"choices\": [3]}}", err);
	PtRng		rng;
	int			i;

	if (space == NULL)
		return NULL;
	PtRngSeed(&rng, seed);
	for (i = 0; i < n; i++)
	{
		double	   *row = x + (size_t) i * 5;

		row[0] = PtRngUniform(&rng);
		row[1] = PtRngUniform(&rng);
		row[2] = exp(log(1000.0) * PtRngUniform(&rng));
		row[3] = (double) PtRngBelow(&rng, 3);
		row[4] = 0;
		y[i] = 10 * (row[0] - 0.3) * (row[0] - 0.3) + 0.5 * row[1] + (row[3] == 0 ? 1.0 : 0.0);
	}
	return space;
}

/* Order of the parameters in the synthetic space. */
enum
{
	P_A, P_B, P_Z, P_C, P_K
};

/* One dominant, one small, one irrelevant, one categorical, one fixed parameter. */
static void
test_synthetic_importance(void)
{
	static double x[N_TRIALS * 5];
	static double y[N_TRIALS];
	double		imp[5];
	double		again[5];
	double		other_seed[5];
	double		sum = 0;
	PtError		err;
	PtSpace    *space = synthetic(x, y, N_TRIALS, 11, &err);
	int			p;

	CHECK(space != NULL, "synthetic space parses: %s", space == NULL ? err.message : "");
	if (space == NULL)
		return;
	CHECK(PtImportance(space, x, y, N_TRIALS, 0, NULL, imp, &err) == PT_OK, "importance runs: %s", err.message);
	for (p = 0; p < 5; p++)
		sum += imp[p];
	printf("# importance a %.4f  b %.4f  z %.4f  c %.4f  k %.4f\n", imp[P_A], imp[P_B], imp[P_Z], imp[P_C], imp[P_K]);
	CHECK_NEAR(sum, 1.0, 1e-12, "importances sum to 1 (got %.15g)", sum);
	CHECK(imp[P_A] > 0.6, "the dominant parameter a has most of the importance (%.4f)", imp[P_A]);
	CHECK(imp[P_A] > imp[P_C] && imp[P_C] > imp[P_B], "a > c > b as their effects' variances (%.3f %.3f %.3f)",
		  imp[P_A], imp[P_C], imp[P_B]);
	CHECK(imp[P_Z] < 0.03, "the irrelevant parameter z is near 0 (%.4f)", imp[P_Z]);
	CHECK(imp[P_K] == 0.0, "a parameter with one value has importance 0");
	CHECK(PtImportance(space, x, y, N_TRIALS, 0, NULL, again, &err) == PT_OK &&
		  memcmp(imp, again, sizeof(imp)) == 0, "the same seed gives the same importances, bit for bit");
	CHECK(PtImportance(space, x, y, N_TRIALS, 5, NULL, other_seed, &err) == PT_OK &&
		  memcmp(imp, other_seed, sizeof(imp)) != 0 && fabs(imp[P_A] - other_seed[P_A]) < 0.1,
		  "another seed gives other forests with close importances (a %.4f vs %.4f)", imp[P_A], other_seed[P_A]);

	/* Non-finite scores are left out, as Optuna leaves them out. */
	y[0] = NAN;
	y[1] = INFINITY;
	CHECK(PtImportance(space, x, y, N_TRIALS, 0, NULL, again, &err) == PT_OK && again[P_A] > 0.6,
		  "non-finite scores are skipped (a %.4f)", again[P_A]);

	/* Errors. */
	CHECK(PtImportance(space, x + 10, y + 2, 1, 0, NULL, again, &err) == PT_ERR_INVALID_PARAMETER &&
		  strstr(err.message, "at least 2") != NULL, "one trial is refused: %s", err.message);
	for (p = 0; p < N_TRIALS; p++)
		y[p] = 4.0;
	CHECK(PtImportance(space, x, y, N_TRIALS, 0, NULL, again, &err) == PT_ERR_INVALID_PARAMETER &&
		  strstr(err.message, "vary") != NULL, "a constant score is refused: %s", err.message);
	PtSpaceFree(space);
}

/* A cancel stops the forest. */
static bool
always_stop(void *arg)
{
	return true;
}

/* The stop callback is polled. */
static void
test_stop(void)
{
	static double x[N_TRIALS * 5];
	static double y[N_TRIALS];
	double		imp[5];
	PtError		err;
	PtStop		stop = {always_stop, NULL};
	PtSpace    *space = synthetic(x, y, N_TRIALS, 3, &err);

	CHECK(PtImportance(space, x, y, N_TRIALS, 0, &stop, imp, &err) == PT_ERR_CANCELLED, "a stop cancels importance");
	PtSpaceFree(space);
}

/* A categorical parameter that decides the score dominates. */
static void
test_categorical_dominates(void)
{
	PtError		err;
	PtSpace    *space = PtSpaceParse("{\"u\": {\"type\": \"float\", \"low\": -5, \"high\": 5},"
									 " \"mode\": {\"type\": \"categorical\", \"choices\": [1, 2, 3, 4, 5, 6]},"
									 " \"on\": {\"type\": \"bool\"}}", &err);
	static double x[N_TRIALS * 3];
	static double y[N_TRIALS];
	double		imp[3];
	PtRng		rng;
	int			i;

	PtRngSeed(&rng, 99);
	for (i = 0; i < N_TRIALS; i++)
	{
		x[i * 3] = -5 + 10 * PtRngUniform(&rng);
		x[i * 3 + 1] = (double) PtRngBelow(&rng, 6);
		x[i * 3 + 2] = (double) PtRngBelow(&rng, 2);
		y[i] = 3.0 * x[i * 3 + 1] + 0.01 * x[i * 3];
	}
	CHECK(PtImportance(space, x, y, N_TRIALS, 0, NULL, imp, &err) == PT_OK, "categorical importance runs");
	printf("# importance u %.4f  mode %.4f  on %.4f\n", imp[0], imp[1], imp[2]);
	CHECK(imp[1] > 0.9, "the categorical that decides the score dominates (%.4f)", imp[1]);
	CHECK(imp[2] < 0.02, "the unused bool is near 0 (%.4f)", imp[2]);
	PtSpaceFree(space);
}

/* A categorical with many choices (more one-hot columns split than the grid allows) still dominates. */
static void
test_many_choices(void)
{
	PtError		err;
	PtSpace    *space = PtSpaceParse("{\"u\": {\"type\": \"float\", \"low\": 0, \"high\": 1},"
									 " \"pick\": {\"type\": \"categorical\", \"choices\": "
									 "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]}}", &err);
	static double x[1000 * 2];
	static double y[1000];
	double		imp[2];
	PtRng		rng;
	int			i;

	PtRngSeed(&rng, 5);
	for (i = 0; i < 1000; i++)
	{
		x[i * 2] = PtRngUniform(&rng);
		x[i * 2 + 1] = (double) PtRngBelow(&rng, 20);
		y[i] = (double) (((int) x[i * 2 + 1] * 7) % 20) + 0.1 * x[i * 2];
	}
	CHECK(PtImportance(space, x, y, 1000, 0, NULL, imp, &err) == PT_OK, "20-choice importance runs");
	printf("# importance u %.4f  pick %.4f\n", imp[0], imp[1]);
	CHECK(imp[1] > 0.95 && fabs(imp[0] + imp[1] - 1) < 1e-12, "the 20-choice categorical dominates (%.4f)", imp[1]);
	PtSpaceFree(space);
}

/* Run every test. */
int
main(void)
{
	test_fanova_known_trees();
	test_forest_fits();
	test_synthetic_importance();
	test_stop();
	test_categorical_dominates();
	test_many_choices();
	CHECK(PtAllocLive() == 0, "no allocation leaked (%ld live)", PtAllocLive());
	return UnitDone();
}
