/*
 * pt_explain_sql.c — ptopt_explain(run_id): why the best iteration is best.
 *
 * From the data (always, any strategy): which parameters and which report
 * terms separate the best fifth of the scored iterations from the rest, in
 * plain sentences with numbers.  With an endpoint configured and a caller in
 * ptopt_llm_user, the best iteration, its nearest rivals, its score terms and
 * those sentences are sent to the model, and its answer comes first.  The
 * result is stored in ptopt.runs.explanation.  Training results only: no
 * held-out figure is read or sent.
 */
#include "postgres.h"

#include <math.h>

#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "llm_client.h"
#include "llm_text.h"
#include "pt_alloc.h"
#include "pt_glue.h"
#include "pt_llm.h"
#include "pt_report_sql.h"

PG_FUNCTION_INFO_V1(ptopt_explain);

#define EXPLAIN_TOP_FRACTION 0.2	/* the "best" group: this share of scored iterations */
#define EXPLAIN_TERMS 6				/* sentences: half on parameters, half on report and score terms */
#define EXPLAIN_RIVALS 5			/* iterations after the best sent to the model */

/* +1, or -1 for a minimised run: "better" is sign * score, higher. */
#define RUN_SIGN "(SELECT CASE WHEN options->>'direction' = 'minimize' THEN -1 ELSE 1 END" \
	" FROM ptopt.runs WHERE run_id = $1)"

/* Which numbers differ most between the best group and the rest (training terms only). */
static const char *const separation_sql =
	"WITH t AS (SELECT iter, score, params, report FROM ptopt.trajectory"
	"            WHERE run_id = $1 AND status = 'ok' AND score IS NOT NULL AND score = score),"
	" r AS (SELECT t.*, row_number() OVER (ORDER BY " RUN_SIGN " * score DESC, iter) AS rk,"
	"              count(*) OVER () AS n FROM t),"
	" g AS (SELECT r.*, rk <= greatest(1, ceil(n * $2::float8)) AS top FROM r),"
	" v AS (SELECT 'parameter' AS kind, p.key, g.top,"
	"              CASE jsonb_typeof(p.value) WHEN 'number' THEN p.value::text::float8"
	"                   WHEN 'boolean' THEN p.value::text::boolean::int::float8 END AS x"
	"         FROM g, jsonb_each(g.params) p"
	"       UNION ALL"
	"       SELECT 'report term', m.key, g.top, m.value::text::float8"
	"         FROM g, jsonb_each(CASE jsonb_typeof(g.report->'metrics') WHEN 'object' THEN g.report->'metrics'"
	"                                 ELSE '{}' END) m"
	"        WHERE jsonb_typeof(m.value) = 'number'"
	"       UNION ALL"
	"       SELECT 'score term', s.key, g.top, s.value::text::float8"
	"         FROM g, jsonb_each(CASE jsonb_typeof(g.report->'score_parts') WHEN 'object'"
	"                                 THEN g.report->'score_parts' ELSE '{}' END) s"
	"        WHERE jsonb_typeof(s.value) = 'number')"
	" SELECT kind, key, t_avg, r_avg, n_top, n_rest, effect FROM (SELECT s.*,"
	"        row_number() OVER (PARTITION BY kind = 'parameter' ORDER BY effect DESC, kind, key) AS k FROM ("
	"  SELECT kind, key, avg(x) FILTER (WHERE top) AS t_avg, avg(x) FILTER (WHERE NOT top) AS r_avg,"
	"         count(*) FILTER (WHERE top) AS n_top, count(*) FILTER (WHERE NOT top) AS n_rest,"
	"         abs(avg(x) FILTER (WHERE top) - avg(x) FILTER (WHERE NOT top)) / stddev_pop(x) AS effect"
	"    FROM v WHERE x IS NOT NULL AND key NOT ILIKE '%hold%out%'"
	"   GROUP BY kind, key"
	"  HAVING count(*) FILTER (WHERE NOT top) > 0 AND count(*) FILTER (WHERE top) > 0 AND stddev_pop(x) > 0) s"
	"  ) s2"
	" WHERE k <= $3 / 2"
	" ORDER BY kind <> 'parameter', effect DESC, kind, key";

/* A number for a sentence: 4 significant digits. */
static const char *
num(double v)
{
	return psprintf("%.4g", v);
}

/* A sentence on the fANOVA importance of the most important parameters, when it can be had. */
static void
append_importance(StringInfo b, int64 run_id)
{
	char	  **names;
	double	   *importance;
	PtError		err;
	int			n = PtRunImportance(run_id, &names, &importance, &err);
	int			i;

	if (n <= 0)
		return;
	appendStringInfoString(b, " By fANOVA importance (Optuna's default evaluator) the score depends most on");
	for (i = 0; i < n && i < EXPLAIN_TERMS / 2; i++)
		appendStringInfo(b, "%s %s (%s)", i == 0 ? "" : ",", quote_identifier(names[i]), num(importance[i]));
	appendStringInfoString(b, ".");
}

/* The sentences from the data; *best_iter receives the best iteration (0 when none). */
static char *
explain_from_data(int64 run_id, const char *strategy, int *best_iter, double *best_score)
{
	StringInfoData b;
	Oid			types[3] = {INT8OID, FLOAT8OID, INT4OID};
	Datum		values[3];
	int64		n_scored;
	bool		isnull;
	uint64		i;

	initStringInfo(&b);
	*best_iter = 0;
	values[0] = Int64GetDatum(run_id);
	if (SPI_execute_with_args("SELECT count(*) FILTER (WHERE status = 'ok' AND score IS NOT NULL AND score = score),"
							  " count(*),"
							  " (SELECT iter FROM ptopt.trajectory WHERE run_id = $1 AND status = 'ok'"
							  "   AND score IS NOT NULL AND score = score ORDER BY " RUN_SIGN " * score DESC, iter LIMIT 1),"
							  " (SELECT best_score FROM ptopt.runs WHERE run_id = $1),"
							  " percentile_cont(0.5) WITHIN GROUP (ORDER BY score) FILTER (WHERE status = 'ok' AND score = score)"
							  " FROM ptopt.trajectory WHERE run_id = $1",
							  1, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "ptopt_explain: counting the iterations failed");
	n_scored = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (n_scored == 0)
	{
		appendStringInfo(&b, "This %s search has no scored iteration yet, so there is nothing to explain.",
						 strategy);
		return b.data;
	}
	{
		int64		n_all = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		double		median;

		*best_iter = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
		*best_score = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));
		median = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5, &isnull));
		appendStringInfo(&b, "In this %s search the best of " INT64_FORMAT " scored iterations is "
						 "iteration %d with score %s; the median score was %s.",
						 strategy, n_scored, *best_iter, num(*best_score), num(median));
		if (n_all > n_scored)
			appendStringInfo(&b, " " INT64_FORMAT " iterations were refused or failed and are left out.",
							 n_all - n_scored);
	}
	if (n_scored < 2)
	{
		appendStringInfoString(&b, " One scored iteration cannot be compared with others.");
		return b.data;
	}
	values[1] = Float8GetDatum(EXPLAIN_TOP_FRACTION);
	values[2] = Int32GetDatum(EXPLAIN_TERMS);
	if (SPI_execute_with_args(separation_sql, 3, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "ptopt_explain: comparing the iterations failed");
	if (SPI_processed == 0)
		appendStringInfoString(&b, " No parameter or report term differs between the best iterations and the rest.");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *kind = SPI_getvalue(tup, desc, 1);
		char	   *key = SPI_getvalue(tup, desc, 2);
		double		top = DatumGetFloat8(SPI_getbinval(tup, desc, 3, &isnull));
		double		rest = DatumGetFloat8(SPI_getbinval(tup, desc, 4, &isnull));
		int64		n_top = DatumGetInt64(SPI_getbinval(tup, desc, 5, &isnull));
		int64		n_rest = DatumGetInt64(SPI_getbinval(tup, desc, 6, &isnull));
		double		effect = DatumGetFloat8(SPI_getbinval(tup, desc, 7, &isnull));

		if (i == 0)
			appendStringInfo(&b, " Comparing the best " INT64_FORMAT " iteration%s with the other " INT64_FORMAT ":",
							 n_top, n_top == 1 ? "" : "s", n_rest);
		appendStringInfo(&b, " %s %s averaged %s in the best against %s in the rest (%s standard deviations apart).",
						 strcmp(kind, "parameter") == 0 ? "Parameter" :
						 strcmp(kind, "score term") == 0 ? "Score term" : "Report term",
						 quote_identifier(key), num(top), num(rest), num(effect));
	}
	append_importance(&b, run_id);
	return b.data;
}

/* The model's prompt: the best iteration, its rivals, the data sentences (training only). */
static void
explain_prompt(int64 run_id, int best_iter, const char *data_text, PtBuf *user)
{
	Oid			types[2] = {INT8OID, INT4OID};
	Datum		values[2];
	uint64		i;

	values[0] = Int64GetDatum(run_id);
	values[1] = Int32GetDatum(EXPLAIN_RIVALS + 1);
	PtBufAppend(user, "EXPLAIN why the best iteration of this search scored best.\n\n");
	if (SPI_execute_with_args("SELECT iter, score, params::text, (report->'score_parts')::text, report->>'summary'"
							  "  FROM ptopt.trajectory WHERE run_id = $1 AND status = 'ok' AND score = score"
							  " ORDER BY " RUN_SIGN " * score DESC, iter LIMIT $2",
							  2, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "ptopt_explain: reading the best iterations failed");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *parts = SPI_getvalue(tup, desc, 4);
		char	   *summary = SPI_getvalue(tup, desc, 5);

		PtBufPrintf(user, "%s iteration %s: score %s; params %s\n", i == 0 ? "BEST" : "Rival",
					SPI_getvalue(tup, desc, 1), SPI_getvalue(tup, desc, 2), SPI_getvalue(tup, desc, 3));
		if (parts != NULL)
		{
			PtBufAppend(user, "  score terms: ");
			PtBufAppendTraining(user, parts, 600);
			PtBufAppend(user, "\n");
		}
		if (summary != NULL)
		{
			PtBufAppend(user, "  report: ");
			PtBufAppendTraining(user, summary, 600);
			PtBufAppend(user, "\n");
		}
	}
	PtBufAppend(user, "\nWHAT THE DATA SAYS: ");
	PtBufAppendTraining(user, data_text, 4000);
	PtBufAppend(user, "\n\nIn at most 150 words of plain prose, explain which parameters matter and why the best "
				"iteration beat its rivals. Do not invent numbers.\n");
	(void) best_iter;
}

/* Ask the model; NULL (with a NOTICE saying why) when it cannot answer. */
static char *
explain_with_model(int64 run_id, int best_iter, const char *data_text, char **model_out)
{
	PtLlmSettings s;
	PtLlmRequest req = {0};
	PtLlmResponse resp;
	PtError		err;
	PtBuf		user = {0};
	char	   *answer = NULL;
	int			rc;

	PtLlmSettingsFill(&s);
	explain_prompt(run_id, best_iter, data_text, &user);
	if (user.failed || PtTextMentionsHoldout(user.data))
	{
		PtBufFree(&user);
		return NULL;
	}
	req.system = "You explain the results of a parameter search over a synthetic market-making backtest "
		"(a simulation, not a forecast). Be concrete and brief.";
	req.user = user.data;
	req.model = NULL;
	req.temperature = 0.2;
	req.json_mode = false;
	rc = PtLlmCall(&s, &req, PtPgStop(), &resp, &err);
	PtBufFree(&user);
	if (rc == PT_OK)
		answer = pstrdup(resp.text);
	PtLlmResponseFree(&resp);
	if (rc == PT_ERR_CANCELLED)
		CHECK_FOR_INTERRUPTS();
	if (rc != PT_OK)
	{
		PtMakeValidText(err.message);
		ereport(NOTICE,
				(errmsg("ptopt_explain: the model could not answer, so the explanation is from the data alone"),
				 errdetail("%s.", err.message)));
		return NULL;
	}
	PtMakeValidText(answer);
	*model_out = pstrdup(s.model);
	return answer;
}

/* ptopt_explain(run_id bigint) returns text. */
Datum
ptopt_explain(PG_FUNCTION_ARGS)
{
	int64		run_id = PG_GETARG_INT64(0);
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		values[2];
	char	   *strategy;
	char	   *data_text;
	char	   *answer = NULL;
	char	   *model = NULL;
	char	   *result;
	int			best_iter;
	double		best_score = 0;
	MemoryContext outer = CurrentMemoryContext;

	SPI_connect();
	values[0] = Int64GetDatum(run_id);
	if (SPI_execute_with_args("SELECT strategy FROM ptopt.runs WHERE run_id = $1", 1, types, values, NULL, true, 0)
		!= SPI_OK_SELECT)
		elog(ERROR, "ptopt_explain: reading the run failed");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("run " INT64_FORMAT " does not exist", run_id),
				 errhint("A role sees only its own runs: SELECT run_id FROM ptopt.runs lists them.")));
	strategy = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	data_text = explain_from_data(run_id, strategy, &best_iter, &best_score);
	if (best_iter > 0 && PtLlmConfigured() && PtLlmUserAllowed())
		answer = explain_with_model(run_id, best_iter, data_text, &model);
	if (answer != NULL)
		result = psprintf("The LLM endpoint's answer (model name \"%s\"):\n%s\n\nFrom the data: %s",
						  model, answer, data_text);
	else
		result = data_text;
	values[1] = CStringGetTextDatum(result);
	if (SPI_execute_with_args("UPDATE ptopt.runs SET explanation = $2 WHERE run_id = $1", 2, types, values, NULL,
							  false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "ptopt_explain: storing the explanation failed");
	result = MemoryContextStrdup(outer, result);
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(result));
}
