/*
 * pt_warm_start.c — options.warm_start_from: finding the earlier runs of a study and reading them.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "pt_glue.h"
#include "pt_warm_start.h"

/* The runs a warm_start_from reference ($1) names: a run_id, or every run with that label. */
#define PT_WARM_REF_MATCH \
	"CASE pg_catalog.jsonb_typeof($1)" \
	"     WHEN 'number' THEN r.run_id::numeric = ($1 #>> '{}')::numeric" \
	"     ELSE r.label = ($1 #>> '{}') END"

/* Raise 22023 for a bad warm_start_from. */
static void
bad_reference(const char *message, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s", message),
			 detail ? errdetail("%s", detail) : 0,
			 errhint("options.warm_start_from is the run_id of an earlier run, or the label of earlier runs, over the same space.")));
}

/* Check options.warm_start_from of a new run. */
void
PtWarmStartCheck(const char *space_json, const char *options_json, const char *objective)
{
	Oid			types[4] = {JSONBOID, JSONBOID, TEXTOID, JSONBOID};
	Datum		values[4];
	char		nulls[5] = "    ";
	int			rc;
	char	   *kind;
	char	   *ref;
	uint64		i;
	bool		isnull;

	values[0] = PtTextToJsonb(options_json);
	rc = SPI_execute_with_args("SELECT pg_catalog.jsonb_typeof($1 -> 'warm_start_from'),"
							   "       $1 ->> 'warm_start_from'",
							   1, types, values, NULL, true, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read options: %s", SPI_result_code_string(rc));
	kind = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	ref = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	SPI_freetuptable(SPI_tuptable);
	if (kind == NULL)
		return;
	if (strcmp(kind, "string") != 0 && strcmp(kind, "number") != 0)
		bad_reference("options.warm_start_from must be a run_id or a label",
					  psprintf("It is a JSON %s.", kind));

	/* $1: the reference; $2: the new space; $3: its objective; $4: its options. */
	values[0] = DirectFunctionCall2(jsonb_object_field, PtTextToJsonb(options_json),
									CStringGetTextDatum("warm_start_from"));
	values[1] = PtTextToJsonb(space_json);
	values[2] = CStringGetTextDatum(objective);
	values[3] = PtTextToJsonb(options_json);
	rc = SPI_execute_with_args("SELECT r.run_id, r.space = $2, r.objective = $3,"
							   "       (r.options -> 'fixed') IS NOT DISTINCT FROM ($4 -> 'fixed'),"
							   "       (r.options -> 'backtest') IS NOT DISTINCT FROM ($4 -> 'backtest'),"
							   "       r.objective"
							   "  FROM ptopt.runs r WHERE " PT_WARM_REF_MATCH
							   " ORDER BY r.run_id",
							   4, types, values, nulls, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read ptopt.runs: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		bad_reference(psprintf("options.warm_start_from names no run: %s %s",
							   strcmp(kind, "number") == 0 ? "run_id" : "label", ref),
					  "No run visible to this role has it.");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		int64		run_id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		const char *what = NULL;

		if (!DatumGetBool(SPI_getbinval(tup, desc, 2, &isnull)))
			what = "a different search space";
		else if (!DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull)))
			what = psprintf("a different objective (%s)", SPI_getvalue(tup, desc, 6));
		else if (!DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull)))
			what = "a different options.fixed";
		else if (!DatumGetBool(SPI_getbinval(tup, desc, 5, &isnull)))
			what = "a different options.backtest";
		if (what != NULL)
			bad_reference(psprintf("options.warm_start_from names run %lld, which has %s",
								   (long long) run_id, what),
						  "A warm start takes the iterations of runs over the same parameters (names, types, bounds, log, step, choices and defaults), with the same objective, options.fixed and options.backtest.");
	}
	SPI_freetuptable(SPI_tuptable);
}

/* Call fn for each warm-start iteration of a stored run; returns how many. */
int
PtWarmStartLoad(int64 run_id, void (*fn) (void *arg, const PtStoredIteration *it), void *arg)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	int			rc;
	uint64		i;
	int			n;
	MemoryContext row_cxt;

	values[0] = Int64GetDatum(run_id);
	rc = SPI_execute_with_args("SELECT t.params::text, t.score, t.report ->> 'summary'"
							   "  FROM ptopt.runs me"
							   "  JOIN ptopt.runs r ON r.run_id <> me.run_id AND r.started_at < me.started_at"
							   "   AND r.space = me.space AND r.objective = me.objective"
							   "   AND (r.options -> 'fixed') IS NOT DISTINCT FROM (me.options -> 'fixed')"
							   "   AND (r.options -> 'backtest') IS NOT DISTINCT FROM (me.options -> 'backtest')"
							   "   AND CASE pg_catalog.jsonb_typeof(me.options -> 'warm_start_from')"
							   "       WHEN 'number' THEN r.run_id::numeric = (me.options ->> 'warm_start_from')::numeric"
							   "       ELSE r.label = (me.options ->> 'warm_start_from') END"
							   "  JOIN ptopt.trajectory t ON t.run_id = r.run_id"
							   " WHERE me.run_id = $1 AND me.options ? 'warm_start_from'"
							   "   AND t.status = 'ok' AND t.created_at < me.started_at"
							   " ORDER BY r.run_id, t.iter",
							   1, types, values, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read the warm-start iterations: %s", SPI_result_code_string(rc));
	n = (int) SPI_processed;
	row_cxt = AllocSetContextCreate(CurrentMemoryContext, "ptopt warm start row", ALLOCSET_SMALL_SIZES);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		MemoryContext old = MemoryContextSwitchTo(row_cxt);
		PtStoredIteration it = {0};
		bool		isnull;

		it.iter = 0;
		it.params_json = SPI_getvalue(tup, desc, 1);
		it.score = DatumGetFloat8(SPI_getbinval(tup, desc, 2, &isnull));
		it.status = PT_TRIAL_OK;
		it.source = PT_SOURCE_WARM_START;
		it.summary = SPI_getvalue(tup, desc, 3);
		it.reasoning = NULL;
		it.pending = false;
		fn(arg, &it);
		MemoryContextSwitchTo(old);
		MemoryContextReset(row_cxt);
	}
	MemoryContextDelete(row_cxt);
	SPI_freetuptable(SPI_tuptable);
	return n;
}
