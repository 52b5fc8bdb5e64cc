/*
 * pt_run_loop.c — the run loop, executed in the worker (DESIGN.md section 3).
 *
 * One code path for every strategy: propose, evaluate, write the iteration
 * and the best so far in a transaction of its own, publish progress.  A
 * cancel (SIGINT from the caller or ptopt_cancel) raises 57014 at the next
 * interrupt check; the iterations already committed stay and the run is
 * marked cancelled.
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "history.h"
#include "pt_alloc.h"
#include "pt_alloc_pg.h"
#include "pt_glue.h"
#include "pt_objective_sql.h"
#include "pt_policy.h"
#include "pt_run_shared.h"
#include "pt_run_store.h"
#include "run_plan.h"
#include "strategy.h"

#define PT_RUN_SYNC_MS 1000		/* how often the run row follows the trajectory */

/* What the loop holds between iterations; core objects are freed in run_state_free. */
typedef struct RunState
{
	PtRunShared *shared;
	int64		run_id;
	PtRunPlan  *plan;
	PtStrategy *strategy;
	PtObjective *objective;
	PtHistory  *history;
	double	   *x;				/* the search-space point of the iteration */
	double	   *point;			/* the same completed to the evaluation space */
	instr_time	synced;			/* when the run row was last brought up to date */
} RunState;

/* Wake the caller waiting on this run. */
static void
wake_caller(PtRunShared *shared)
{
	if (shared->caller_pgprocno >= 0)
		SetLatch(&ProcGlobal->allProcs[shared->caller_pgprocno].procLatch);
}

/* Start a transaction with an SPI connection and a snapshot. */
static void
begin_step(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
}

/* Commit what begin_step started. */
static void
commit_step(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/* Build the plan, the strategy and the objective, and insert the run row. */
static void
run_setup(RunState *st)
{
	PtRunShared *shared = st->shared;
	const char *space = PtSharedText(shared, shared->space_off);
	const char *strategy = PtSharedText(shared, shared->strategy_off);
	const char *options = PtSharedText(shared, shared->options_off);
	const char *objective = PtSharedText(shared, shared->objective_off);
	char	   *policy;
	PtRunRow	row;
	PtError		err;
	char		appname[NAMEDATALEN];

	st->plan = PtRunPlanCreate(space, strategy, shared->budget, (uint64) shared->seed, options, &err);
	if (st->plan == NULL)
		PtRaise(&err);
	{
		PtStrategyInit sinit = PtRunPlanStrategyInit(st->plan);

		st->strategy = PtStrategyCreate(strategy, &sinit, &err);
	}
	if (st->strategy == NULL)
		PtRaise(&err);
	st->history = PtHistoryCreate(st->plan->space, &err);
	if (st->history == NULL)
		PtRaise(&err);
	st->x = MemoryContextAllocZero(TopMemoryContext,
								   sizeof(double) * (st->plan->space->n_params + 1));
	st->point = MemoryContextAllocZero(TopMemoryContext,
									   sizeof(double) * (st->plan->eval_space->n_params + 1));

	begin_step();
	policy = PtPolicySnapshot(TopMemoryContext);
	st->objective = PtObjectiveOpen(objective, st->plan, policy);
	row.label = st->plan->label;
	row.strategy = strategy;
	row.objective = objective;
	row.space_json = space;
	row.options_json = options;
	row.policy_json = policy;
	row.seed = shared->seed;
	row.budget = shared->budget;
	st->run_id = PtStoreInsertRun(&row);
	INSTR_TIME_SET_CURRENT(st->synced);
	snprintf(appname, sizeof(appname), "%s%lld", PT_WORKER_APPNAME, (long long) st->run_id);
	SetConfigOption("application_name", appname, PGC_USERSET, PGC_S_SESSION);
	commit_step();

	SpinLockAcquire(&shared->mutex);
	shared->run_id = st->run_id;
	shared->phase = PT_PHASE_RUNNING;
	SpinLockRelease(&shared->mutex);
	wake_caller(shared);
}

/* Fill the proposal and the evaluation point for iteration iter: a warm-start point, or the strategy's. */
static void
propose(RunState *st, int iter, PtProposal *proposal)
{
	int			n_params = st->plan->space->n_params;
	PtError		err;

	memset(proposal, 0, sizeof(*proposal));
	proposal->x = st->x;
	if (iter <= st->plan->n_warm)
	{
		memcpy(st->point, PtRunPlanWarmPoint(st->plan, iter - 1),
			   sizeof(double) * st->plan->eval_space->n_params);
		memcpy(st->x, st->point, sizeof(double) * n_params);
		proposal->source = PT_SOURCE_WARM_START;
		return;
	}
	if (PtStrategyPropose(st->strategy, st->history, iter, proposal, PtPgStop(), &err) != PT_OK)
		PtRaise(&err);
	PtRunPlanEvalPoint(st->plan, st->x, st->point);
}

/* Publish a progress line when iter is one the caller should print. */
static void
publish_progress(RunState *st, int iter, const PtTrial *trial)
{
	PtRunShared *shared = st->shared;
	const PtHistory *h = st->history;
	PtProgressLine *line;

	if (!(iter == 1 || iter == shared->budget || iter % shared->progress_every == 0))
		return;
	SpinLockAcquire(&shared->mutex);
	line = &shared->ring[shared->n_progress % PT_PROGRESS_RING];
	line->iter = iter;
	line->ok = (trial->status == PT_TRIAL_OK);
	line->score = trial->score;
	line->has_best = (h->best >= 0);
	line->best = line->has_best ? h->trials[h->best].score : 0;
	line->best_iter = line->has_best ? h->trials[h->best].iter : 0;
	shared->n_progress++;
	SpinLockRelease(&shared->mutex);
	wake_caller(shared);
}

/* Run one iteration: propose, evaluate, write, remember. */
static void
run_iteration(RunState *st, int iter)
{
	PtProposal	proposal;
	PtEvaluation eval = {0};
	PtError		err;
	PtTrial		trial = {0};
	PtIterationRow row = {0};
	char	   *params;
	instr_time	start;
	instr_time	proposed;
	instr_time	elapsed;
	instr_time	now;
	int			rc;

	INSTR_TIME_SET_CURRENT(start);
	propose(st, iter, &proposal);
	INSTR_TIME_SET_CURRENT(proposed);
	INSTR_TIME_SUBTRACT(proposed, start);
	params = PtTakeString(PtRunPlanPointJson(st->plan, st->point, &err));
	if (params == NULL)
	{
		PtFree(proposal.reasoning);
		PtRaise(&err);
	}

	begin_step();
	rc = PtObjectiveEvaluate(st->objective, st->point, &eval, PtPgStop(), &err);
	if (rc == PT_ERR_CANCELLED)
	{
		PtEvaluationClear(&eval);
		PtFree(proposal.reasoning);
		PtRaise(&err);
	}
	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);

	trial.iter = iter;
	trial.x = st->x;
	trial.status = (rc == PT_OK) ? PT_TRIAL_OK : PT_TRIAL_FAILED;
	trial.score = (rc == PT_OK) ? eval.score : 0;
	trial.source = proposal.source;
	trial.summary = eval.summary;
	trial.reasoning = proposal.reasoning;

	row.run_id = st->run_id;
	row.iter = iter;
	row.params_json = params;
	row.has_score = (rc == PT_OK);
	row.score = eval.score;
	if (rc == PT_OK)
		row.report_json = eval.report_json;
	else
	{
		/* A failed iteration keeps its message in the report. */
		StringInfoData report;

		PtMakeValidText(err.message);
		initStringInfo(&report);
		appendStringInfoString(&report, "{\"error\": ");
		escape_json(&report, err.message);
		appendStringInfoChar(&report, '}');
		row.report_json = report.data;
	}
	row.reasoning = proposal.reasoning;
	row.source = PtSourceName(proposal.source);
	row.status = PtTrialStatusName(trial.status);
	row.elapsed_ms = INSTR_TIME_GET_MILLISEC(elapsed);
	row.propose_ms = INSTR_TIME_GET_MILLISEC(proposed);
	row.tokens_in = proposal.tokens_in;
	row.tokens_out = proposal.tokens_out;

	/* Core memory lives in the run context: an ERROR here needs no cleanup ladder. */
	PtStoreInsertIteration(&row);
	if (PtHistoryAppend(st->history, &trial, &err) != PT_OK)
		PtRaise(&err);
	PtEvaluationClear(&eval);
	PtFree(proposal.reasoning);

	/*
	 * The run row follows at most once a second: a waiting ptopt_run holds a
	 * snapshot, so every version of a row updated per iteration would stay.
	 */
	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, st->synced);
	if (INSTR_TIME_GET_MILLISEC(now) >= PT_RUN_SYNC_MS)
	{
		PtStoreSyncRun(st->run_id, NULL, NULL);
		INSTR_TIME_SET_CURRENT(st->synced);
	}
	commit_step();

	PtStrategyObserve(st->strategy, st->history, &st->history->trials[st->history->n - 1]);
	publish_progress(st, iter, &st->history->trials[st->history->n - 1]);
}

/* Close the run row in a fresh transaction. */
static void
run_finish(RunState *st, const char *status, const char *error)
{
	begin_step();
	PtStoreSyncRun(st->run_id, status, error);
	commit_step();
}

/* Publish the final phase and error to the caller. */
static void
publish_end(PtRunShared *shared, PtRunPhase phase, ErrorData *edata)
{
	SpinLockAcquire(&shared->mutex);
	shared->phase = phase;
	if (edata != NULL)
	{
		shared->error_sqlstate = edata->sqlerrcode;
		strlcpy(shared->error_message, edata->message ? edata->message : "", PT_SHARED_TEXT_MAX);
		strlcpy(shared->error_detail, edata->detail ? edata->detail : "", PT_SHARED_TEXT_MAX);
		strlcpy(shared->error_hint, edata->hint ? edata->hint : "", PT_SHARED_TEXT_MAX);
	}
	SpinLockRelease(&shared->mutex);
	wake_caller(shared);
}

/* Free the core objects of a run. */
static void
run_state_free(RunState *st)
{
	PtStrategyFree(st->strategy);
	PtObjectiveFree(st->objective);
	PtHistoryFree(st->history);
	PtRunPlanFree(st->plan);
	st->strategy = NULL;
	st->objective = NULL;
	st->history = NULL;
	st->plan = NULL;
}

/* Execute the run described by shared. */
void
PtRunExecute(PtRunShared *shared)
{
	RunState	st = {0};
	MemoryContext iter_cxt;
	MemoryContext run_cxt;
	MemoryContext old_target;
	const char *search_path = PtSharedText(shared, shared->search_path_off);

	st.shared = shared;
	/* Core's objects (plan, strategy, objective, history) live as long as the run. */
	run_cxt = AllocSetContextCreate(TopMemoryContext, "ptopt run", ALLOCSET_DEFAULT_SIZES);
	old_target = PtAllocTarget(run_cxt);
	iter_cxt = AllocSetContextCreate(TopMemoryContext, "ptopt iteration", ALLOCSET_DEFAULT_SIZES);
	if (search_path[0] != '\0')
		SetConfigOption("search_path", search_path, PGC_USERSET, PGC_S_SESSION);

	PG_TRY();
	{
		int			iter;

		run_setup(&st);
		for (iter = 1; iter <= shared->budget; iter++)
		{
			MemoryContext old;

			CHECK_FOR_INTERRUPTS();
			MemoryContextReset(iter_cxt);
			old = MemoryContextSwitchTo(iter_cxt);
			pgstat_report_activity(STATE_RUNNING, "ptopt iteration");
			run_iteration(&st, iter);
			MemoryContextSwitchTo(old);
		}
		run_finish(&st, "done", NULL);
		pgstat_report_activity(STATE_IDLE, NULL);
		publish_end(shared, PT_PHASE_DONE, NULL);
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		bool		cancelled;

		MemoryContextSwitchTo(TopMemoryContext);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		cancelled = (edata->sqlerrcode == ERRCODE_QUERY_CANCELED);
		if (st.run_id != 0)
			run_finish(&st, cancelled ? "cancelled" : "failed", cancelled ? NULL : edata->message);
		publish_end(shared, cancelled ? PT_PHASE_CANCELLED : PT_PHASE_FAILED, edata);
		if (!cancelled)
			ereport(LOG,
					(errmsg("ptopt run %lld failed: %s", (long long) st.run_id, edata->message)));
	}
	PG_END_TRY();
	/* json-c's objects in the plan are malloc'd: free them before the context goes. */
	run_state_free(&st);
	PtAllocTarget(old_target);
	MemoryContextDelete(run_cxt);
	MemoryContextDelete(iter_cxt);
}
