/*
 * objective.h — the objective vtable: what a trial is scored by.
 *
 * Built in: "clob_v2" (the synthetic CLOB V2 backtest, the default),
 * "branin" and "quadratic" (closed-form checks for samplers).  The glue adds
 * user SQL functions through the same vtable.  The score is maximised:
 * closed-form minimisation problems are negated.
 */
#ifndef PTOPT_OBJECTIVE_H
#define PTOPT_OBJECTIVE_H

#include <stdbool.h>

#include "pt_error.h"
#include "pt_stop.h"
#include "space.h"

#define PT_DEFAULT_OBJECTIVE "clob_v2"

typedef struct PtEvaluation
{
	double		score;			/* higher is better */
	bool		has_holdout;
	double		holdout_score;
	char	   *report_json;	/* PtMalloc'd JSON object text, or NULL */
	char	   *summary;		/* PtMalloc'd plain sentences, or NULL */
} PtEvaluation;

typedef struct PtObjectiveOps
{
	const char *name;
	/* New state; options_json is the run options object, policy_json the policy snapshot. */
	void	   *(*init) (const char *options_json, const char *policy_json, PtError *err);
	/* Check a space and options.fixed against what the objective accepts (may be NULL). */
	int			(*validate_space) (void *state, const PtSpace *space, const char *fixed_json,
								   PtError *err);
	/*
	 * Score one parameter set (JSON object text).  An error other than
	 * PT_ERR_CANCELLED marks that iteration failed; the run goes on.
	 */
	int			(*evaluate) (void *state, const char *params_json, PtEvaluation *out,
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

/* Create an objective from its ops; NULL with err set on failure. */
extern PtObjective *PtObjectiveCreate(const PtObjectiveOps *ops, const char *options_json,
									  const char *policy_json, PtError *err);

/* Validate a space against the objective. */
extern int	PtObjectiveValidateSpace(PtObjective *objective, const PtSpace *space,
									 const char *fixed_json, PtError *err);

/* Evaluate one parameter set; out is zeroed first. */
extern int	PtObjectiveEvaluate(PtObjective *objective, const char *params_json,
								PtEvaluation *out, const PtStop *stop, PtError *err);

/* Free what an evaluation holds (not the struct). */
extern void PtEvaluationClear(PtEvaluation *eval);

/* Free an objective (NULL is fine). */
extern void PtObjectiveFree(PtObjective *objective);

/* The closed-form objectives (testfuncs.c) and the backtest (objective_clob.c). */
extern const PtObjectiveOps PtBraninObjective;
extern const PtObjectiveOps PtQuadraticObjective;
extern const PtObjectiveOps PtClobObjective;

#endif							/* PTOPT_OBJECTIVE_H */
