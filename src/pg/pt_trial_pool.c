/*
 * pt_trial_pool.c — the coordinator's side of a pool of trial workers (options.workers).
 *
 * One DSM segment per pool: the inputs, the texts, and two queues per worker
 * (points out, outcomes back).  Every worker is registered before the run row
 * exists, so a pool that cannot be had is an error before anything starts.
 */
#include "postgres.h"

#include "libpq/pqformat.h"
#include "libpq/pqmq.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shm_mq.h"
#include "storage/shm_toc.h"
#include "utils/memutils.h"

#include "pt_library.h"
#include "pt_trial_pool.h"
#include "pt_trial_shared.h"

#define PT_POOL_POLL_MS 50		/* longest sleep between looks at the outcome queues */

struct PtTrialPool
{
	MemoryContext cxt;			/* the pool and its queue handles, until PtTrialPoolStop */
	dsm_segment *seg;
	int			n_workers;
	BackgroundWorkerHandle **handles;
	shm_mq_handle **out;		/* points, coordinator -> worker */
	shm_mq_handle **in;			/* outcomes, worker -> coordinator */
	int			next;			/* the worker whose queue is looked at first */
	PtPoolFixed *fixed;			/* in the segment: the claim counter */
	uint32		batch;			/* the batch on offer */
	int			batch_n;		/* its trials */
};

/* Lay out the segment: fixed inputs, texts, two queues per worker. */
static shm_toc *
create_segment(PtTrialPool *pool, const PtTrialPoolSpec *spec)
{
	const char *texts[PT_POOL_N_TEXTS];
	shm_toc_estimator e;
	Size		texts_len = 0;
	Size		size;
	shm_toc    *toc;
	PtPoolFixed *fixed;
	char	   *area;
	PtLibraryStamp *stamp;
	int			i;

	texts[PT_POOL_SPACE] = spec->space;
	texts[PT_POOL_STRATEGY] = spec->strategy;
	texts[PT_POOL_OPTIONS] = spec->options;
	texts[PT_POOL_OBJECTIVE] = spec->objective;
	texts[PT_POOL_POLICY] = spec->policy;
	texts[PT_POOL_SEARCH_PATH] = spec->search_path;
	for (i = 0; i < PT_POOL_N_TEXTS; i++)
		texts_len += strlen(texts[i]) + 1;
	shm_toc_initialize_estimator(&e);
	shm_toc_estimate_chunk(&e, sizeof(PtPoolFixed));
	shm_toc_estimate_chunk(&e, texts_len);
	for (i = 0; i < 2 * spec->n_workers; i++)
		shm_toc_estimate_chunk(&e, PT_POOL_QUEUE_SIZE);
	shm_toc_estimate_chunk(&e, sizeof(PtLibraryStamp));
	shm_toc_estimate_keys(&e, 3 + 2 * spec->n_workers);
	size = shm_toc_estimate(&e);

	pool->seg = dsm_create(size, DSM_CREATE_NULL_IF_MAXSEGMENTS);
	if (pool->seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start the trial workers of a parallel search"),
				 errdetail("No dynamic shared memory segment is free.")));
	dsm_pin_mapping(pool->seg);
	toc = shm_toc_create(PT_POOL_MAGIC, dsm_segment_address(pool->seg), size);

	fixed = shm_toc_allocate(toc, sizeof(PtPoolFixed));
	memset(fixed, 0, sizeof(PtPoolFixed));
	fixed->layout = PT_POOL_LAYOUT;
	fixed->database_id = MyDatabaseId;
	fixed->role_id = GetUserId();
	fixed->coordinator_pid = MyProcPid;
	fixed->n_workers = spec->n_workers;
	fixed->budget = spec->budget;
	fixed->seed = spec->seed;
	pg_atomic_init_u64(&fixed->claim, 0);
	pool->fixed = fixed;
	area = shm_toc_allocate(toc, texts_len);
	texts_len = 0;
	for (i = 0; i < PT_POOL_N_TEXTS; i++)
	{
		Size		len = strlen(texts[i]) + 1;

		memcpy(area + texts_len, texts[i], len);
		fixed->text_off[i] = texts_len;
		texts_len += len;
	}
	shm_toc_insert(toc, PT_POOL_KEY_FIXED, fixed);
	shm_toc_insert(toc, PT_POOL_KEY_TEXTS, area);
	stamp = shm_toc_allocate(toc, sizeof(PtLibraryStamp));
	*stamp = *PtLibraryStampOwn();
	shm_toc_insert(toc, PT_POOL_KEY_LIBRARY, stamp);
	return toc;
}

/* Create worker w's two queues and register the worker; false when no slot is free. */
static bool
start_worker(PtTrialPool *pool, shm_toc *toc, int w)
{
	BackgroundWorker worker = {0};
	shm_mq	   *out = shm_mq_create(shm_toc_allocate(toc, PT_POOL_QUEUE_SIZE), PT_POOL_QUEUE_SIZE);
	shm_mq	   *in = shm_mq_create(shm_toc_allocate(toc, PT_POOL_QUEUE_SIZE), PT_POOL_QUEUE_SIZE);

	shm_toc_insert(toc, PT_POOL_KEY_QUEUE(w, false), out);
	shm_toc_insert(toc, PT_POOL_KEY_QUEUE(w, true), in);
	shm_mq_set_sender(out, MyProc);
	shm_mq_set_receiver(in, MyProc);
	pool->out[w] = shm_mq_attach(out, pool->seg, NULL);
	pool->in[w] = shm_mq_attach(in, pool->seg, NULL);

	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_ConsistentState;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "ptopt");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "ptopt_trial_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "ptopt trial worker %d for PID %d", w, MyProcPid);
	snprintf(worker.bgw_type, BGW_MAXLEN, PT_TRIAL_WORKER_TYPE);
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(pool->seg));
	memcpy(worker.bgw_extra, &w, sizeof(int));
	worker.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&worker, &pool->handles[w]))
		return false;
	shm_mq_set_handle(pool->out[w], pool->handles[w]);
	shm_mq_set_handle(pool->in[w], pool->handles[w]);
	return true;
}

/* Start the pool's workers, or raise before any of them does anything. */
PtTrialPool *
PtTrialPoolStart(const PtTrialPoolSpec *spec)
{
	/* The queue handles outlive the transaction that starts the pool. */
	MemoryContext cxt = AllocSetContextCreate(TopMemoryContext, "ptopt trial pool",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	PtTrialPool *pool = palloc0(sizeof(PtTrialPool));
	shm_toc    *toc;
	int			w;

	pool->cxt = cxt;
	pool->n_workers = spec->n_workers;
	pool->handles = palloc0(sizeof(void *) * spec->n_workers);
	pool->out = palloc0(sizeof(void *) * spec->n_workers);
	pool->in = palloc0(sizeof(void *) * spec->n_workers);
	toc = create_segment(pool, spec);
	for (w = 0; w < spec->n_workers; w++)
		if (!start_worker(pool, toc, w))
		{
			MemoryContextSwitchTo(old);
			PtTrialPoolStop(pool);
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
					 errmsg("options.workers = %d needs %d free background worker slots, and only %d are free",
							spec->requested, spec->n_workers, w),
					 errdetail("Nothing was run: the search stops before its first iteration."),
					 errhint("Ask for fewer workers, wait for other searches to finish, or raise max_worker_processes.")));
		}
	MemoryContextSwitchTo(old);
	return pool;
}

/* Offer every worker the batch: iters[i] at points[i]. */
void
PtTrialPoolOffer(PtTrialPool *pool, int n, const int *iters, double *const *points, int d)
{
	StringInfoData msg;
	int			i;
	int			w;

	pool->batch++;
	pool->batch_n = n;
	/* Every trial of the last batch was claimed: no worker claims from it any more. */
	pg_atomic_write_u64(&pool->fixed->claim, (uint64) pool->batch << 32);
	initStringInfo(&msg);
	pq_sendbyte(&msg, PT_MSG_BATCH);
	pq_sendint32(&msg, pool->batch);
	pq_sendint32(&msg, n);
	pq_sendint32(&msg, d);
	for (i = 0; i < n; i++)
	{
		pq_sendint32(&msg, iters[i]);
		pq_sendbytes(&msg, (const char *) points[i], sizeof(double) * d);
	}
	for (w = 0; w < pool->n_workers; w++)
		if (shm_mq_send(pool->out[w], msg.len, msg.data, false, true) != SHM_MQ_SUCCESS)
			ereport(ERROR,
					(errcode(ERRCODE_ADMIN_SHUTDOWN),
					 errmsg("ptopt trial worker %d stopped before the run ended", w),
					 errhint("The server log says why.")));
	pfree(msg.data);
}

/* Claim a trial of the batch on offer for the coordinator. */
int
PtTrialPoolClaim(PtTrialPool *pool)
{
	return PtPoolClaim(pool->fixed, pool->batch, pool->batch_n);
}

/* A text sent as its length (-1 for none) and its bytes, copied into the current context. */
static char *
get_text(StringInfo msg)
{
	int			len = (int) pq_getmsgint(msg, 4);
	char	   *s;

	if (len < 0)
		return NULL;
	s = palloc(len + 1);
	pq_copymsgbytes(msg, s, len);
	s[len] = '\0';
	return s;
}

/* Copy a received text into a fixed-size field of a PtError. */
static void
put_field(char *dst, Size size, char *src)
{
	strlcpy(dst, src ? src : "", size);
}

/* Decode an outcome message. */
static void
read_outcome(StringInfo msg, PtTrialOutcome *out)
{
	char	   *sqlstate;

	memset(out, 0, sizeof(*out));
	out->iter = (int) pq_getmsgint(msg, 4);
	out->rc = (int) pq_getmsgint(msg, 4);
	pq_copymsgbytes(msg, (char *) &out->eval.score, sizeof(double));
	pq_copymsgbytes(msg, (char *) &out->elapsed_ms, sizeof(double));
	sqlstate = get_text(msg);
	out->eval.report_json = get_text(msg);
	out->eval.summary = get_text(msg);
	out->err.code = out->rc;
	put_field(out->err.sqlstate, sizeof(out->err.sqlstate), sqlstate);
	put_field(out->err.message, sizeof(out->err.message), get_text(msg));
	put_field(out->err.detail, sizeof(out->err.detail), get_text(msg));
	put_field(out->err.hint, sizeof(out->err.hint), get_text(msg));
}

/* Handle one message from worker w: true when it was an outcome (then out is filled). */
static bool
handle_message(int w, void *data, Size nbytes, PtTrialOutcome *out)
{
	StringInfoData msg;
	char		type;

	msg.data = data;
	msg.len = (int) nbytes;
	msg.maxlen = (int) nbytes;
	msg.cursor = 0;
	type = pq_getmsgbyte(&msg);
	if (type == PT_MSG_OUTCOME)
	{
		read_outcome(&msg, out);
		return true;
	}
	if (type == 'N' || type == 'E')
	{
		ErrorData	edata;

		pq_parse_errornotice(&msg, &edata);
		if (edata.elevel >= ERROR)
			edata.elevel = ERROR;
		edata.context = edata.context
			? psprintf("%s\nptopt trial worker %d", edata.context, w)
			: psprintf("ptopt trial worker %d", w);
		ThrowErrorData(&edata);
	}
	return false;
}

/* Wait for the next outcome of any worker. */
int
PtTrialPoolReceive(PtTrialPool *pool, PtTrialOutcome *out)
{
	for (;;)
	{
		int			i;

		for (i = 0; i < pool->n_workers; i++)
		{
			int			w = (pool->next + i) % pool->n_workers;
			Size		nbytes;
			void	   *data;
			shm_mq_result res = shm_mq_receive(pool->in[w], &nbytes, &data, true);

			if (res == SHM_MQ_SUCCESS)
			{
				if (handle_message(w, data, nbytes, out))
				{
					pool->next = (w + 1) % pool->n_workers;
					return w;
				}
				i--;			/* a NOTICE: look at this queue again */
				continue;
			}
			if (res == SHM_MQ_DETACHED)
				ereport(ERROR,
						(errcode(ERRCODE_ADMIN_SHUTDOWN),
						 errmsg("ptopt trial worker %d stopped before the run ended", w),
						 errhint("The server log says why.")));
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 PT_POOL_POLL_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* Stop every trial worker (in-flight trials are dropped) and detach the segment. */
void
PtTrialPoolStop(PtTrialPool *pool)
{
	int			w;

	if (pool == NULL)
		return;
	for (w = 0; w < pool->n_workers; w++)
		if (pool->handles[w] != NULL)
			TerminateBackgroundWorker(pool->handles[w]);
	if (pool->seg != NULL)
		dsm_detach(pool->seg);
	pool->seg = NULL;
	MemoryContextDelete(pool->cxt);
}
