/*
 * pt_cluster.c — evaluating trials on the nodes of a PL/Proxy cluster (options.cluster).
 *
 * A serial run calls ptopt.cluster_evaluate(cluster, part, space, params,
 * options), a PL/Proxy function (CLUSTER from the first argument, RUN ON
 * part) that runs ptopt_evaluate on the node of that partition.  A trial is
 * sent once, in a subtransaction of its own: a node's error (its objective
 * failing, a refused connection, a connection lost mid-call) fails that trial
 * with the node's message, and the next trial goes on.
 *
 * A batch (options.workers > 1) is one call of ptopt.cluster_evaluate_batch,
 * which SPLITs its arrays by partition and sends each node its share at
 * once; the node runs ptopt_evaluate_batch, which catches each trial's
 * objective error and returns it as a row.  When the call as a whole fails (a
 * node down, a connection lost), the batch is evaluated again trial by trial
 * as above, so the healthy nodes' trials of that batch are evaluated a second
 * time (only the second result is kept) and the failing node's trials fail
 * with its reason.  A node whose every trial failed then is left out of the
 * next batch calls and asked trial by trial after them, until it answers
 * again: an outage costs the healthy nodes one batch evaluated twice, not
 * one per batch.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "pt_alloc.h"
#include "pt_cluster.h"
#include "pt_glue.h"

#define PT_CLUSTER_FUNCTION "ptopt.cluster_evaluate(text,integer,jsonb,jsonb,jsonb)"
#define PT_CLUSTER_BATCH_FUNCTION \
	"ptopt.cluster_evaluate_batch(text,integer[],jsonb,integer[],jsonb[],jsonb)"

struct PtCluster
{
	char	   *name;
	char	   *space_json;
	char	   *options_json;	/* objective, fixed and backtest only: what a node needs */
	int			n_nodes;
	int		   *parts;			/* the first partition of each node */
	bool	   *down;			/* per node: every trial of its last one-by-one call failed */
};

/* A boolean column of the first result row. */
static bool
result_bool(int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);

	return !isnull && DatumGetBool(d);
}

/* Raise unless PL/Proxy and ptopt.cluster_evaluate are installed in this database. */
static void
check_plproxy(void)
{
	int			rc;
	bool		installed;
	bool		available;
	bool		enabled;

	rc = SPI_execute("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'plproxy'),"
					 "       EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'plproxy'),"
					 "       pg_catalog.to_regprocedure('" PT_CLUSTER_FUNCTION "') IS NOT NULL"
					 "       AND pg_catalog.to_regprocedure('" PT_CLUSTER_BATCH_FUNCTION "') IS NOT NULL",
					 true, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not look for PL/Proxy: %s", SPI_result_code_string(rc));
	installed = result_bool(1);
	available = result_bool(2);
	enabled = result_bool(3);
	SPI_freetuptable(SPI_tuptable);
	if (!installed)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("options.cluster needs PL/Proxy, which is not installed in this database"),
				 available
				 ? errdetail("The plproxy extension is available on this server but was not created in this database.")
				 : errdetail("The plproxy extension is not available on this server."),
				 errhint("Install the Debian package postgresql-15-plproxy, run CREATE EXTENSION plproxy, then SELECT ptopt_cluster_enable() as a superuser.")));
	if (!enabled)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("options.cluster needs the functions ptopt.cluster_evaluate and ptopt.cluster_evaluate_batch, which do not exist"),
				 errdetail("PL/Proxy is installed, but ptopt_cluster_enable() has not been run in this database since this version of ptopt was installed."),
				 errhint("Run SELECT ptopt_cluster_enable() as a superuser.")));
}

/* Read the cluster's nodes: the first partition of each distinct connection string. */
static int
read_nodes(const char *name, int **parts)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	int			rc;
	uint64		i;
	int			n;

	values[0] = CStringGetTextDatum(name);
	rc = SPI_execute_with_args("SELECT w.fdwname = 'plproxy',"
							   "       (SELECT pg_catalog.array_agg(p.part ORDER BY p.part) FROM"
							   "          (SELECT min(substr(o.option_name, 2)::integer) AS part"
							   "             FROM pg_catalog.pg_options_to_table(s.srvoptions) o"
							   "            WHERE o.option_name ~ '^p[0-9]+$'"
							   "            GROUP BY o.option_value) p)"
							   "  FROM pg_catalog.pg_foreign_server s"
							   "  JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw"
							   " WHERE s.srvname = $1",
							   1, types, values, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_foreign_server: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("cluster \"%s\" does not exist", name),
				 errdetail("options.cluster names a foreign server of the plproxy wrapper."),
				 errhint("Define it with CREATE SERVER %s FOREIGN DATA WRAPPER plproxy OPTIONS (p0 '...', p1 '...') and a user mapping.",
						 quote_identifier(name))));
	if (!result_bool(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("server \"%s\" is not a PL/Proxy cluster", name),
				 errdetail("Its foreign data wrapper is not plproxy.")));
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
		ArrayType  *arr;
		Datum	   *elems;
		int			nelems;

		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cluster \"%s\" has no partitions", name),
					 errhint("Give the server options p0, p1, ... with the connection string of each node.")));
		arr = DatumGetArrayTypeP(d);
		deconstruct_array(arr, INT4OID, 4, true, TYPALIGN_INT, &elems, NULL, &nelems);
		n = nelems;
		*parts = MemoryContextAlloc(TopMemoryContext, sizeof(int) * n);
		for (i = 0; i < (uint64) n; i++)
			(*parts)[i] = DatumGetInt32(elems[i]);
	}
	SPI_freetuptable(SPI_tuptable);
	return n;
}

/* Check that a cluster can be used. */
void
PtClusterCheck(const char *name)
{
	int		   *parts = NULL;

	check_plproxy();
	(void) read_nodes(name, &parts);
	pfree(parts);
}

/* The members of the run options a node needs: objective, fixed, backtest. */
static char *
node_options(const char *options_json)
{
	Oid			types[1] = {JSONBOID};
	Datum		values[1];
	int			rc;
	char	   *s;

	values[0] = PtTextToJsonb(options_json);
	rc = SPI_execute_with_args("SELECT coalesce(pg_catalog.jsonb_object_agg(key, value), '{}')::text"
							   "  FROM pg_catalog.jsonb_each($1)"
							   " WHERE key IN ('objective', 'fixed', 'backtest')",
							   1, types, values, NULL, true, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read the run options: %s", SPI_result_code_string(rc));
	s = MemoryContextStrdup(TopMemoryContext, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	SPI_freetuptable(SPI_tuptable);
	return s;
}

/* Open a cluster for a run. */
PtCluster *
PtClusterOpen(const char *name, const char *space_json, const char *options_json)
{
	PtCluster  *c;

	check_plproxy();
	c = MemoryContextAllocZero(TopMemoryContext, sizeof(PtCluster));
	c->name = MemoryContextStrdup(TopMemoryContext, name);
	c->space_json = MemoryContextStrdup(TopMemoryContext, space_json);
	c->options_json = node_options(options_json);
	c->n_nodes = read_nodes(name, &c->parts);
	c->down = MemoryContextAllocZero(TopMemoryContext, sizeof(bool) * c->n_nodes);
	return c;
}

/* Number of distinct nodes. */
int
PtClusterNodes(const PtCluster *cluster)
{
	return cluster->n_nodes;
}

/* One call of ptopt.cluster_evaluate; raises whatever the node or the connection raised. */
static void
call_node(PtCluster *c, int part, const char *params_json, PtClusterResult *r, MemoryContext cxt)
{
	Oid			types[5] = {TEXTOID, INT4OID, JSONBOID, JSONBOID, JSONBOID};
	Datum		values[5];
	bool		isnull;
	Datum		d;
	int			rc;
	MemoryContext old;

	values[0] = CStringGetTextDatum(c->name);
	values[1] = Int32GetDatum(part);
	values[2] = PtTextToJsonb(c->space_json);
	values[3] = PtTextToJsonb(params_json);
	values[4] = PtTextToJsonb(c->options_json);
	rc = SPI_execute_with_args("SELECT r::text,"
							   "       CASE WHEN pg_catalog.jsonb_typeof(r -> 'score') = 'number'"
							   "            THEN (r ->> 'score')::float8 END,"
							   "       r ->> 'summary',"
							   "       CASE WHEN pg_catalog.jsonb_typeof(r) = 'object'"
							   "            THEN (SELECT count(*) FROM pg_catalog.jsonb_object_keys(r)) END"
							   "  FROM (SELECT ptopt.cluster_evaluate($1, $2, $3, $4, $5) AS r) x",
							   5, types, values, NULL, false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not call " PT_CLUSTER_FUNCTION ": %s", SPI_result_code_string(rc));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("node of partition %d of cluster \"%s\" returned no numeric score", part, c->name),
				 errdetail("It returned %s.", SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1))));
	old = MemoryContextSwitchTo(cxt);
	r->ok = true;
	r->score = DatumGetFloat8(d);
	r->summary = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	/* A bare {"score": s} is a score, not a report (as a local float8 objective). */
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull);
	r->report_json = (!isnull && DatumGetInt64(d) > 1)
		? SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1) : NULL;
	MemoryContextSwitchTo(old);
	SPI_freetuptable(SPI_tuptable);
}

/* One trial on one node, as PtTrySubtransaction runs it. */
typedef struct NodeCall
{
	PtCluster  *cluster;
	int			part;
	const char *params_json;
	PtClusterResult *r;
	MemoryContext cxt;
} NodeCall;

/* Call the node (inside the subtransaction). */
static void
node_call(void *arg)
{
	NodeCall   *c = arg;

	call_node(c->cluster, c->part, c->params_json, c->r, c->cxt);
}

/* Evaluate n parameter sets on the cluster, one subtransaction per trial. */
void
PtClusterEvaluate(PtCluster *cluster, int n, const int *iters, const char *const *params_json,
				  PtClusterResult *results)
{
	MemoryContext cxt = CurrentMemoryContext;
	NodeCall	call;
	ErrorData  *edata;
	int			i;

	for (i = 0; i < n; i++)
	{
		PtClusterResult *r = &results[i];
		int			node = (int) (((int64) iters[i] - 1) % cluster->n_nodes);

		instr_time	start;
		instr_time	done;

		CHECK_FOR_INTERRUPTS();
		memset(r, 0, sizeof(*r));
		r->node = node;
		INSTR_TIME_SET_CURRENT(start);
		call.cluster = cluster;
		call.part = cluster->parts[node];
		call.params_json = params_json[i];
		call.r = r;
		call.cxt = cxt;
		edata = PtTrySubtransaction(node_call, &call);
		if (edata != NULL)
		{
			r->ok = false;
			r->report_json = NULL;
			r->summary = NULL;
			PtErrorFromErrorData(edata, &r->err);
			FreeErrorData(edata);
		}
		INSTR_TIME_SET_CURRENT(done);
		INSTR_TIME_SUBTRACT(done, start);
		r->elapsed_ms = INSTR_TIME_GET_MILLISEC(done);
	}
}

/* The text of column col of row row of the last SPI result, copied into cxt, or NULL. */
static char *
row_text(int row, int col, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	char	   *s = SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);

	MemoryContextSwitchTo(old);
	return s;
}

/* Fill r from row row of a ptopt.cluster_evaluate_batch result (see call_batch for the columns). */
static void
batch_row(PtCluster *c, int row, PtClusterResult *r, MemoryContext cxt)
{
	HeapTuple	tup = SPI_tuptable->vals[row];
	TupleDesc	desc = SPI_tuptable->tupdesc;
	bool		isnull;
	Datum		d;
	char	   *sqlstate = row_text(row, 6, cxt);

	d = SPI_getbinval(tup, desc, 10, &isnull);
	r->elapsed_ms = isnull ? 0 : DatumGetFloat8(d);
	if (sqlstate != NULL)
	{
		/* The node caught its objective's error: the trial failed with it. */
		char	   *message = row_text(row, 7, cxt);
		char	   *detail = row_text(row, 8, cxt);
		char	   *hint = row_text(row, 9, cxt);

		r->ok = false;
		PtErrorSet(&r->err, PT_ERR_INVALID_PARAMETER, "%s", message ? message : "");
		if (detail != NULL)
			PtErrorDetail(&r->err, "%s", detail);
		if (hint != NULL)
			PtErrorHint(&r->err, "%s", hint);
		if (strlen(sqlstate) == 5)
			strlcpy(r->err.sqlstate, sqlstate, sizeof(r->err.sqlstate));
		return;
	}
	d = SPI_getbinval(tup, desc, 3, &isnull);
	if (isnull)
	{
		char	   *returned = row_text(row, 2, cxt);

		r->ok = false;
		PtErrorSet(&r->err, PT_ERR_INVALID_PARAMETER,
				   "node of partition %d of cluster \"%s\" returned no numeric score",
				   c->parts[r->node], c->name);
		PtErrorDetail(&r->err, "It returned %s.", returned ? returned : "null");
		strlcpy(r->err.sqlstate, unpack_sql_state(ERRCODE_INVALID_PARAMETER_VALUE), sizeof(r->err.sqlstate));
		return;
	}
	r->ok = true;
	r->score = DatumGetFloat8(d);
	r->summary = row_text(row, 4, cxt);
	/* A bare {"score": s} is a score, not a report (as a local float8 objective). */
	d = SPI_getbinval(tup, desc, 5, &isnull);
	r->report_json = (!isnull && DatumGetInt64(d) > 1) ? row_text(row, 2, cxt) : NULL;
}

/* One call of ptopt.cluster_evaluate_batch; raises whatever a node or a connection raised. */
static void
call_batch(PtCluster *c, int n, const int *iters, const char *const *params_json,
		   PtClusterResult *results, MemoryContext cxt)
{
	Oid			types[6] = {TEXTOID, INT4ARRAYOID, JSONBOID, INT4ARRAYOID, JSONBARRAYOID, JSONBOID};
	Datum		values[6];
	Datum	   *parts = palloc(sizeof(Datum) * n);
	Datum	   *iter_d = palloc(sizeof(Datum) * n);
	Datum	   *params_d = palloc(sizeof(Datum) * n);
	bool	   *seen = palloc0(sizeof(bool) * n);
	int			rc;
	uint64		row;
	int			i;

	for (i = 0; i < n; i++)
	{
		parts[i] = Int32GetDatum(c->parts[results[i].node]);
		iter_d[i] = Int32GetDatum(iters[i]);
		params_d[i] = PtTextToJsonb(params_json[i]);
	}
	values[0] = CStringGetTextDatum(c->name);
	values[1] = PointerGetDatum(construct_array(parts, n, INT4OID, 4, true, TYPALIGN_INT));
	values[2] = PtTextToJsonb(c->space_json);
	values[3] = PointerGetDatum(construct_array(iter_d, n, INT4OID, 4, true, TYPALIGN_INT));
	values[4] = PointerGetDatum(construct_array(params_d, n, JSONBOID, -1, false, TYPALIGN_INT));
	values[5] = PtTextToJsonb(c->options_json);
	rc = SPI_execute_with_args("SELECT b.iter, b.result::text,"
							   "       CASE WHEN pg_catalog.jsonb_typeof(b.result -> 'score') = 'number'"
							   "            THEN (b.result ->> 'score')::float8 END,"
							   "       b.result ->> 'summary',"
							   "       CASE WHEN pg_catalog.jsonb_typeof(b.result) = 'object'"
							   "            THEN (SELECT count(*) FROM pg_catalog.jsonb_object_keys(b.result)) END,"
							   "       b.error ->> 'sqlstate', b.error ->> 'message',"
							   "       b.error ->> 'detail', b.error ->> 'hint', b.elapsed_ms"
							   "  FROM ptopt.cluster_evaluate_batch($1, $2, $3, $4, $5, $6) b",
							   6, types, values, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not call " PT_CLUSTER_BATCH_FUNCTION ": %s", SPI_result_code_string(rc));
	for (row = 0; row < SPI_processed; row++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 1, &isnull);
		int			iter = isnull ? 0 : DatumGetInt32(d);

		for (i = 0; i < n; i++)
			if (iters[i] == iter && !seen[i])
				break;
		if (i == n)
			elog(ERROR, "cluster \"%s\" returned iteration %d, not one of the batch", c->name, iter);
		seen[i] = true;
		batch_row(c, (int) row, &results[i], cxt);
	}
	for (i = 0; i < n; i++)
		if (!seen[i])
			elog(ERROR, "cluster \"%s\" returned no result for iteration %d", c->name, iters[i]);
	SPI_freetuptable(SPI_tuptable);
}

/* One batch call, as PtTrySubtransaction runs it. */
typedef struct BatchCall
{
	PtCluster  *cluster;
	int			n;
	const int  *iters;
	const char *const *params_json;
	PtClusterResult *results;
	MemoryContext cxt;
} BatchCall;

/* Make the batch call (inside the subtransaction). */
static void
batch_call(void *arg)
{
	BatchCall  *c = arg;

	call_batch(c->cluster, c->n, c->iters, c->params_json, c->results, c->cxt);
}

/* One batch call in a subtransaction: true when it answered for every trial, false when it failed as a whole. */
static bool
try_batch(PtCluster *cluster, int n, const int *iters, const char *const *params_json,
		  PtClusterResult *results)
{
	BatchCall	call = {cluster, n, iters, params_json, results, CurrentMemoryContext};
	ErrorData  *edata = PtTrySubtransaction(batch_call, &call);

	if (edata == NULL)
		return true;
	ereport(LOG,
			(errmsg("ptopt: a batch call on cluster \"%s\" failed, evaluating its %d trials one at a time",
					cluster->name, n),
			 errdetail("The call failed with: %s", edata->message ? edata->message : "no message")));
	FreeErrorData(edata);
	return false;
}

/*
 * Trial by trial (PtClusterEvaluate) the trials idx[0..n-1] of a batch, then
 * mark down each of their nodes whose every trial failed, and up the others.
 */
static void
evaluate_one_by_one(PtCluster *cluster, int n, const int *idx, const int *iters,
					const char *const *params_json, PtClusterResult *results)
{
	int		   *sub_iters = palloc(sizeof(int) * n);
	const char **sub_params = palloc(sizeof(char *) * n);
	PtClusterResult *sub = palloc0(sizeof(PtClusterResult) * n);
	bool	   *answered = palloc0(sizeof(bool) * cluster->n_nodes);
	bool	   *asked = palloc0(sizeof(bool) * cluster->n_nodes);
	int			i;

	for (i = 0; i < n; i++)
	{
		sub_iters[i] = iters[idx[i]];
		sub_params[i] = params_json[idx[i]];
	}
	PtClusterEvaluate(cluster, n, sub_iters, sub_params, sub);
	for (i = 0; i < n; i++)
	{
		results[idx[i]] = sub[i];
		asked[sub[i].node] = true;
		if (sub[i].ok)
			answered[sub[i].node] = true;
	}
	for (i = 0; i < cluster->n_nodes; i++)
		if (asked[i])
			cluster->down[i] = !answered[i];
}

/* Evaluate n parameter sets on the cluster at once; see pt_cluster.h. */
void
PtClusterEvaluateBatch(PtCluster *cluster, int n, const int *iters, const char *const *params_json,
					   PtClusterResult *results)
{
	int		   *up_idx = palloc(sizeof(int) * Max(n, 1));
	int		   *down_idx = palloc(sizeof(int) * Max(n, 1));
	int		   *up_iters = palloc(sizeof(int) * Max(n, 1));
	const char **up_params = palloc(sizeof(char *) * Max(n, 1));
	PtClusterResult *up = palloc0(sizeof(PtClusterResult) * Max(n, 1));
	int			n_up = 0;
	int			n_down = 0;
	int			i;

	CHECK_FOR_INTERRUPTS();
	for (i = 0; i < n; i++)
	{
		memset(&results[i], 0, sizeof(results[i]));
		results[i].node = (int) (((int64) iters[i] - 1) % cluster->n_nodes);
		if (cluster->down[results[i].node])
			down_idx[n_down++] = i;
		else
		{
			up_idx[n_up] = i;
			up_iters[n_up] = iters[i];
			up_params[n_up] = params_json[i];
			up[n_up].node = results[i].node;
			n_up++;
		}
	}
	if (n_up > 0)
	{
		if (try_batch(cluster, n_up, up_iters, up_params, up))
			for (i = 0; i < n_up; i++)
				results[up_idx[i]] = up[i];
		else
			evaluate_one_by_one(cluster, n_up, up_idx, iters, params_json, results);
	}
	/* A node that failed a whole batch is asked trial by trial until it answers again. */
	if (n_down > 0)
		evaluate_one_by_one(cluster, n_down, down_idx, iters, params_json, results);
}

/*
 * Evaluate one trial on the cluster as an objective would: PT_OK with eval
 * filled (PtMalloc'd report and summary, freed by PtEvaluationClear), or the
 * node's error in err.  The serial run loop's entry point.
 */
int
PtClusterEvaluateOne(PtCluster *cluster, int iter, const char *params_json, PtEvaluation *eval,
					 PtError *err)
{
	PtClusterResult r;

	memset(eval, 0, sizeof(*eval));
	PtClusterEvaluate(cluster, 1, &iter, &params_json, &r);
	if (!r.ok)
	{
		*err = r.err;
		return err->code;
	}
	eval->score = r.score;
	eval->report_json = r.report_json ? PtStrdup(r.report_json) : NULL;
	eval->summary = r.summary ? PtStrdup(r.summary) : NULL;
	return PT_OK;
}
