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
#include "storage/procarray.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "history.h"
#include "pt_alloc.h"
#include "pt_alloc_pg.h"
#include "pt_cluster.h"
#include "pt_glue.h"
#include "pt_objective_sql.h"
#include "pt_policy.h"
#include "pt_run_shared.h"
#include "pt_run_scale.h"
#include "pt_run_store.h"
#include "pt_warm_start.h"
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
	PtObjective *objective;		/* NULL when a cluster evaluates */
	PtCluster  *cluster;		/* options.cluster (scale branch), or NULL */
	PtHistory  *history;
	double	   *x;				/* the search-space point of the iteration */
	double	   *point;			/* the same completed to the evaluation space */
	int			budget;			/* the run's budget (a resume adds to the stored one) */
	int64		seed;
	int			first_iter;		/* the first iteration this worker runs */
	double		elapsed_before;	/* seconds the run had run before this worker took it */
	instr_time	started;		/* when this worker took the run */
	instr_time	synced;			/* when the run row was last brought up to date */
	int			last_failure_code;	/* SQLSTATE of the last failed iteration, or 0 */
	char		last_failure[256];	/* its message */
} RunState;

/* Wake the caller waiting on this run. */
static void
wake_caller(PtRunShared *shared)
{
	PGPROC	   *proc = BackendPidGetProc(shared->fixed->caller_pid);

	if (proc != NULL)
		SetLatch(&proc->procLatch);
}

/* Publish the run's phase (and run_id) to the caller. */
static void
publish_phase(RunState *st, PtRunPhase phase)
{
	PtRunFixed *fixed = st->shared->fixed;

	SpinLockAcquire(&fixed->mutex);
	fixed->run_id = st->run_id;
	fixed->phase = phase;
	SpinLockRelease(&fixed->mutex);
	wake_caller(st->shared);
}

/* Seconds the run has been running, over every worker that ran it. */
static double
run_elapsed(RunState *st)
{
	instr_time	now;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, st->started);
	return st->elapsed_before + INSTR_TIME_GET_DOUBLE(now);
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
	/* Let autovacuum see what the worker wrote. */
	pgstat_report_stat(false);
}

/* Build the plan, the strategy, the history and the objective of a run. */
static void
build_run(RunState *st, const char *space, const char *strategy, const char *options,
		  const char *objective, const char *policy)
{
	PtError		err;

	st->plan = PtRunPlanCreate(space, strategy, st->budget, (uint64) st->seed, options, &err);
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
	/* options.cluster: the nodes evaluate (pt_cluster.c), the objective may exist only there. */
	{
		char	   *cluster = PtOptionsString(options, "cluster");

		if (cluster != NULL)
			st->cluster = PtClusterOpen(cluster, space, options);
		else
			st->objective = PtObjectiveOpen(objective, st->plan, policy);
	}
}

static void restore_trial(void *arg, const PtStoredIteration *it);

/* Insert the run row of a new run and build what it needs. */
static void
setup_new_run(RunState *st)
{
	PtRunShared *shared = st->shared;
	const char *space = PtRunSharedText(shared, PT_TEXT_SPACE);
	const char *strategy = PtRunSharedText(shared, PT_TEXT_STRATEGY);
	const char *options = PtRunSharedText(shared, PT_TEXT_OPTIONS);
	const char *objective = PtRunSharedText(shared, PT_TEXT_OBJECTIVE);
	char	   *policy;
	PtRunRow	row = {0};

	st->budget = shared->fixed->budget;
	st->seed = shared->fixed->seed;
	st->first_iter = 1;
	policy = PtPolicySnapshot(TopMemoryContext);
	build_run(st, space, strategy, options, objective, policy);
	row.label = st->plan->label;
	row.strategy = strategy;
	row.objective = objective;
	row.space_json = space;
	row.options_json = options;
	row.policy_json = policy;
	row.seed = st->seed;
	row.budget = st->budget;
	st->run_id = PtStoreInsertRun(&row);
	/* options.warm_start_from: earlier runs' ok iterations join the history (pt_warm_start.c). */
	PtWarmStartLoad(st->run_id, restore_trial, st);
}

/* Append one stored iteration to the history of a resumed run. */
static void
restore_trial(void *arg, const PtStoredIteration *it)
{
	RunState   *st = (RunState *) arg;
	PtTrial		trial = {0};
	PtError		err;
	char		what[64];

	snprintf(what, sizeof(what), "iteration %d of the stored run", it->iter);
	/* A stored row also holds fixed values and warm-start extras, which are not search dimensions. */
	if (PtSpacePointFromJson(st->plan->space, it->params_json, what, PT_POINT_IGNORE_UNKNOWN,
							 st->x, &err) != PT_OK)
		PtRaise(&err);
	trial.iter = it->iter;
	trial.x = st->x;
	trial.status = it->status;
	trial.score = it->score;
	trial.source = it->source;
	trial.summary = (char *) it->summary;
	trial.reasoning = (char *) it->reasoning;
	if (PtHistoryAppend(st->history, &trial, &err) != PT_OK)
		PtRaise(&err);
	PtStrategyObserve(st->strategy, st->history, &st->history->trials[st->history->n - 1]);
	if (it->iter > 0)			/* warm_start_from iterations come as iter 0 */
		st->first_iter = it->iter + 1;
}

/* Take over a stored run: claim its row, rebuild its state from its trajectory. */
static void
setup_resumed_run(RunState *st)
{
	PtRunFixed *fixed = st->shared->fixed;
	PtStoredRun run;

	PtStoreClaimRun(fixed->resume_run_id, fixed->extra_budget, &run);
	st->run_id = fixed->resume_run_id;
	st->budget = run.budget;
	st->seed = run.seed;
	st->elapsed_before = run.elapsed_s;
	st->first_iter = 1;
	build_run(st, run.space_json, run.strategy, run.options_json, run.objective, run.policy_json);
	PtWarmStartLoad(st->run_id, restore_trial, st);
	PtStoreLoadTrajectory(st->run_id, restore_trial, st);
}

/* Set up a new or resumed run in a transaction of its own, then tell the caller. */
static void
run_setup(RunState *st)
{
	INSTR_TIME_SET_CURRENT(st->started);
	begin_step();
	PtStoreSweepOrphans();
	if (st->shared->fixed->resume_run_id != 0)
		setup_resumed_run(st);
	else
		setup_new_run(st);
	INSTR_TIME_SET_CURRENT(st->synced);
	pgstat_report_activity(STATE_RUNNING, "ptopt run");
	commit_step();
	publish_phase(st, PT_PHASE_RUNNING);
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

/* Send a progress NOTICE (relayed to the caller) when iter is one it should print. */
static void
publish_progress(RunState *st, int iter, const PtTrial *trial)
{
	PtRunFixed *fixed = st->shared->fixed;
	const PtHistory *h = st->history;
	char		score[64];
	char		best[64];

	if (!fixed->progress_notices ||
		!(iter == st->first_iter || iter == st->budget || iter % fixed->progress_every == 0))
		return;
	if (trial->status == PT_TRIAL_OK)
		snprintf(score, sizeof(score), "score %.6g", trial->score);
	else
		snprintf(score, sizeof(score), "%s", PtTrialStatusName(trial->status));
	if (h->best >= 0)
		snprintf(best, sizeof(best), "best %.6g (iter %d)", h->trials[h->best].score,
				 h->trials[h->best].iter);
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
	if (st->cluster != NULL)
		rc = PtClusterEvaluateOne(st->cluster, iter, params, &eval, &err);
	else
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
		/* A failed iteration keeps its error whole in the report. */
		st->last_failure_code = PtErrorSqlState(&err);
		strlcpy(st->last_failure, err.message, sizeof(st->last_failure));
		row.report_json = failure_report(&err);
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
		PtStoreSyncRun(st->run_id, NULL, NULL, run_elapsed(st));
		INSTR_TIME_SET_CURRENT(st->synced);
	}
	commit_step();

	PtStrategyObserve(st->strategy, st->history, &st->history->trials[st->history->n - 1]);
	publish_progress(st, iter, &st->history->trials[st->history->n - 1]);
}

/* Close the run row in a fresh transaction; a second cancel cannot cut it short. */
static void
run_finish(RunState *st, const char *status, const char *error)
{
	HOLD_INTERRUPTS();
	begin_step();
	PtStoreSyncRun(st->run_id, status, error, run_elapsed(st));
	commit_step();
	RESUME_INTERRUPTS();
}

/* Raise when the budget ran out and no iteration scored: such a run ends failed. */
static void
check_some_scored(RunState *st)
{
	if (st->history->n == 0 || PtHistoryCountOk(st->history) > 0)
		return;
	ereport(ERROR,
			(errcode(st->last_failure_code ? st->last_failure_code : ERRCODE_DATA_EXCEPTION),
			 errmsg("every iteration of the run failed"),
			 st->last_failure[0] ? errdetail("The last iteration failed with: %s", st->last_failure) : 0,
			 errhint("Each iteration's report holds its error (report->'error' in ptopt.trajectory).")));
}

/* Send the caller the reason a terminated worker stopped, as an ERROR of class 57. */
static void
send_terminated(const char *reason)
{
	PG_TRY();
	{
		ereport(ERROR,
				(errcode(ERRCODE_ADMIN_SHUTDOWN),
				 errmsg("%s", reason),
				 errhint("The iterations already written stay; ptopt_resume continues the run.")));
	}
	PG_CATCH();
	{
		EmitErrorReport();
		FlushErrorState();
	}
	PG_END_TRY();
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

/* How a run that stopped with an error ends: its status and the text for runs.error. */
static const char *
stop_status(ErrorData *edata, const char **error)
{
	if (PtWorkerCallerGone())
	{
		*error = NULL;
		return "cancelled";
	}
	if (PtWorkerTerminated())
	{
		*error = "the ptopt worker was terminated (pg_terminate_backend or a server shutdown)";
		return "failed";
	}
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
	{
		*error = NULL;
		return "cancelled";
	}
	*error = edata->message;
	return "failed";
}

/* Execute the run described by shared. */
void
PtRunExecute(PtRunShared *shared)
{
	RunState	st = {0};
	MemoryContext iter_cxt;
	MemoryContext run_cxt;
	MemoryContext old_target;
	const char *search_path = PtRunSharedText(shared, PT_TEXT_SEARCH_PATH);

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
		for (iter = st.first_iter; iter <= st.budget; iter++)
		{
			MemoryContext old;

			CHECK_FOR_INTERRUPTS();
			if (PtWorkerCallerGone())
				ereport(ERROR,
						(errcode(ERRCODE_QUERY_CANCELED),
						 errmsg("the caller of ptopt run %lld has left", (long long) st.run_id)));
			MemoryContextReset(iter_cxt);
			old = MemoryContextSwitchTo(iter_cxt);
			run_iteration(&st, iter);
			MemoryContextSwitchTo(old);
		}
		check_some_scored(&st);
		run_finish(&st, "done", NULL);
		pgstat_report_activity(STATE_IDLE, NULL);
		publish_phase(&st, PT_PHASE_DONE);
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		const char *status;
		const char *error;

		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(TopMemoryContext);
		edata = CopyErrorData();
		status = stop_status(edata, &error);
		/* A failure reaches the caller whole through the queue; a cancel needs no message. */
		if (strcmp(status, "failed") == 0 && !PtWorkerTerminated())
			EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		if (st.run_id != 0)
			run_finish(&st, status, error);
		if (PtWorkerTerminated())
			send_terminated(error);
		publish_phase(&st, strcmp(status, "cancelled") == 0 ? PT_PHASE_CANCELLED : PT_PHASE_FAILED);
		RESUME_INTERRUPTS();
	}
	PG_END_TRY();
	/* json-c's objects in the plan are malloc'd: free them before the context goes. */
	run_state_free(&st);
	PtAllocTarget(old_target);
	MemoryContextDelete(run_cxt);
	MemoryContextDelete(iter_cxt);
}
