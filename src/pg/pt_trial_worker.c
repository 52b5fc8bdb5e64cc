/*
 * pt_trial_worker.c — a trial worker: evaluates the points its coordinator sends.
 *
 * It attaches the pool's segment, sends its protocol output (NOTICEs, errors)
 * back on its outcome queue, connects as the run's role, opens the run's
 * objective once, then, for each batch offered, claims and evaluates one of
 * its trials after another until none is left, each in a transaction of its
 * own, and sends each outcome back.  It writes nothing: the coordinator
 * stores every row.  It leaves when its coordinator does.
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "libpq/pqformat.h"
#include "libpq/pqmq.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shm_mq.h"
#include "storage/shm_toc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "portability/instr_time.h"

#include "pt_alloc_pg.h"
#include "pt_glue.h"
#include "pt_library.h"
#include "pt_objective_sql.h"
#include "pt_trial_pool.h"
#include "pt_trial_shared.h"

#define WORKER_KIND "trial worker"	/* how errors name this process */
#include "run_plan.h"

/* Open the run's objective over its plan, in a transaction. */
static PtObjective *
open_objective(const PtPoolFixed *fixed, const char *texts, PtRunPlan **plan_out)
{
	const char *t[PT_POOL_N_TEXTS];
	PtRunPlan  *plan;
	PtObjective *objective;
	PtError		err;
	int			i;

	for (i = 0; i < PT_POOL_N_TEXTS; i++)
		t[i] = texts + fixed->text_off[i];
	if (t[PT_POOL_SEARCH_PATH][0] != '\0')
		SetConfigOption("search_path", t[PT_POOL_SEARCH_PATH], PGC_USERSET, PGC_S_SESSION);
	/* The pool's workers already use the cores: each plays a trial's worlds on its own thread. */
	SetConfigOption("ptopt.backtest_threads", "1", PGC_USERSET, PGC_S_SESSION);
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	plan = PtRunPlanCreate(t[PT_POOL_SPACE], t[PT_POOL_STRATEGY], fixed->budget,
						   (uint64) fixed->seed, t[PT_POOL_OPTIONS], &err);
	if (plan == NULL)
		PtRaise(&err);
	objective = PtObjectiveOpen(t[PT_POOL_OBJECTIVE], plan, t[PT_POOL_POLICY]);
	PopActiveSnapshot();
	CommitTransactionCommand();
	*plan_out = plan;
	return objective;
}

/* Append a text as its length (-1 for none) and its bytes. */
static void
put_text(StringInfo msg, const char *s)
{
	if (s == NULL)
	{
		pq_sendint32(msg, -1);
		return;
	}
	pq_sendint32(msg, (int32) strlen(s));
	pq_sendbytes(msg, s, strlen(s));
}

/* Send the outcome of one evaluation back. */
static void
send_outcome(shm_mq_handle *mqh, int iter, int rc, const PtEvaluation *eval, PtError *err,
			 double elapsed_ms)
{
	StringInfoData msg;
	bool		ok = (rc == PT_OK);

	initStringInfo(&msg);
	pq_sendbyte(&msg, PT_MSG_OUTCOME);
	pq_sendint32(&msg, iter);
	pq_sendint32(&msg, rc);
	pq_sendbytes(&msg, (const char *) &eval->score, sizeof(double));
	pq_sendbytes(&msg, (const char *) &elapsed_ms, sizeof(double));
	put_text(&msg, ok ? NULL : unpack_sql_state(PtErrorSqlState(err)));
	put_text(&msg, ok ? eval->report_json : NULL);
	put_text(&msg, ok ? eval->summary : NULL);
	put_text(&msg, ok ? NULL : err->message);
	put_text(&msg, ok ? NULL : err->detail);
	put_text(&msg, ok ? NULL : err->hint);
	(void) shm_mq_send(mqh, msg.len, msg.data, false, true);
	pfree(msg.data);
}

/* Evaluate one point in a transaction of its own and send the outcome. */
static void
evaluate_point(PtObjective *objective, shm_mq_handle *out, int iter, const double *point)
{
	PtEvaluation eval = {0};
	PtError		err;
	instr_time	start;
	int			rc;

	INSTR_TIME_SET_CURRENT(start);
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "ptopt trial");
	rc = PtObjectiveEvaluate(objective, point, &eval, PtPgStop(), &err);
	if (rc == PT_ERR_CANCELLED)
		PtRaise(&err);
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	{
		instr_time	elapsed;

		INSTR_TIME_SET_CURRENT(elapsed);
		INSTR_TIME_SUBTRACT(elapsed, start);
		send_outcome(out, iter, rc, &eval, &err, INSTR_TIME_GET_MILLISEC(elapsed));
	}
	PtEvaluationClear(&eval);
}

/* Evaluate the trials of an offered batch that this worker claims, one after another. */
static void
evaluate_batch(PtObjective *objective, PtPoolFixed *fixed, shm_mq_handle *out, StringInfo msg)
{
	uint32		batch = (uint32) pq_getmsgint(msg, 4);
	int			n = (int) pq_getmsgint(msg, 4);
	int			d = (int) pq_getmsgint(msg, 4);
	int		   *iters = palloc(sizeof(int) * Max(n, 1));
	double	   *points = palloc(sizeof(double) * (Size) Max(n, 1) * (d + 1));
	int			i;

	for (i = 0; i < n; i++)
	{
		iters[i] = (int) pq_getmsgint(msg, 4);
		pq_copymsgbytes(msg, (char *) &points[(Size) i * (d + 1)], sizeof(double) * d);
	}
	while ((i = PtPoolClaim(fixed, batch, n)) >= 0)
		evaluate_point(objective, out, iters[i], &points[(Size) i * (d + 1)]);
}

/* Entry point of a trial worker. */
void
ptopt_trial_worker_main(Datum main_arg)
{
	dsm_segment *seg;
	shm_toc    *toc;
	PtPoolFixed *fixed;
	shm_mq	   *in_q;
	shm_mq	   *out_q;
	shm_mq_handle *in;
	shm_mq_handle *out;
	PtRunPlan  *plan;
	PtObjective *objective;
	MemoryContext request_cxt;
	int			w;

	pqsignal(SIGTERM, die);
	pqsignal(SIGINT, StatementCancelHandler);
	BackgroundWorkerUnblockSignals();
	memcpy(&w, MyBgworkerEntry->bgw_extra, sizeof(int));

	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		proc_exit(0);			/* the coordinator has already left */
	toc = shm_toc_attach(PT_POOL_MAGIC, dsm_segment_address(seg));
	in_q = toc ? shm_toc_lookup(toc, PT_POOL_KEY_QUEUE(w, false), true) : NULL;
	out_q = toc ? shm_toc_lookup(toc, PT_POOL_KEY_QUEUE(w, true), true) : NULL;
	if (in_q == NULL || out_q == NULL)
		PtLibraryRaiseOtherBuild(WORKER_KIND);
	shm_mq_set_receiver(in_q, MyProc);
	shm_mq_set_sender(out_q, MyProc);
	in = shm_mq_attach(in_q, seg, NULL);
	out = shm_mq_attach(out_q, seg, NULL);
	pq_redirect_to_shm_mq(seg, out);
	/* Nothing else in the segment is read before the coordinator is known to run this build. */
	PtLibraryStampCheck(shm_toc_lookup(toc, PT_POOL_KEY_LIBRARY, true), WORKER_KIND);
	fixed = shm_toc_lookup(toc, PT_POOL_KEY_FIXED, true);
	if (fixed == NULL || fixed->layout != PT_POOL_LAYOUT)
		PtLibraryRaiseOtherBuild(WORKER_KIND);

	BackgroundWorkerInitializeConnectionByOid(fixed->database_id, fixed->role_id, 0);
	/*
	 * Core's objects live as long as the worker: the objective, what it caches
	 * on first use (a backtest's worlds), and each evaluation until it is sent.
	 */
	PtAllocTarget(TopMemoryContext);
	objective = open_objective(fixed, shm_toc_lookup(toc, PT_POOL_KEY_TEXTS, false), &plan);
	request_cxt = AllocSetContextCreate(TopMemoryContext, "ptopt trial", ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		Size		nbytes;
		void	   *data;
		StringInfoData msg;
		MemoryContext old;

		if (shm_mq_receive(in, &nbytes, &data, false) != SHM_MQ_SUCCESS)
			break;				/* the coordinator left */
		old = MemoryContextSwitchTo(request_cxt);
		msg.data = data;
		msg.len = (int) nbytes;
		msg.maxlen = (int) nbytes;
		msg.cursor = 0;
		if (pq_getmsgbyte(&msg) == PT_MSG_BATCH)
			evaluate_batch(objective, fixed, out, &msg);
		MemoryContextSwitchTo(old);
		MemoryContextReset(request_cxt);
	}
	PtObjectiveFree(objective);
	PtRunPlanFree(plan);
	dsm_detach(seg);
	proc_exit(0);
}
