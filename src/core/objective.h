/*
 * objective.h — the objective vtable: what a trial is scored by.
 *
 * Built in: "branin" and "quadratic" (closed-form checks for samplers);
 * "clob_v2" (the synthetic CLOB V2 backtest, the default) lives in src/clob
 * and is registered at start-up.  The glue adds user SQL functions through
 * the same vtable.  Objectives work on points (arrays of doubles over the
 * run's evaluation space); only a SQL objective turns a point into JSON.  The score is maximised:
 * closed-form minimisation problems are negated.
 */
#ifndef PTOPT_OBJECTIVE_H
#define PTOPT_OBJECTIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "pt_error.h"
#include "pt_stop.h"
#include "space.h"

#define PT_DEFAULT_OBJECTIVE "clob_v2"
#define PT_OBJECTIVE_THREADS_AUTO (-1)	/* PtObjectiveInit.threads: as many as cores are free */

typedef struct PtEvaluation
{
	double		score;			/* higher is better */
	char	   *report_json;	/* PtMalloc'd JSON object text, or NULL */
	char	   *summary;		/* PtMalloc'd plain sentences, or NULL */
} PtEvaluation;

struct json_object;

/* What an objective is opened with, once per run. */
typedef struct PtObjectiveInit
{
	/*
	 * The evaluation space: the search space's dimensions first (n_search of
	 * them), then extra dimensions for options.fixed keys and for parameters a
	 * warm-start point sets outside the space (categoricals whose choices are
	 * JSON texts; description says where they were set).  Must outlive the
	 * objective.
	 */
	const PtSpace *space;
	int			n_search;
	const struct json_object *options;	/* the run options, parsed once; may be NULL */
	const char *policy_json;	/* the policy snapshot, or NULL for the defaults */
	uint64_t	seed;			/* the run seed: held-out worlds derive from it */

	/*
	 * Threads one evaluation may use, the calling thread among them: 0 or 1
	 * the calling thread alone, PT_OBJECTIVE_THREADS_AUTO as many as cores
	 * are free.  Only the backtest uses more than one (its worlds at once).
	 */
	int			threads;
} PtObjectiveInit;

typedef struct PtObjectiveOps
{
	const char *name;

	/*
	 * New state.  Checks the evaluation space against what the objective
	 * accepts (names, types, ranges, the values of the extra dimensions) and
	 * does every name lookup once, so evaluate works on indexes.
	 */
	void	   *(*init) (const PtObjectiveInit *init, PtError *err);

	/*
	 * Score one point x of the evaluation space (NaN = unset: the objective's
	 * default).  An error other than PT_ERR_CANCELLED marks that iteration
	 * failed; the run goes on.
	 */
	int			(*evaluate) (void *state, const double *x, PtEvaluation *out,
							 const PtStop *stop, PtError *err);

	/* The held-out score of a point (the incumbent best), or NULL when there is none. */
	int			(*evaluate_holdout) (void *state, const double *x, double *score,
									 const PtStop *stop, PtError *err);
	/* Release the state. */
	void		(*free) (void *state);
} PtObjectiveOps;

typedef struct PtObjective
{
	const PtObjectiveOps *ops;
	void	   *state;
} PtObjective;

/* Look up a built-in objective by name; NULL when there is none. */
extern const PtObjectiveOps *PtObjectiveLookup(const char *name);

/* Create an objective from its ops; NULL with err set on failure (a bad space included). */
extern PtObjective *PtObjectiveCreate(const PtObjectiveOps *ops, const PtObjectiveInit *init,
									  PtError *err);

/*
 * PtObjectiveCreate over a search space alone, options given as JSON text
 * (tests and benchmarks; a run passes its plan's evaluation space).
 */
extern PtObjective *PtObjectiveCreateFromText(const PtObjectiveOps *ops, const PtSpace *space,
											  const char *options_json, const char *policy_json,
											  PtError *err);

/* Evaluate one point of the evaluation space; out is zeroed first. */
extern int	PtObjectiveEvaluate(PtObjective *objective, const double *x,
								PtEvaluation *out, const PtStop *stop, PtError *err);

/* True when the objective has a held-out evaluation. */
extern bool PtObjectiveHasHoldout(const PtObjective *objective);

/* The held-out score of a point; PT_ERR_INTERNAL when the objective has none. */
extern int	PtObjectiveEvaluateHoldout(PtObjective *objective, const double *x, double *score,
									   const PtStop *stop, PtError *err);

/*
 * The numeric value of dimension i at point value v: float and int values
 * as they are, a choice whose JSON text is a number as that number, true
 * and false as 1 and 0.  False when it has none (a string, NaN).
 */
extern bool PtSpaceNumericValue(const PtSpace *space, int i, double v, double *out);

/* Free what an evaluation holds (not the struct). */
extern void PtEvaluationClear(PtEvaluation *eval);

/* Free an objective (NULL is fine). */
extern void PtObjectiveFree(PtObjective *objective);

/* The closed-form objectives (testfuncs.c). */
extern const PtObjectiveOps PtBraninObjective;
extern const PtObjectiveOps PtQuadraticObjective;

/*
 * The backtest (src/clob/objective_clob.c) is registered by whoever links
 * src/clob (the glue, the tests): core does not depend on the simulator.
 */
extern void PtObjectiveRegister(const PtObjectiveOps *ops);

#endif							/* PTOPT_OBJECTIVE_H */
