/*
 * pt_replay.c — a stored run's strategy rebuilt from its rows, for ptopt_ask.
 *
 * Core objects are allocated in the current memory context (the SQL call's):
 * they die with the call, so an ERROR needs no cleanup.
 */
#include "postgres.h"

#include <math.h>

#include "portability/instr_time.h"

#include "history.h"
#include "pt_alloc.h"
#include "pt_glue.h"
#include "pt_replay.h"
#include "pt_run_store.h"
#include "pt_warm_start.h"
#include "run_plan.h"
#include "strategy.h"

/* A stored row, kept until every row is read. */
typedef struct ReplayRow
{
	int			iter;
	double	   *x;
	double		score;
	PtTrialStatus status;
	PtSource	source;
	bool		pending;
	char	   *summary;
	char	   *reasoning;
} ReplayRow;

struct PtReplay
{
	PtRunPlan  *plan;
	PtStrategy *strategy;
	PtHistory  *history;
	double	   *x;
	double	   *point;
	ReplayRow  *rows;
	int			n_rows;
	int			cap_rows;
	MemoryContext cxt;			/* where the rows are kept (the loaders reset their own) */
};

/* Keep one stored row (warm-start or the run's own) until every row is read. */
static void
keep_row(void *arg, const PtStoredIteration *it)
{
	PtReplay   *r = (PtReplay *) arg;
	ReplayRow  *row;
	PtError		err;
	char		what[64];
	MemoryContext old = MemoryContextSwitchTo(r->cxt);

	if (r->n_rows == r->cap_rows)
	{
		r->cap_rows = r->cap_rows == 0 ? 64 : r->cap_rows * 2;
		r->rows = r->rows == NULL ? palloc(sizeof(ReplayRow) * r->cap_rows)
			: repalloc(r->rows, sizeof(ReplayRow) * r->cap_rows);
	}
	row = &r->rows[r->n_rows];
	row->x = palloc(sizeof(double) * (r->plan->space->n_params + 1));
	if (it->iter > 0)
		snprintf(what, sizeof(what), "iteration %d of the stored run", it->iter);
	else
		snprintf(what, sizeof(what), "a warm-start iteration");
	if (PtSpacePointFromJson(r->plan->space, it->params_json, what, PT_POINT_IGNORE_UNKNOWN,
							 row->x, &err) != PT_OK)
		PtRaise(&err);
	row->iter = it->iter;
	/* Strategies maximise: a minimised run's scores are negated for them, as in the run loop. */
	row->score = r->plan->minimize ? -it->score : it->score;
	row->status = it->status;
	row->source = it->source;
	row->pending = it->pending;
	row->summary = it->summary ? pstrdup(it->summary) : NULL;
	row->reasoning = it->reasoning ? pstrdup(it->reasoning) : NULL;
	r->n_rows++;
	MemoryContextSwitchTo(old);
}

/*
 * Append a trial to the history and tell the strategy; a pending one is in
 * flight, so it joins as the constant liar does in a parallel batch (an ok
 * trial at score -inf, as Optuna's constant_liar treats a running trial).
 */
static void
append_trial(PtReplay *r, int iter, const double *x, PtTrialStatus status, double score,
			 PtSource source, bool pending, char *summary, char *reasoning)
{
	PtTrial		trial = {0};
	PtError		err;

	trial.iter = iter;
	trial.x = (double *) x;
	trial.status = pending ? PT_TRIAL_OK : status;
	trial.score = pending ? -INFINITY : score;
	trial.source = source;
	trial.summary = summary;
	trial.reasoning = reasoning;
	if (PtHistoryAppend(r->history, &trial, &err) != PT_OK)
		PtRaise(&err);
	PtStrategyObserve(r->strategy, r->history, &r->history->trials[r->history->n - 1]);
}

/* Rebuild a stored run's strategy and history. */
PtReplay *
PtReplayOpen(int64 run_id, const char *space_json, const char *strategy,
			 const char *options_json, int64 seed, int budget)
{
	PtReplay   *r = palloc0(sizeof(PtReplay));
	PtStrategyInit sinit;
	PtError		err;
	int			i;

	r->cxt = CurrentMemoryContext;
	r->plan = PtRunPlanCreate(space_json, strategy, budget, (uint64) seed, options_json, &err);
	if (r->plan == NULL)
		PtRaise(&err);
	sinit = PtRunPlanStrategyInit(r->plan);
	r->strategy = PtStrategyCreate(strategy, &sinit, &err);
	if (r->strategy == NULL)
		PtRaise(&err);
	r->history = PtHistoryCreate(r->plan->space, &err);
	if (r->history == NULL)
		PtRaise(&err);
	r->x = palloc0(sizeof(double) * (r->plan->space->n_params + 1));
	r->point = palloc0(sizeof(double) * (r->plan->eval_space->n_params + 1));
	(void) PtWarmStartLoad(run_id, keep_row, r);
	PtStoreLoadTrajectory(run_id, keep_row, r);
	for (i = 0; i < r->n_rows; i++)
	{
		ReplayRow  *row = &r->rows[i];

		append_trial(r, row->iter, row->x, row->status, row->score, row->source, row->pending,
					 row->summary, row->reasoning);
	}
	return r;
}

/* Propose iteration iter; the point joins the history as pending. */
void
PtReplayPropose(PtReplay *r, int iter, PtReplayProposal *out)
{
	PtProposal	proposal = {0};
	PtError		err;
	instr_time	start;
	instr_time	took;
	int			n_warm = r->plan->n_warm;

	INSTR_TIME_SET_CURRENT(start);
	proposal.x = r->x;
	if (iter <= n_warm)
	{
		/* options.warm_start: the given points first, as a worker's run takes them. */
		memcpy(r->point, PtRunPlanWarmPoint(r->plan, iter - 1),
			   sizeof(double) * r->plan->eval_space->n_params);
		memcpy(r->x, r->point, sizeof(double) * r->plan->space->n_params);
		proposal.source = PT_SOURCE_WARM_START;
	}
	else
	{
		if (PtStrategyPropose(r->strategy, r->history, iter, &proposal, PtPgStop(), &err) != PT_OK)
			PtRaise(&err);
		PtRunPlanEvalPoint(r->plan, r->x, r->point);
	}
	INSTR_TIME_SET_CURRENT(took);
	INSTR_TIME_SUBTRACT(took, start);
	out->params_json = PtTakeString(PtRunPlanPointJson(r->plan, r->point, &err));
	if (out->params_json == NULL)
		PtRaise(&err);
	out->source = PtSourceName(proposal.source);
	out->reasoning = proposal.reasoning ? PtTakeString(proposal.reasoning) : NULL;
	out->propose_ms = INSTR_TIME_GET_MILLISEC(took);
	out->tokens_in = proposal.tokens_in;
	out->tokens_out = proposal.tokens_out;
	append_trial(r, iter, r->x, PT_TRIAL_FAILED, 0, proposal.source, true, NULL, out->reasoning);
}

/* Free the core objects. */
void
PtReplayClose(PtReplay *r)
{
	PtStrategyFree(r->strategy);
	PtHistoryFree(r->history);
	PtRunPlanFree(r->plan);
	pfree(r);
}
