/*
 * pt_run_trial.c — one trial's life in a run worker: propose, evaluate, write, remember.
 *
 * Serial runs evaluate here, one iteration per transaction.  Parallel runs
 * (options.workers = N > 1) go batch by batch: every point of a batch is
 * proposed first, each later one seeing the earlier ones in flight as bad
 * (the constant liar, as Optuna's constant_liar); the N - 1 trial workers
 * and this process (the coordinator) claim its trials one by one, whoever is
 * free first (pt_trial_shared.h); then the batch joins the history in
 * iteration order.  Its rows are written, and its new bests scored on the
 * held-out worlds, once the next batch is with the trial workers, so they do
 * not sit idle meanwhile (no proposal reads either); a run that ends or
 * stops writes the rows it holds first (PtRunWriteKeptRows).  A
 * clustered run (options.cluster) has no trial workers: one PL/Proxy call
 * evaluates the batch on the nodes at once.  Proposals depend only on (seed,
 * iteration, history), and a trial's outcome only on its point, so the same
 * seed and the same workers give the same trajectory whatever the timing and
 * whichever process evaluates which trial, clustered or not.
 */
#include "postgres.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "pt_alloc.h"
#include "pt_cluster.h"
#include "pt_glue.h"
#include "pt_run_state.h"
#include "pt_run_store.h"

#define PT_RUN_SYNC_MS 1000		/* how often the run row follows the trajectory */

/* One iteration on its way through the loop. */
typedef struct Trial
{
	int			iter;
	double	   *x;				/* the search-space point */
	double	   *point;			/* the same completed to the evaluation space */
	char	   *params;			/* the evaluation point as JSON: the stored row */
	PtProposal	proposal;
	double		propose_ms;
	int			rc;				/* PT_OK, or why the evaluation failed */
	PtEvaluation eval;
	PtError		err;
	double		elapsed_ms;		/* propose and evaluate */
	const PtTrial *stored;		/* already stored (a resumed partial batch): nothing to run */
} Trial;

/* The stored trial of iteration iter when a resume found it already there, else NULL. */
static const PtTrial *
stored_trial(PtRunState *st, int iter)
{
	int			i = iter - st->first_iter;

	if (st->stored == NULL || i < 0 || i >= st->n_stored || !st->stored[i].present)
		return NULL;
	return &st->stored[i].trial;
}

/* Propose iteration iter: a warm-start point, or the strategy's; then its evaluation point and JSON. */
static void
propose_trial(PtRunState *st, int iter, Trial *t)
{
	int			n_params = st->plan->space->n_params;
	int			n_eval = st->plan->eval_space->n_params;
	instr_time	start;
	instr_time	done;
	PtError		err;

	INSTR_TIME_SET_CURRENT(start);
	t->iter = iter;
	t->x = palloc0(sizeof(double) * (n_params + 1));
	t->point = palloc0(sizeof(double) * (n_eval + 1));
	t->proposal.x = t->x;
	if (iter <= st->plan->n_warm)
	{
		memcpy(t->point, PtRunPlanWarmPoint(st->plan, iter - 1), sizeof(double) * n_eval);
		memcpy(t->x, t->point, sizeof(double) * n_params);
		t->proposal.source = PT_SOURCE_WARM_START;
	}
	else
	{
		if (PtStrategyPropose(st->strategy, st->history, iter, &t->proposal, PtPgStop(), &err) != PT_OK)
			PtRaise(&err);
		PtRunPlanEvalPoint(st->plan, t->x, t->point);
	}
	t->params = PtTakeString(PtRunPlanPointJson(st->plan, t->point, &err));
	if (t->params == NULL)
		PtRaise(&err);
	INSTR_TIME_SET_CURRENT(done);
	INSTR_TIME_SUBTRACT(done, start);
	t->propose_ms = INSTR_TIME_GET_MILLISEC(done);
}

/* Send a progress NOTICE (relayed to the caller) when iter is one it should print. */
static void
publish_progress(PtRunState *st, int iter, const PtTrial *trial)
{
	PtRunFixed *fixed = st->shared->fixed;
	const PtHistory *h = st->history;
	char		score[64];
	char		best[64];

	if (!fixed->progress_notices ||
		!(iter == st->first_iter || iter == st->budget || iter % fixed->progress_every == 0))
		return;
	if (trial->status == PT_TRIAL_OK)
		snprintf(score, sizeof(score), "score %.6g", PtRunStrategyScore(st, trial->score));
	else
		snprintf(score, sizeof(score), "%s", PtTrialStatusName(trial->status));
	if (h->best >= 0)
		snprintf(best, sizeof(best), "best %.6g (iter %d)",
				 PtRunStrategyScore(st, h->trials[h->best].score), h->trials[h->best].iter);
	else
		snprintf(best, sizeof(best), "no best yet");
	ereport(NOTICE,
			(errmsg("ptopt run %lld: iter %d/%d  %s  %s", (long long) st->run_id, iter,
					st->budget, score, best)));
}

/* The report of a failed iteration: {"error": {sqlstate, message, detail, hint}}. */
static char *
failure_report(PtError *err)
{
	StringInfoData report;

	PtMakeValidText(err->message);
	PtMakeValidText(err->detail);
	PtMakeValidText(err->hint);
	initStringInfo(&report);
	appendStringInfoString(&report, "{\"error\": {\"sqlstate\": ");
	escape_json(&report, unpack_sql_state(PtErrorSqlState(err)));
	appendStringInfoString(&report, ", \"message\": ");
	escape_json(&report, err->message);
	if (err->detail[0] != '\0')
	{
		appendStringInfoString(&report, ", \"detail\": ");
		escape_json(&report, err->detail);
	}
	if (err->hint[0] != '\0')
	{
		appendStringInfoString(&report, ", \"hint\": ");
		escape_json(&report, err->hint);
	}
	appendStringInfoString(&report, "}}");
	return report.data;
}

/* How a trial ended: refused (a gated proposal, never evaluated), ok or failed. */
static PtTrialStatus
trial_status(const Trial *t)
{
	if (t->proposal.refused)
		return PT_TRIAL_REFUSED;
	return t->rc == PT_OK ? PT_TRIAL_OK : PT_TRIAL_FAILED;
}

/* Mark a refused proposal: nothing to evaluate, no score. */
static void
refuse_trial(Trial *t)
{
	t->rc = PT_ERR_HARD_GATE;
	t->elapsed_ms = t->propose_ms;
}

/* Evaluate a proposed trial in this process (in an open step). */
static void
evaluate_here(PtRunState *st, Trial *t)
{
	instr_time	start;

	INSTR_TIME_SET_CURRENT(start);
	if (st->cluster != NULL)	/* options.cluster: one call to the node of this iteration */
		t->rc = PtClusterEvaluateOne(st->cluster, t->iter, t->params, &t->eval, &t->err);
	else
		t->rc = PtObjectiveEvaluate(st->objective, t->point, &t->eval, PtPgStop(), &t->err);
	if (t->rc == PT_ERR_CANCELLED)
		PtRaise(&t->err);
	{
		instr_time	done;

		INSTR_TIME_SET_CURRENT(done);
		INSTR_TIME_SUBTRACT(done, start);
		t->elapsed_ms = t->propose_ms + INSTR_TIME_GET_MILLISEC(done);
	}
}

/* The row of an evaluated (or refused) trial; a failure is remembered for the run's error. */
static void
make_row(PtRunState *st, Trial *t, PtIterationRow *row)
{
	memset(row, 0, sizeof(*row));
	row->run_id = st->run_id;
	row->iter = t->iter;
	row->params_json = t->params;
	row->has_score = (t->rc == PT_OK);
	row->score = t->eval.score;
	if (t->proposal.refused)
		row->report_json = NULL;	/* not evaluated: the reasoning names the gated keys */
	else if (t->rc == PT_OK)
		row->report_json = t->eval.report_json;
	else
	{
		/* A failed iteration keeps its error whole in the report. */
		st->last_failure_code = PtErrorSqlState(&t->err);
		strlcpy(st->last_failure, t->err.message, sizeof(st->last_failure));
		row->report_json = failure_report(&t->err);
	}
	row->reasoning = t->proposal.reasoning;
	row->source = PtSourceName(t->proposal.source);
	row->status = PtTrialStatusName(trial_status(t));
	row->elapsed_ms = t->elapsed_ms;
	row->propose_ms = t->propose_ms;
	row->tokens_in = t->proposal.tokens_in;
	row->tokens_out = t->proposal.tokens_out;
}

/* Insert a row (in an open step), and bring the run row up to date once a second. */
static void
store_row(PtRunState *st, PtIterationRow *row)
{
	instr_time	now;

	PtStoreInsertIteration(row);

	/*
	 * The run row follows at most once a second: a waiting ptopt_run holds a
	 * snapshot, so every version of a row updated per iteration would stay.
	 */
	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, st->synced);
	if (INSTR_TIME_GET_MILLISEC(now) >= PT_RUN_SYNC_MS)
	{
		PtStoreSyncRun(st->run_id, NULL, NULL, PtRunElapsed(st), st->plan->minimize);
		INSTR_TIME_SET_CURRENT(st->synced);
	}
}

/* Write an evaluated trial's row (in an open step), and the run row once a second. */
static void
write_trial(PtRunState *st, Trial *t)
{
	PtIterationRow row;

	make_row(st, t, &row);
	store_row(st, &row);
}

/* A copy of a string in cxt, or NULL. */
static const char *
copy_text(MemoryContext cxt, const char *s)
{
	return s ? MemoryContextStrdup(cxt, s) : NULL;
}

/* Keep an evaluated trial's row, whole, for PtRunWriteKeptRows (a parallel run's next batch). */
static void
keep_row(PtRunState *st, Trial *t)
{
	PtIterationRow *row;
	MemoryContext old;

	if (st->rows_cxt == NULL)
	{
		st->rows_cxt = AllocSetContextCreate(st->run_cxt, "ptopt rows", ALLOCSET_DEFAULT_SIZES);
		st->rows = MemoryContextAllocZero(st->run_cxt, sizeof(PtIterationRow) * st->plan->workers);
	}
	Assert(st->n_rows < st->plan->workers);
	row = &st->rows[st->n_rows];
	old = MemoryContextSwitchTo(st->rows_cxt);
	make_row(st, t, row);
	row->params_json = copy_text(st->rows_cxt, row->params_json);
	if (row->report_json == t->eval.report_json)	/* a failure report is made in rows_cxt */
		row->report_json = copy_text(st->rows_cxt, row->report_json);
	row->reasoning = copy_text(st->rows_cxt, row->reasoning);
	MemoryContextSwitchTo(old);
	st->n_rows++;
}

/* Write the kept rows in one transaction; interrupts wait until they are committed and forgotten. */
void
PtRunWriteKeptRows(PtRunState *st)
{
	int			i;

	if (st->n_rows == 0)
		return;
	PtRunBeginStep();
	for (i = 0; i < st->n_rows; i++)
		store_row(st, &st->rows[i]);
	HOLD_INTERRUPTS();
	PtRunCommitStep();
	st->n_rows = 0;
	MemoryContextReset(st->rows_cxt);
	RESUME_INTERRUPTS();
}

/*
 * A new best: score its point on the held-out worlds and store that beside
 * it, in its own column, which no strategy reads.  An objective without
 * held-out worlds (or a backtest with none) has nothing to store.  A stop
 * under PtPgStop raises the cancel; under another stop (the grace after a
 * cancel) it leaves the score unset and returns false.
 */
static bool
score_holdout(PtRunState *st, int iter, const double *point, const PtStop *stop)
{
	double		holdout;
	PtError		err;
	int			rc;
	char		activity[64];

	snprintf(activity, sizeof(activity), "ptopt run: held-out score of iteration %d", iter);
	pgstat_report_activity(STATE_RUNNING, activity);
	PtRunBeginStep();
	rc = PtObjectiveEvaluateHoldout(st->objective, point, &holdout, stop, &err);
	if (rc == PT_ERR_CANCELLED && stop == PtPgStop())
		PtRaise(&err);
	if (rc == PT_OK)
		PtStoreSetHoldout(st->run_id, iter, holdout);
	PtRunCommitStep();
	pgstat_report_activity(STATE_RUNNING, "ptopt run");
	return rc != PT_ERR_CANCELLED;
}

/* True when the run's new bests get a held-out score. */
static bool
has_holdout(PtRunState *st)
{
	/* A clustered run opens its objective here only when it has held-out worlds (pt_run_loop.c). */
	return st->objective != NULL && PtObjectiveHasHoldout(st->objective);
}

/* Keep a new best for held-out scoring (its point copied to the run context). */
static void
defer_holdout(PtRunState *st, Trial *t)
{
	int			n_eval = st->plan->eval_space->n_params;
	PtPendingHoldout *p;

	if (st->pending == NULL)
		st->pending = MemoryContextAllocZero(st->run_cxt,
											 sizeof(PtPendingHoldout) * st->plan->workers);
	Assert(st->n_pending < st->plan->workers);
	p = &st->pending[st->n_pending++];
	p->iter = t->iter;
	p->point = MemoryContextAlloc(st->run_cxt, sizeof(double) * (n_eval + 1));
	memcpy(p->point, t->point, sizeof(double) * (n_eval + 1));
}

/*
 * A resumed run whose best row has no held-out score (a cancel cut it short,
 * or came before the run could score it): queue that row for one, from its
 * stored evaluation point.
 */
void
PtRunQueueBestHoldout(PtRunState *st)
{
	int			n_eval = st->plan->eval_space->n_params;
	char	   *params;
	Trial		t = {0};
	PtError		err;

	if (!has_holdout(st) || !PtStoreBestWithoutHoldout(st->run_id, st->plan->minimize, &t.iter, &params))
		return;
	t.point = palloc0(sizeof(double) * (n_eval + 1));
	if (PtSpacePointFromJson(st->plan->eval_space, params, "the best iteration of the stored run",
							 PT_POINT_IGNORE_UNKNOWN, t.point, &err) != PT_OK)
		PtRaise(&err);
	defer_holdout(st, &t);
}

/*
 * Held-out score the pending new bests, in iteration order, each leaving the
 * list once scored, so a cancel in the middle leaves the rest for
 * PtRunScoreHoldoutsAfterStop.  False when stop ended it early.
 */
static bool
score_pending(PtRunState *st, const PtStop *stop)
{
	while (st->n_pending > 0)
	{
		PtPendingHoldout done = st->pending[0];

		if (!score_holdout(st, done.iter, done.point, stop))
			return false;
		st->n_pending--;
		memmove(&st->pending[0], &st->pending[1], sizeof(PtPendingHoldout) * st->n_pending);
		pfree(done.point);
	}
	return true;
}

/* Held-out score the new bests left pending; a cancel raises. */
void
PtRunScorePendingHoldouts(PtRunState *st)
{
	(void) score_pending(st, PtPgStop());
}

/*
 * After a cancel or an error, with interrupts held: held-out score the new
 * bests still pending, the run's last best among them, within
 * PT_HOLDOUT_GRACE_MS; what does not fit stays without one.
 */
void
PtRunScoreHoldoutsAfterStop(PtRunState *st)
{
	if (st->n_pending > 0 && st->objective != NULL)
		(void) score_pending(st, PtPgGraceStop(PT_HOLDOUT_GRACE_MS));
	st->n_pending = 0;
}

/*
 * Add a written (or already stored) trial to the history, tell the strategy,
 * report progress; a new best is held-out scored now, or later when defer.
 */
static void
remember_trial(PtRunState *st, Trial *t, bool defer)
{
	PtTrial		trial = {0};
	PtError		err;

	if (t->stored != NULL)
		trial = *t->stored;
	else
	{
		trial.iter = t->iter;
		trial.x = t->x;
		trial.status = trial_status(t);
		trial.score = (t->rc == PT_OK) ? PtRunStrategyScore(st, t->eval.score) : 0;
		trial.source = t->proposal.source;
		trial.summary = t->eval.summary;
		trial.reasoning = t->proposal.reasoning;
	}
	if (PtHistoryAppend(st->history, &trial, &err) != PT_OK)
		PtRaise(&err);
	if (t->stored == NULL && st->history->best == st->history->n - 1 && has_holdout(st))
	{
		defer_holdout(st, t);
		if (!defer)
			PtRunScorePendingHoldouts(st);
	}
	PtEvaluationClear(&t->eval);
	PtFree(t->proposal.reasoning);
	t->proposal.reasoning = NULL;
	PtStrategyObserve(st->strategy, st->history, &st->history->trials[st->history->n - 1]);
	publish_progress(st, t->iter, &st->history->trials[st->history->n - 1]);
}

/* Run one iteration in this process. */
void
PtRunSerialIteration(PtRunState *st, int iter)
{
	Trial		t = {0};

	t.stored = stored_trial(st, iter);
	if (t.stored == NULL)
	{
		propose_trial(st, iter, &t);
		PtRunBeginStep();
		if (t.proposal.refused)
			refuse_trial(&t);
		else
			evaluate_here(st, &t);
		write_trial(st, &t);
		PtRunCommitStep();
	}
	remember_trial(st, &t, false);
}

/*
 * Evaluate the n trials of todo at once on the nodes of the cluster (one
 * call, each node its share), then write each outcome, in one step.
 */
static void
evaluate_on_cluster(PtRunState *st, Trial **todo, int n)
{
	int		   *iters = palloc(sizeof(int) * Max(n, 1));
	const char **params = palloc(sizeof(const char *) * Max(n, 1));
	PtClusterResult *results = palloc0(sizeof(PtClusterResult) * Max(n, 1));
	int			i;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
	{
		iters[i] = todo[i]->iter;
		params[i] = todo[i]->params;
	}
	PtRunBeginStep();
	PtClusterEvaluateBatch(st->cluster, n, iters, params, results);
	for (i = 0; i < n; i++)
	{
		Trial	   *t = todo[i];
		PtClusterResult *r = &results[i];

		memset(&t->eval, 0, sizeof(t->eval));
		if (r->ok)
		{
			t->rc = PT_OK;
			t->eval.score = r->score;
			t->eval.report_json = r->report_json ? PtStrdup(r->report_json) : NULL;
			t->eval.summary = r->summary ? PtStrdup(r->summary) : NULL;
		}
		else
		{
			t->rc = r->err.code;
			t->err = r->err;
		}
		t->elapsed_ms = t->propose_ms + r->elapsed_ms;
		write_trial(st, t);
	}
	PtRunCommitStep();
}

/* Store what a trial worker sent back as its trial's outcome, and keep its row. */
static void
take_outcome(PtRunState *st, Trial *t, int first, int n, PtTrialOutcome *out)
{
	Trial	   *tj;

	if (out->iter < first || out->iter >= first + n || t[out->iter - first].stored != NULL ||
		t[out->iter - first].proposal.refused)
		elog(ERROR, "ptopt trial worker returned iteration %d, not one of %d..%d",
			 out->iter, first, first + n - 1);
	tj = &t[out->iter - first];
	tj->rc = out->rc;
	tj->eval = out->eval;
	tj->err = out->err;
	tj->elapsed_ms = tj->propose_ms + out->elapsed_ms;
	keep_row(st, tj);
}

/*
 * Evaluate the n trials of todo on the trial workers and here: the batch is
 * offered to every trial worker; then this process writes the last batch's
 * rows and scores its new bests on the held-out worlds; then it too claims
 * trials until none is left: each trial goes to whichever evaluator claims
 * it first.  The rows are kept, whole, for the next batch (or the end of the
 * run, or its cancel) to write.
 */
static void
evaluate_on_pool(PtRunState *st, Trial *t, int first, int n, Trial **todo, int n_todo)
{
	int		   *iters = palloc(sizeof(int) * Max(n_todo, 1));
	double	  **points = palloc(sizeof(double *) * Max(n_todo, 1));
	int			from_workers = n_todo;
	PtTrialOutcome out;
	int			i;

	for (i = 0; i < n_todo; i++)
	{
		iters[i] = todo[i]->iter;
		points[i] = todo[i]->point;
	}
	if (n_todo > 0)
		PtTrialPoolOffer(st->pool, n_todo, iters, points, st->plan->eval_space->n_params);
	PtRunWriteKeptRows(st);
	PtRunScorePendingHoldouts(st);
	while (n_todo > 0 && (i = PtTrialPoolClaim(st->pool)) >= 0)
	{
		PtRunBeginStep();
		evaluate_here(st, todo[i]);
		PtRunCommitStep();
		keep_row(st, todo[i]);
		from_workers--;
	}
	for (; from_workers > 0; from_workers--)
	{
		(void) PtTrialPoolReceive(st->pool, &out);
		take_outcome(st, t, first, n, &out);
	}
}

/* Run the batch first..first+n-1 on the trial workers and here, or on the cluster's nodes. */
void
PtRunBatch(PtRunState *st, int first, int n)
{
	Trial	   *t = palloc0(sizeof(Trial) * n);
	Trial	  **todo = palloc(sizeof(Trial *) * n);
	int			base = st->history->n;
	int			n_todo = 0;
	int			j;
	PtError		err;

	for (j = 0; j < n; j++)
	{
		t[j].iter = first + j;
		t[j].stored = stored_trial(st, first + j);
		if (t[j].stored == NULL)
			propose_trial(st, first + j, &t[j]);
		/* The points in flight count as taken and bad for the proposals after them. */
		if (j < n - 1 &&
			PtHistoryAppendLiar(st->history, first + j,
								t[j].stored ? t[j].stored->x : t[j].x,
								t[j].stored ? t[j].stored->source : t[j].proposal.source,
								&err) != PT_OK)
			PtRaise(&err);
	}
	PtHistoryTruncate(st->history, base);

	for (j = 0; j < n; j++)
	{
		if (t[j].stored != NULL)
			continue;
		if (t[j].proposal.refused)
		{
			refuse_trial(&t[j]);
			PtRunBeginStep();
			write_trial(st, &t[j]);
			PtRunCommitStep();
			continue;
		}
		todo[n_todo++] = &t[j];
	}
	if (st->cluster != NULL)
		evaluate_on_cluster(st, todo, n_todo);
	else
		evaluate_on_pool(st, t, first, n, todo, n_todo);
	/* Pending held-out scores of a clustered run: none (no objective here); of a pool run: scored above. */
	for (j = 0; j < n; j++)
		remember_trial(st, &t[j], st->pool != NULL);
}
