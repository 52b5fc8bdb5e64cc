/*
 * pt_gates_sql.c — ptopt_hard_gates(), ptopt_gated_key(jsonb) and the gate trigger.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/rel.h"

#include "gates.h"
#include "pt_glue.h"

PG_FUNCTION_INFO_V1(ptopt_hard_gates);
PG_FUNCTION_INFO_V1(ptopt_gated_key);
PG_FUNCTION_INFO_V1(ptopt_gate_guard);

/* The gated families, one row each. */
Datum
ptopt_hard_gates(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const PtGateFamily *families;
	int			n;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	families = PtGateFamilies(&n);
	for (i = 0; i < n; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = CStringGetTextDatum(families[i].family);
		values[1] = CStringGetTextDatum(families[i].covers);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* The first gated key path in a JSON value, or NULL. */
Datum
ptopt_gated_key(PG_FUNCTION_ARGS)
{
	Jsonb	   *value = PG_GETARG_JSONB_P(0);
	PtError		err;
	char		key[PT_GATE_KEY_MAX + 1];

	if (PtGateFindKey(PtJsonbToText(value), key, sizeof(key), &err) == PT_OK)
		PG_RETURN_NULL();
	if (err.code != PT_ERR_HARD_GATE)
		PtRaise(&err);
	PtMakeValidText(key);
	PG_RETURN_TEXT_P(cstring_to_text(key));
}

/* BEFORE INSERT OR UPDATE trigger: refuse a row whose named jsonb columns carry a gated key. */
Datum
ptopt_gate_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	HeapTuple	tuple;
	TupleDesc	tupdesc;
	int			i;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("ptopt_gate_guard must be a BEFORE ROW trigger")));
	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;
	tupdesc = trigdata->tg_relation->rd_att;
	for (i = 0; i < trigdata->tg_trigger->tgnargs; i++)
	{
		const char *column = trigdata->tg_trigger->tgargs[i];
		int			attnum = SPI_fnumber(tupdesc, column);
		bool		isnull;
		Datum		value;
		PtError		err;
		char		where[NAMEDATALEN * 2 + 32];

		if (attnum <= 0)
			elog(ERROR, "ptopt_gate_guard: no column \"%s\"", column);
		value = heap_getattr(tuple, attnum, tupdesc, &isnull);
		if (isnull)
			continue;
		snprintf(where, sizeof(where), "column %s of %s", column,
				 RelationGetRelationName(trigdata->tg_relation));
		if (PtGateCheckJson(PtJsonbToText(DatumGetJsonbP(value)), NULL, where, &err) != PT_OK)
			PtRaise(&err);
	}
	return PointerGetDatum(tuple);
}
