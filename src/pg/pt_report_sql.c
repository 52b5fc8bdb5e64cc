/*
 * pt_report_sql.c — ptopt_report(run_id), ptopt_report(run_ids[]) and ptopt_importance(run_id).
 *
 * Reads the rows with parameterised SPI (row-level security applies: a role
 * sees its own runs), fills core's typed inputs, and returns what core
 * wrote (src/core/report*.c, src/core/importance*.c).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "importance.h"
#include "pt_alloc.h"
#include "pt_glue.h"
#include "pt_report_sql.h"
#include "report.h"
#include "space.h"

PG_FUNCTION_INFO_V1(ptopt_report_run);
PG_FUNCTION_INFO_V1(ptopt_report_compare);
PG_FUNCTION_INFO_V1(ptopt_importance);

#define REPORT_COMPARE_MAX_RUNS 1000

/*
 * The run row.  Optional columns the run table may grow (runs.elapsed) are
 * computed here from what exists today.
 */
#define RUN_QUERY \
	"SELECT r.run_id, r.label, r.strategy, r.objective, r.status, r.started_at::text, r.error, r.llm_model," \
	"       coalesce(r.options->>'direction', 'maximize') = 'minimize', r.budget, r.iterations," \
	"       r.best_score, r.best_iter, r.holdout_score," \
	"       extract(epoch FROM coalesce(r.finished_at, clock_timestamp()) - r.started_at)::float8," \
	"       r.tokens_in, r.tokens_out, r.space::text, (r.options->'fixed')::text" \
	"  FROM ptopt.runs r WHERE r.run_id = $1"

/* The iterations; holdout_score is set on the iterations that were a new best. */
#define ITER_QUERY \
	"SELECT t.iter, t.score, t.holdout_score, t.source, t.status, t.reasoning, t.elapsed_ms," \
	"       t.params::text," \
	"       (SELECT array_agg(t.params ->> u.k ORDER BY u.o) FROM unnest($2::text[]) WITH ORDINALITY u(k, o))" \
	"  FROM ptopt.trajectory t WHERE t.run_id = $1 ORDER BY t.iter"

/* The best parameters as name/value texts, in key order. */
#define BEST_QUERY \
	"SELECT p.key, p.value #>> '{}' FROM ptopt.runs r, jsonb_each(r.best_params) p" \
	" WHERE r.run_id = $1 ORDER BY p.key"

/* Column helpers over the current SPI result. */
static bool
col_null(uint64 row, int col)
{
	bool		isnull;

	(void) SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);
	return isnull;
}

/* A text column (NULL stays NULL), palloc'd in the SPI context. */
static char *
col_text(uint64 row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

/* A non-null Datum column. */
static Datum
col_datum(uint64 row, int col)
{
	bool		isnull;

	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);
}

/* Raise "run N does not exist" (also for runs of other roles, which RLS hides). */
static void
run_not_found(int64 run_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("run %lld does not exist", (long long) run_id),
			 errdetail("Runs of other roles are not visible.")));
}

/* What one run's report and importance need, read in one SPI session. */
typedef struct RunData
{
	PtReportRun run;
	PtSpace    *space;			/* malloc'd by core: freed by free_run_data */
	char	   *fixed_json;
	PtReportIter *iters;
	char	  **params_json;	/* per iteration */
} RunData;

/* Free core's part of a RunData. */
static void
free_run_data(RunData *d)
{
	PtSpaceFree(d->space);
	d->space = NULL;
}

/* Read a run, its parameters and its iterations (SPI connected; raises when it is not visible). */
static void
read_run(int64 run_id, bool with_iters, RunData *d)
{
	Oid			types[2] = {INT8OID, TEXTARRAYOID};
	Datum		values[2];
	PtReportRun *run = &d->run;
	PtError		err;
	char	   *space_text;
	int			p;
	uint64		i;

	memset(d, 0, sizeof(*d));
	values[0] = Int64GetDatum(run_id);
	if (SPI_execute_with_args(RUN_QUERY, 1, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ptopt.runs");
	if (SPI_processed == 0)
		run_not_found(run_id);
	run->run_id = DatumGetInt64(col_datum(0, 1));
	run->label = col_text(0, 2);
	run->strategy = col_text(0, 3);
	run->objective = col_text(0, 4);
	run->status = col_text(0, 5);
	run->started_at = col_text(0, 6);
	run->error = col_text(0, 7);
	run->llm_model = col_text(0, 8);
	run->minimize = DatumGetBool(col_datum(0, 9));
	run->budget = DatumGetInt32(col_datum(0, 10));
	run->iterations = DatumGetInt32(col_datum(0, 11));
	run->has_best = !col_null(0, 12) && !col_null(0, 13);
	run->best_score = run->has_best ? DatumGetFloat8(col_datum(0, 12)) : 0;
	run->best_iter = run->has_best ? DatumGetInt32(col_datum(0, 13)) : 0;
	run->has_holdout = !col_null(0, 14);
	run->holdout_score = run->has_holdout ? DatumGetFloat8(col_datum(0, 14)) : 0;
	run->has_elapsed = !col_null(0, 15);
	run->elapsed_s = run->has_elapsed ? DatumGetFloat8(col_datum(0, 15)) : 0;
	run->tokens_in = DatumGetInt64(col_datum(0, 16));
	run->tokens_out = DatumGetInt64(col_datum(0, 17));
	space_text = col_text(0, 18);
	d->fixed_json = col_text(0, 19);

	d->space = PtSpaceParse(space_text, &err);
	if (d->space == NULL)
		PtRaise(&err);
	run->n_params = d->space->n_params;
	run->param_names = palloc(sizeof(char *) * (run->n_params + 1));
	run->param_log = palloc(sizeof(bool) * (run->n_params + 1));
	for (p = 0; p < run->n_params; p++)
	{
		run->param_names[p] = pstrdup(d->space->params[p].name);
		((bool *) run->param_log)[p] = d->space->params[p].log;
	}
	if (!with_iters)
		return;

	/* The best parameters. */
	if (SPI_execute_with_args(BEST_QUERY, 1, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read ptopt.runs");
	run->n_best = (int) SPI_processed;
	run->best_names = palloc(sizeof(char *) * (SPI_processed + 1));
	run->best_values = palloc(sizeof(char *) * (SPI_processed + 1));
	for (i = 0; i < SPI_processed; i++)
	{
		run->best_names[i] = col_text(i, 1);
		run->best_values[i] = col_text(i, 2);
	}

	/* The iterations, with each parameter's value as text. */
	{
		Datum	   *names = palloc(sizeof(Datum) * (run->n_params + 1));

		for (p = 0; p < run->n_params; p++)
			names[p] = CStringGetTextDatum(run->param_names[p]);
		values[1] = PointerGetDatum(construct_array(names, run->n_params, TEXTOID, -1, false, TYPALIGN_INT));
	}
	if (SPI_execute_with_args(ITER_QUERY, 2, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read ptopt.trajectory");
	run->n_iters = (int) SPI_processed;
	d->iters = palloc0(sizeof(PtReportIter) * (SPI_processed + 1));
	d->params_json = palloc(sizeof(char *) * (SPI_processed + 1));
	for (i = 0; i < SPI_processed; i++)
	{
		PtReportIter *it = &d->iters[i];
		const char **vals = palloc0(sizeof(char *) * (run->n_params + 1));

		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		it->iter = DatumGetInt32(col_datum(i, 1));
		it->has_score = !col_null(i, 2);
		it->score = it->has_score ? DatumGetFloat8(col_datum(i, 2)) : 0;
		it->has_holdout = !col_null(i, 3);
		it->holdout = it->has_holdout ? DatumGetFloat8(col_datum(i, 3)) : 0;
		it->source = col_text(i, 4);
		it->status = col_text(i, 5);
		it->reasoning = col_text(i, 6);
		it->elapsed_ms = DatumGetFloat8(col_datum(i, 7));
		d->params_json[i] = col_text(i, 8);
		if (!col_null(i, 9) && run->n_params > 0)
		{
			ArrayType  *arr = DatumGetArrayTypeP(col_datum(i, 9));
			Datum	   *elems;
			bool	   *nulls;
			int			n;

			deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
			for (p = 0; p < n && p < run->n_params; p++)
				vals[p] = nulls[p] ? NULL : TextDatumGetCString(elems[p]);
		}
		it->values = vals;
	}
	run->iters = d->iters;
}

/*
 * Importance of a run's parameters over its ok iterations with a finite
 * score (a point that does not fit the space is left out).  Scores are
 * negated for a minimised run, so "better" points the same way.  Returns
 * PT_OK with importance[] filled, or a core error.
 */
static int
run_importance(RunData *d, double *importance, PtError *err)
{
	int			np = d->run.n_params;
	double	   *x = palloc(sizeof(double) * ((size_t) d->run.n_iters * np + 1));
	double	   *y = palloc(sizeof(double) * (d->run.n_iters + 1));
	int			m = 0;
	int			i;

	for (i = 0; i < d->run.n_iters; i++)
	{
		const PtReportIter *it = &d->iters[i];
		PtError		perr;

		if (!it->has_score || !isfinite(it->score) || strcmp(it->status, "ok") != 0)
			continue;
		if (PtSpacePointFromJson(d->space, d->params_json[i], "an iteration", PT_POINT_IGNORE_UNKNOWN,
								 x + (size_t) m * np, &perr) != PT_OK)
			continue;
		y[m++] = d->run.minimize ? -it->score : it->score;
	}
	return PtImportance(d->space, x, y, m, PT_IMPORTANCE_DEFAULT_SEED, PtPgStop(), importance, err);
}

/* A page as a text datum in the function's context, its invalid bytes replaced (SPI connected). */
static text *
page_text(char *html)
{
	Size		len = strlen(html);
	text	   *t = (text *) SPI_palloc(VARHDRSZ + len);

	PtMakeValidText(html);
	SET_VARSIZE(t, VARHDRSZ + len);
	memcpy(VARDATA(t), html, len);
	return t;
}

/* ptopt_report(run_id): the HTML page of one run. */
Datum
ptopt_report_run(PG_FUNCTION_ARGS)
{
	int64		run_id = PG_GETARG_INT64(0);
	RunData		d;
	char	   *volatile html = NULL;
	PtError		err;
	PtError		ierr;
	double	   *importance;
	text	   *result;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	memset(&d, 0, sizeof(d));
	PtErrorClear(&ierr);
	PG_TRY();
	{
		read_run(run_id, true, &d);
		importance = palloc0(sizeof(double) * (d.run.n_params + 1));
		if (d.run.n_params > 0 && run_importance(&d, importance, &ierr) == PT_OK)
			d.run.importance = importance;
		else if (ierr.code == PT_ERR_CANCELLED)
			PtRaise(&ierr);
		else
			d.run.importance_note = d.run.n_params == 0 ? "the space has no parameters" : pstrdup(ierr.message);
		html = PtReportRunHtml(&d.run, &err);
	}
	PG_FINALLY();
	{
		free_run_data(&d);
	}
	PG_END_TRY();
	/* Core allocated the page in SPI's context: copy it out before SPI_finish frees it. */
	result = html != NULL ? page_text(html) : NULL;
	SPI_finish();
	if (result == NULL)
		PtRaise(&err);
	PG_RETURN_TEXT_P(result);
}

/*
 * The fANOVA importance of each searched parameter of a run, most important
 * first (ties in space order), in the caller's memory context; returns the
 * number of parameters, or -1 with err set when the run's iterations do not
 * allow it (too few, scores that do not vary).  Raises when the run is not
 * visible.
 */
int
PtRunImportance(int64 run_id, char ***names_out, double **importance_out, PtError *err_out)
{
	RunData		d;
	PtError		err;
	double	   *volatile importance = NULL;
	volatile int rc = PT_OK;
	int			np;
	char	  **names;
	double	   *sorted;
	int		   *order;
	int			i;
	int			j;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	memset(&d, 0, sizeof(d));
	PG_TRY();
	{
		read_run(run_id, true, &d);
		importance = SPI_palloc(sizeof(double) * (d.run.n_params + 1));
		rc = run_importance(&d, importance, &err);
	}
	PG_FINALLY();
	{
		free_run_data(&d);
	}
	PG_END_TRY();
	np = d.run.n_params;
	names = SPI_palloc(sizeof(char *) * (np + 1));
	for (i = 0; i < np; i++)
	{
		Size		len = strlen(d.run.param_names[i]) + 1;

		names[i] = SPI_palloc(len);
		memcpy(names[i], d.run.param_names[i], len);
	}
	SPI_finish();
	if (rc == PT_ERR_CANCELLED)
		PtRaise(&err);
	if (rc != PT_OK)
	{
		*err_out = err;
		return -1;
	}
	order = palloc(sizeof(int) * (np + 1));
	for (i = 0; i < np; i++)
	{
		for (j = i; j > 0 && importance[order[j - 1]] < importance[i]; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	*names_out = palloc(sizeof(char *) * (np + 1));
	sorted = palloc(sizeof(double) * (np + 1));
	for (i = 0; i < np; i++)
	{
		(*names_out)[i] = names[order[i]];
		sorted[i] = importance[order[i]];
	}
	*importance_out = sorted;
	return np;
}

/* ptopt_importance(run_id): one row per parameter, most important first. */
Datum
ptopt_importance(PG_FUNCTION_ARGS)
{
	int64		run_id = PG_GETARG_INT64(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	  **names;
	double	   *importance;
	PtError		err;
	int			np;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	np = PtRunImportance(run_id, &names, &importance, &err);
	if (np < 0)
		PtRaise(&err);
	for (i = 0; i < np; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = CStringGetTextDatum(names[i]);
		values[1] = Float8GetDatum(importance[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* The runs of a comparison, in the order given. */
#define COMPARE_RUNS_QUERY \
	"SELECT r.run_id, r.strategy, r.label, r.status, r.seed," \
	"       coalesce(r.options->>'direction', 'maximize') = 'minimize'," \
	"       r.best_score, r.best_iter, r.holdout_score," \
	"       coalesce((SELECT avg(t.elapsed_ms) FROM ptopt.trajectory t WHERE t.run_id = r.run_id), 0)::float8" \
	"  FROM ptopt.runs r WHERE r.run_id = ANY ($1) ORDER BY array_position($1, r.run_id)"

/* Each run's best score so far per iteration (NULL before its first ok iteration). */
#define COMPARE_BEST_QUERY \
	"SELECT t.run_id, t.iter," \
	"       CASE WHEN coalesce(r.options->>'direction', 'maximize') = 'minimize'" \
	"            THEN min(t.score) FILTER (WHERE t.status = 'ok') OVER w" \
	"            ELSE max(t.score) FILTER (WHERE t.status = 'ok') OVER w END" \
	"  FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id)" \
	" WHERE t.run_id = ANY ($1)" \
	" WINDOW w AS (PARTITION BY t.run_id ORDER BY t.iter)" \
	" ORDER BY t.run_id, t.iter"

/* ptopt_report(run_ids[]): strategies side by side. */
Datum
ptopt_report_compare(PG_FUNCTION_ARGS)
{
	ArrayType  *ids = PG_GETARG_ARRAYTYPE_P(0);
	Oid			types[1] = {INT8ARRAYOID};
	Datum		values[1];
	PtReportCompareRun *runs;
	int			n_ids;
	int			n;
	uint64		i;
	int			k;
	char	   *html;
	PtError		err;
	text	   *result;

	if (ARR_NDIM(ids) > 1 || array_contains_nulls(ids))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("run_ids must be a one-dimensional array without NULL")));
	n_ids = ArrayGetNItems(ARR_NDIM(ids), ARR_DIMS(ids));
	if (n_ids < 1 || n_ids > REPORT_COMPARE_MAX_RUNS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a comparison takes 1 to %d runs, not %d", REPORT_COMPARE_MAX_RUNS, n_ids),
				 errhint("Pass the run_ids column of ptopt_compare, or an array of run ids.")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	values[0] = PointerGetDatum(ids);
	if (SPI_execute_with_args(COMPARE_RUNS_QUERY, 1, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read ptopt.runs");
	n = (int) SPI_processed;
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("none of the runs exists"),
				 errdetail("Runs of other roles are not visible.")));
	runs = palloc0(sizeof(PtReportCompareRun) * n);
	if (n < n_ids)
	{
		/* Name the first id that is not there. */
		Datum	   *elems;
		bool	   *nulls;
		int			n_elems;
		int			e;

		deconstruct_array(ids, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n_elems);
		for (e = 0; e < n_elems; e++)
		{
			bool		found = false;

			for (i = 0; i < (uint64) n && !found; i++)
				found = DatumGetInt64(col_datum(i, 1)) == DatumGetInt64(elems[e]);
			if (!found)
				run_not_found(DatumGetInt64(elems[e]));
		}
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("run_ids must not repeat a run")));
	}
	for (i = 0; i < (uint64) n; i++)
	{
		PtReportCompareRun *r = &runs[i];

		r->run_id = DatumGetInt64(col_datum(i, 1));
		r->strategy = col_text(i, 2);
		r->label = col_text(i, 3);
		r->status = col_text(i, 4);
		r->seed = DatumGetInt64(col_datum(i, 5));
		r->minimize = DatumGetBool(col_datum(i, 6));
		r->has_best = !col_null(i, 7) && !col_null(i, 8);
		r->best_score = r->has_best ? DatumGetFloat8(col_datum(i, 7)) : 0;
		r->best_iter = r->has_best ? DatumGetInt32(col_datum(i, 8)) : 0;
		r->has_holdout = !col_null(i, 9);
		r->holdout_score = r->has_holdout ? DatumGetFloat8(col_datum(i, 9)) : 0;
		r->ms_per_iter = DatumGetFloat8(col_datum(i, 10));
	}
	if (SPI_execute_with_args(COMPARE_BEST_QUERY, 1, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read ptopt.trajectory");
	/* Rows come sorted by run_id: fill each run's array in iteration order. */
	for (k = 0; k < n; k++)
	{
		double	   *bsf = palloc(sizeof(double) * (SPI_processed + 1));
		int			m = 0;

		for (i = 0; i < SPI_processed; i++)
		{
			if (DatumGetInt64(col_datum(i, 1)) != runs[k].run_id)
				continue;
			bsf[m++] = col_null(i, 3) ? NAN : DatumGetFloat8(col_datum(i, 3));
		}
		runs[k].n = m;
		runs[k].best_so_far = bsf;
		CHECK_FOR_INTERRUPTS();
	}
	html = PtReportCompareHtml(runs, n, &err);
	/* Core allocated the page in SPI's context: copy it out before SPI_finish frees it. */
	result = html != NULL ? page_text(html) : NULL;
	SPI_finish();
	if (result == NULL)
		PtRaise(&err);
	PG_RETURN_TEXT_P(result);
}
