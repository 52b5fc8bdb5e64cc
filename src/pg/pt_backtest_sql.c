/*
 * pt_backtest_sql.c — ptopt_params(), ptopt_default_space() and ptopt_backtest().
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "clob.h"
#include "gates.h"
#include "pt_alloc.h"
#include "pt_alloc_pg.h"
#include "pt_backtest_cache.h"
#include "pt_glue.h"
#include "pt_policy.h"
#include "pt_settings.h"
#include "space.h"

PG_FUNCTION_INFO_V1(ptopt_params);
PG_FUNCTION_INFO_V1(ptopt_default_space);
PG_FUNCTION_INFO_V1(ptopt_backtest);

#define PARAMS_COLUMNS 10

/* The space type name of a tunable parameter. */
static const char *
kind_name(ClobParamKind kind)
{
	switch (kind)
	{
		case CLOB_PARAM_FLOAT:
			return "float";
		case CLOB_PARAM_INT:
			return "int";
		case CLOB_PARAM_BOOL:
			return "bool";
	}
	return "float";
}

/* A parameter value as JSON text: booleans as such, numbers in shortest round-trip form. */
static void
append_number(StringInfo buf, double v, ClobParamKind kind)
{
	char		num[PT_DOUBLE_TEXT_MAX];

	if (kind == CLOB_PARAM_BOOL)
	{
		appendStringInfoString(buf, v != 0 ? "true" : "false");
		return;
	}
	PtFormatDouble(v, num, sizeof(num));
	appendStringInfoString(buf, num);
}

/* One row per tunable parameter, then one per gated setting. */
Datum
ptopt_params(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const ClobParamInfo *params;
	const ClobGatedInfo *gated;
	int			n;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	params = ClobTunableParams(&n);
	for (i = 0; i < n; i++)
	{
		const ClobParamInfo *p = &params[i];
		Datum		values[PARAMS_COLUMNS];
		bool		nulls[PARAMS_COLUMNS] = {0};
		StringInfoData def;

		initStringInfo(&def);
		append_number(&def, p->default_value, p->kind);
		values[0] = CStringGetTextDatum(p->name);
		values[1] = CStringGetTextDatum(kind_name(p->kind));
		values[2] = Float8GetDatum(p->low);
		values[3] = Float8GetDatum(p->high);
		values[4] = BoolGetDatum(p->log);
		values[5] = Float8GetDatum(p->step);
		nulls[5] = (p->step == 0);
		if (p->kind == CLOB_PARAM_BOOL)
		{
			nulls[2] = nulls[3] = nulls[5] = true;
			values[6] = PtTextToJsonb("[true, false]");
		}
		else
			nulls[6] = true;
		values[7] = PtTextToJsonb(def.data);
		values[8] = BoolGetDatum(false);
		values[9] = CStringGetTextDatum(p->description);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	gated = ClobGatedSettings(&n);
	for (i = 0; i < n; i++)
	{
		Datum		values[PARAMS_COLUMNS];
		bool		nulls[PARAMS_COLUMNS] = {0};

		values[0] = CStringGetTextDatum(gated[i].name);
		values[1] = CStringGetTextDatum(gated[i].type);
		nulls[2] = nulls[3] = nulls[5] = nulls[6] = true;
		values[4] = BoolGetDatum(false);
		values[7] = PtTextToJsonb(gated[i].default_json);
		values[8] = BoolGetDatum(true);
		values[9] = CStringGetTextDatum(gated[i].description);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* A search space over every tunable parameter, at its full range, with each default. */
Datum
ptopt_default_space(PG_FUNCTION_ARGS)
{
	char	   *text = ClobDefaultSpaceJson(true, false);
	Datum		space;

	if (text == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	space = PtTextToJsonb(text);
	PtFree(text);
	PG_RETURN_DATUM(space);
}

/*
 * One backtest with these parameters and options; returns the ReportEnvelope.
 * The session, and the worlds it generates, are kept for the next call with
 * the same options and policy (pt_backtest_cache.c).
 */
Datum
ptopt_backtest(PG_FUNCTION_ARGS)
{
	char	   *params;
	char	   *options;
	char	   *policy;
	ClobSession *volatile session = NULL;
	ClobResult	result = {0};
	PtError		err;
	int			rc;
	char	   *volatile envelope = NULL;
	MemoryContext old_target;

	PtRequireArgs(fcinfo, 0);
	params = PtJsonbToText(PG_GETARG_JSONB_P(0));
	options = PtJsonbToText(PG_GETARG_JSONB_P(1));
	if (PtGateCheckJson(params, NULL, "params", &err) != PT_OK ||
		PtGateCheckJson(options, NULL, "options", &err) != PT_OK ||
		ClobCheckParams(params, &err) != PT_OK)
		PtRaise(&err);
	policy = PtPolicySnapshot(CurrentMemoryContext);
	/* A cached session and the worlds it generates on first use outlive this call. */
	old_target = PtAllocTarget(PtBacktestCacheContext());
	PG_TRY();
	{
		session = PtBacktestSession(options, policy);
		ClobSessionSetThreads(session, ptopt_backtest_threads);
		rc = ClobSessionRun(session, params, PtPgStop(), &result, &err);
		if (rc != PT_OK)
		{
			/* A cancelled or failed run leaves no half-made world behind: start afresh next time. */
			ClobResultClear(&result);
			PtBacktestSessionDrop(session);
			session = NULL;
			PtRaise(&err);
		}
		if (result.envelope_json == NULL)
			elog(ERROR, "the backtest returned no envelope");
		envelope = pstrdup(result.envelope_json);
	}
	PG_CATCH();
	{
		ClobResultClear(&result);
		if (session != NULL)
			PtBacktestSessionDrop(session);
		PtAllocTarget(old_target);
		PG_RE_THROW();
	}
	PG_END_TRY();
	ClobResultClear(&result);
	PtAllocTarget(old_target);
	PtBacktestCacheTrim();
	PG_RETURN_DATUM(PtTextToJsonb(envelope));
}
