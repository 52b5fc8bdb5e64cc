/*
 * pt_cluster.c — evaluating trials on the nodes of a PL/Proxy cluster (options.cluster).
 *
 * Every call goes through ptopt.cluster_evaluate(cluster, part, space,
 * params, options), a PL/Proxy function (CLUSTER from the first argument,
 * RUN ON part) that runs ptopt_evaluate on the node of that partition.  A
 * trial is sent once, in a subtransaction of its own: a node's error (its
 * objective failing, a refused connection, a connection lost mid-call) fails
 * that trial with the node's message, and the next trial goes on.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "pt_alloc.h"
#include "pt_cluster.h"
#include "pt_glue.h"

#define PT_CLUSTER_FUNCTION "ptopt.cluster_evaluate(text,integer,jsonb,jsonb,jsonb)"

struct PtCluster
{
	char	   *name;
	char	   *space_json;
	char	   *options_json;	/* objective, fixed and backtest only: what a node needs */
	int			n_nodes;
	int		   *parts;			/* the first partition of each node */
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
					 "       pg_catalog.to_regprocedure('" PT_CLUSTER_FUNCTION "') IS NOT NULL",
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
				 errmsg("options.cluster needs the function ptopt.cluster_evaluate, which does not exist"),
				 errdetail("PL/Proxy is installed, but ptopt_cluster_enable() has not been run in this database."),
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

/* Evaluate n parameter sets on the cluster, one subtransaction per trial. */
void
PtClusterEvaluate(PtCluster *cluster, int n, const int *iters, const char *const *params_json,
				  PtClusterResult *results)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	int			i;

	for (i = 0; i < n; i++)
	{
		PtClusterResult *r = &results[i];
		int			node = (int) (((int64) iters[i] - 1) % cluster->n_nodes);

		CHECK_FOR_INTERRUPTS();
		memset(r, 0, sizeof(*r));
		r->node = node;
		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(cxt);
		PG_TRY();
		{
			call_node(cluster, cluster->parts[node], params_json[i], r, cxt);
			ReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = owner;
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = owner;
			if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED || edata->elevel > ERROR)
				ReThrowError(edata);
			r->ok = false;
			r->report_json = NULL;
			r->summary = NULL;
			PtErrorFromErrorData(edata, &r->err);
			FreeErrorData(edata);
		}
		PG_END_TRY();
	}
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
