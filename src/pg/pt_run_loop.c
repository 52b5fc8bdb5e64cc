/*
 * pt_run_loop.c — the run loop, executed in the worker (docs/architecture.md, "The run loop").
 *
 * One code path for every strategy: set up a new run or take over a stored
 * one, run its iterations (pt_run_trial.c: serially, or in batches on trial
 * workers), close the run row.  A cancel (SIGINT from the caller or
 * ptopt_cancel) raises 57014 at the next interrupt check; the iterations
 * already committed stay and the run is marked cancelled.
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
#include "llm_strategy.h"
#include "pt_alloc.h"
#include "pt_alloc_pg.h"
#include "pt_cluster.h"
#include "pt_glue.h"
#include "pt_objective_sql.h"
#include "pt_llm.h"
#include "pt_policy.h"
#include "pt_run_state.h"
#include "pt_run_scale.h"
#include "pt_run_store.h"
#include "pt_warm_start.h"
#include "pt_trial_pool.h"
#include "run_plan.h"
#include "strategy.h"

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
publish_phase(PtRunState *st, PtRunPhase phase)
{
	PtRunFixed *fixed = st->shared->fixed;

	SpinLockAcquire(&fixed->mutex);
	fixed->run_id = st->run_id;
	fixed->phase = phase;
	SpinLockRelease(&fixed->mutex);
	wake_caller(st->shared);
}

/* Seconds the run has been running, over every worker that ran it. */
double
PtRunElapsed(PtRunState *st)
{
	instr_time	now;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, st->started);
	return st->elapsed_before + INSTR_TIME_GET_DOUBLE(now);
}

/*
 * The history holds scores as the strategies see them, higher always better:
 * a minimised objective's scores are negated there.  This maps one either way.
 */
double
PtRunStrategyScore(PtRunState *st, double score)
{
	return st->plan->minimize ? -score : score;
}

/* Start a transaction with an SPI connection and a snapshot. */
void
PtRunBeginStep(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
}

/* Commit what PtRunBeginStep started. */
void
PtRunCommitStep(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	/* Let autovacuum see what the worker wrote. */
	pgstat_report_stat(false);
}

/* Build the plan, the strategy, the history, the objective and the trial workers of a run. */
static void
build_run(PtRunState *st, const char *space, const char *strategy, const char *options,
		  const char *objective, const char *policy)
{
	PtError		err;
	PtStrategyInit sinit;

	st->plan = PtRunPlanCreate(space, strategy, st->budget, (uint64) st->seed, options, &err);
	if (st->plan == NULL)
		PtRaise(&err);
	sinit = PtRunPlanStrategyInit(st->plan);
	PtLlmCheckPrivilege(strategy);	/* also for a resumed run: a role may have lost it */
	PtLlmSettingsFill(&st->llm);
	sinit.llm = &st->llm;
	st->strategy = PtStrategyCreate(strategy, &sinit, &err);
	if (st->strategy == NULL)
		PtRaise(&err);
	st->history = PtHistoryCreate(st->plan->space, &err);
	if (st->history == NULL)
		PtRaise(&err);
	/* options.cluster (scale branch): the nodes evaluate (pt_cluster.c); the objective may exist only there. */
	{
		char	   *cluster = PtOptionsString(options, "cluster");

		if (cluster != NULL)
		{
			st->cluster = PtClusterOpen(cluster, space, options);

			/*
			 * The nodes evaluate; a built-in objective with held-out worlds (the
			 * backtest) is also opened here, only to score new bests on them.
			 */
			if (PtObjectiveLookup(objective) != NULL)
			{
				st->objective = PtObjectiveOpen(objective, st->plan, policy);
				if (!PtObjectiveHasHoldout(st->objective))
				{
					PtObjectiveFree(st->objective);
					st->objective = NULL;
				}
			}
		}
		else
		{
			/* In a parallel run every process evaluates on one thread: the trials fill the cores. */
			if (st->plan->workers > 1)
				SetConfigOption("ptopt.backtest_threads", "1", PGC_USERSET, PGC_S_SESSION);
			st->objective = PtObjectiveOpen(objective, st->plan, policy);
		}
	}
	st->time_limit_s = st->plan->time_limit ? PtIntervalSeconds(st->plan->time_limit, "options.time_limit") : 0;
	/*
	 * A clustered run evaluates its batches on the nodes: no trial workers.
	 * Otherwise this process evaluates one trial of each batch itself.
	 */
	if (st->plan->workers > 1 && st->cluster == NULL)
	{
		PtTrialPoolSpec spec;

		spec.n_workers = st->plan->workers - 1;
		spec.requested = st->plan->workers;
		spec.space = space;
		spec.strategy = strategy;
		spec.options = options;
		spec.objective = objective;
		spec.policy = policy;
		spec.search_path = PtRunSharedText(st->shared, PT_TEXT_SEARCH_PATH);
		spec.budget = st->budget;
		spec.seed = st->seed;
		st->pool = PtTrialPoolStart(&spec);
	}
}

/* The model an LLM run asks (options.llm.model, else ptopt.llm_model), or NULL for other strategies. */
static const char *
llm_model(PtRunState *st)
{
	PtLlmOptions opt;
	PtError		err;

	if (strcmp(st->plan->strategy, "llm") != 0 && strcmp(st->plan->strategy, "llm_tpe") != 0)
		return NULL;
	if (PtLlmOptionsParse(st->plan->options, &opt, &err) == PT_OK && opt.model[0] != '\0')
		return pstrdup(opt.model);
	return st->llm.model;
}

/* Append one warm_start_from iteration (pt_warm_start.c) to the history, in the run context. */
static void
warm_trial(void *arg, const PtStoredIteration *it)
{
	PtRunState   *st = (PtRunState *) arg;
	PtTrial		trial = {0};
	PtError		err;
	MemoryContext old = MemoryContextSwitchTo(st->run_cxt);

	trial.x = palloc0(sizeof(double) * (st->plan->space->n_params + 1));
	if (PtSpacePointFromJson(st->plan->space, it->params_json, "a warm_start_from iteration",
							 PT_POINT_IGNORE_UNKNOWN, trial.x, &err) != PT_OK)
		PtRaise(&err);
	trial.iter = it->iter;
	trial.status = it->status;
	trial.score = PtRunStrategyScore(st, it->score);
	trial.source = it->source;
	trial.summary = (char *) it->summary;
	if (PtHistoryAppend(st->history, &trial, &err) != PT_OK)
		PtRaise(&err);
	PtStrategyObserve(st->strategy, st->history, &st->history->trials[st->history->n - 1]);
	MemoryContextSwitchTo(old);
}

/* Insert the run row of a new run and build what it needs (the trial workers before the row). */
static void
setup_new_run(PtRunState *st)
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
	row.llm_model = llm_model(st);
	st->run_id = PtStoreInsertRun(&row);
	/* options.warm_start_from (scale branch): earlier runs' ok iterations join the history first. */
	PtWarmStartLoad(st->run_id, warm_trial, st);
}

/* The stored iterations of a resumed run, as read back, before the history is built. */
typedef struct Restored
{
	PtRunState   *st;
	PtStoredTrial *trials;		/* index iter - 1 */
	int			n;				/* highest stored iteration */
	int			cap;
} Restored;

/* Keep one stored iteration (its search point, status, score, texts) in the run context. */
static void
restore_trial(void *arg, const PtStoredIteration *it)
{
	Restored   *r = (Restored *) arg;
	PtRunState   *st = r->st;
	PtTrial    *trial;
	PtError		err;
	char		what[64];
	MemoryContext old = MemoryContextSwitchTo(st->run_cxt);

	if (it->iter > r->cap)
	{
		int			cap = Max(it->iter, r->cap * 2);

		if (r->trials == NULL)
			r->trials = palloc0(sizeof(PtStoredTrial) * cap);
		else
		{
			r->trials = repalloc(r->trials, sizeof(PtStoredTrial) * cap);
			memset(r->trials + r->cap, 0, sizeof(PtStoredTrial) * (cap - r->cap));
		}
		r->cap = cap;
	}
	trial = &r->trials[it->iter - 1].trial;
	r->trials[it->iter - 1].present = true;
	r->n = Max(r->n, it->iter);
	trial->x = palloc0(sizeof(double) * (st->plan->space->n_params + 1));
	snprintf(what, sizeof(what), "iteration %d of the stored run", it->iter);
	/* A stored row also holds fixed values and warm-start extras, which are not search dimensions. */
	if (PtSpacePointFromJson(st->plan->space, it->params_json, what, PT_POINT_IGNORE_UNKNOWN,
							 trial->x, &err) != PT_OK)
		PtRaise(&err);
	trial->iter = it->iter;
	trial->status = it->status;
	trial->score = PtRunStrategyScore(st, it->score);
	trial->source = it->source;
	trial->summary = it->summary ? pstrdup(it->summary) : NULL;
	trial->reasoning = it->reasoning ? pstrdup(it->reasoning) : NULL;
	MemoryContextSwitchTo(old);
}

/*
 * Where a resumed run goes on: at its first missing iteration, or for a
 * parallel run at the start of that iteration's batch (batches are aligned
 * on the number of workers), so every batch is proposed as it was.
 */
static void
resume_point(PtRunState *st, Restored *r)
{
	int			workers = st->plan->workers;
	int			missing = 1;
	int			i;
	PtError		err;

	while (missing <= r->n && r->trials[missing - 1].present)
		missing++;
	st->first_iter = ((missing - 1) / workers) * workers + 1;
	for (i = 1; i < st->first_iter; i++)
	{
		if (PtHistoryAppend(st->history, &r->trials[i - 1].trial, &err) != PT_OK)
			PtRaise(&err);
		PtStrategyObserve(st->strategy, st->history, &st->history->trials[st->history->n - 1]);
	}
	if (r->n >= st->first_iter)
	{
		st->stored = r->trials + (st->first_iter - 1);
		st->n_stored = r->n - st->first_iter + 1;
	}
}

/* Take over a stored run: claim its row, rebuild its state from its trajectory. */
static void
setup_resumed_run(PtRunState *st)
{
	PtRunFixed *fixed = st->shared->fixed;
	PtStoredRun run;
	Restored	r = {0};

	PtStoreClaimRun(fixed->resume_run_id, fixed->extra_budget, &run);
	st->run_id = fixed->resume_run_id;
	st->budget = run.budget;
	st->seed = run.seed;
	st->elapsed_before = run.elapsed_s;
	build_run(st, run.space_json, run.strategy, run.options_json, run.objective, run.policy_json);
	r.st = st;
	/* The stored trials outlive this transaction: restore_trial keeps them in the run context. */
	PtStoreLoadTrajectory(st->run_id, restore_trial, &r);
	PtWarmStartLoad(st->run_id, warm_trial, st);	/* before the run's own iterations */
	resume_point(st, &r);
	PtRunQueueBestHoldout(st);
}

/* Set up a new or resumed run in a transaction of its own, then tell the caller. */
static void
run_setup(PtRunState *st)
{
	INSTR_TIME_SET_CURRENT(st->started);
	PtRunBeginStep();
	PtStoreSweepOrphans();
	if (st->shared->fixed->resume_run_id != 0)
		setup_resumed_run(st);
	else
		setup_new_run(st);
	INSTR_TIME_SET_CURRENT(st->synced);
	pgstat_report_activity(STATE_RUNNING, "ptopt run");
	PtRunCommitStep();
	publish_phase(st, PT_PHASE_RUNNING);
}

/* Close the run row in a fresh transaction; a second cancel cannot cut it short. */
static void
run_finish(PtRunState *st, const char *status, const char *error)
{
	HOLD_INTERRUPTS();
	PtRunBeginStep();
	PtStoreSyncRun(st->run_id, status, error, PtRunElapsed(st), st->plan->minimize);
	PtRunCommitStep();
	RESUME_INTERRUPTS();
}

/*
 * After an error or cancel: write the rows of trials a parallel run had
 * evaluated but not yet written, so a stopped run keeps every finished
 * trial.  When even that fails, they are dropped (whole: nothing half-written).
 */
static void
write_kept_rows(PtRunState *st)
{
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		PtRunWriteKeptRows(st);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		AbortCurrentTransaction();
		st->n_rows = 0;
	}
	PG_END_TRY();
}

/*
 * After an error or cancel: held-out score the new bests still without one
 * (a cancel during a held-out score, or a parallel run's last batch), so the
 * run's best keeps its held-out score; bounded by PT_HOLDOUT_GRACE_MS.
 */
static void
score_kept_holdouts(PtRunState *st)
{
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		PtRunScoreHoldoutsAfterStop(st);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		AbortCurrentTransaction();
		st->n_pending = 0;
	}
	PG_END_TRY();
}

/* Raise when the budget ran out, iterations failed and none scored: such a run ends failed. */
static void
check_some_scored(PtRunState *st)
{
	int			i;
	bool		any_failed = false;

	for (i = 0; i < st->history->n; i++)
		any_failed |= (st->history->trials[i].status == PT_TRIAL_FAILED);
	/* Refused proposals are not failures: a run of refusals ends done, with no best. */
	if (!any_failed || PtHistoryCountOk(st->history) > 0)
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
run_state_free(PtRunState *st)
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
	PtRunState	st = {0};
	MemoryContext iter_cxt;
	MemoryContext run_cxt;
	MemoryContext old_target;
	const char *search_path = PtRunSharedText(shared, PT_TEXT_SEARCH_PATH);

	st.shared = shared;
	/* Core's objects (plan, strategy, objective, history) live as long as the run. */
	run_cxt = AllocSetContextCreate(TopMemoryContext, "ptopt run", ALLOCSET_DEFAULT_SIZES);
	st.run_cxt = run_cxt;
	old_target = PtAllocTarget(run_cxt);
	iter_cxt = AllocSetContextCreate(TopMemoryContext, "ptopt iteration", ALLOCSET_DEFAULT_SIZES);
	if (search_path[0] != '\0')
		SetConfigOption("search_path", search_path, PGC_USERSET, PGC_S_SESSION);
	PtLlmSettingsApply(PtRunSharedText(shared, PT_TEXT_LLM_SETTINGS));
	/* The worker plays a trial's worlds on as many threads as its caller's setting says. */
	SetConfigOption("ptopt.backtest_threads", psprintf("%d", shared->fixed->backtest_threads),
					PGC_USERSET, PGC_S_SESSION);

	PG_TRY();
	{
		int			iter;
		int			step = 1;

		run_setup(&st);
		/* A resumed run's best that a cancel left without a held-out score gets one first. */
		PtRunScorePendingHoldouts(&st);
		for (iter = st.first_iter; iter <= st.budget; iter += step)
		{
			MemoryContext old;

			CHECK_FOR_INTERRUPTS();
			if (PtWorkerCallerGone())
				ereport(ERROR,
						(errcode(ERRCODE_QUERY_CANCELED),
						 errmsg("the caller of ptopt run %lld has left", (long long) st.run_id)));
			MemoryContextReset(iter_cxt);
			old = MemoryContextSwitchTo(iter_cxt);
			step = Min(st.plan->workers, st.budget - iter + 1);
			if (st.plan->workers > 1)
				PtRunBatch(&st, iter, step);
			else
				PtRunSerialIteration(&st, iter);
			MemoryContextSwitchTo(old);
			/* options.time_limit: the run ends done after the iteration (batch) that reached it. */
			if (st.time_limit_s > 0 && PtRunElapsed(&st) >= st.time_limit_s)
				break;
		}
		PtRunWriteKeptRows(&st);
		PtRunScorePendingHoldouts(&st);
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
		/* Trials in flight are dropped: only the ones written are kept. */
		PtTrialPoolStop(st.pool);
		st.pool = NULL;
		status = stop_status(edata, &error);
		/* A failure reaches the caller whole through the queue; a cancel needs no message. */
		if (strcmp(status, "failed") == 0 && !PtWorkerTerminated())
			EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		if (st.run_id != 0)
		{
			write_kept_rows(&st);
			if (!PtWorkerTerminated())
				score_kept_holdouts(&st);
			run_finish(&st, status, error);
		}
		if (PtWorkerTerminated())
			send_terminated(error);
		publish_phase(&st, strcmp(status, "cancelled") == 0 ? PT_PHASE_CANCELLED : PT_PHASE_FAILED);
		RESUME_INTERRUPTS();
	}
	PG_END_TRY();
	PtTrialPoolStop(st.pool);
	/* json-c's objects in the plan are malloc'd: free them before the context goes. */
	run_state_free(&st);
	PtAllocTarget(old_target);
	MemoryContextDelete(run_cxt);
	MemoryContextDelete(iter_cxt);
}
