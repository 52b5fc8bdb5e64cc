/*
 * pt_gates_sql.c — ptopt_hard_gates(), ptopt_gated_key(jsonb) and the gate trigger.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
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

/*
 * Walk a jsonb value for a gated key path, at any depth jsonb allows: an
 * iterator and a stack of path lengths, no recursion and no JSON text.  Each
 * key's dotted path goes to core's matcher (PtGateCheckPath), which sets
 * err as PtGateCheckJson does.  PT_ERR_HARD_GATE on a hit (the path copied
 * into key_out when given), PT_OK otherwise.
 */
static int
jsonb_gate_check(Jsonb *jb, const char *where, char *key_out, size_t key_size, PtError *err)
{
	JsonbIterator *it = JsonbIteratorInit(&jb->root);
	JsonbIteratorToken tok;
	JsonbValue	v;
	StringInfoData path;
	int		   *lens;
	int			depth = 0;
	int			cap = 64;
	int			rc = PT_OK;

	PtErrorClear(err);
	initStringInfo(&path);
	lens = palloc(sizeof(int) * cap);
	while (rc == PT_OK && (tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		switch (tok)
		{
			case WJB_BEGIN_OBJECT:
			case WJB_BEGIN_ARRAY:
				if (depth == cap)
				{
					cap *= 2;
					lens = repalloc(lens, sizeof(int) * cap);
				}
				lens[depth++] = path.len;
				break;
			case WJB_END_OBJECT:
			case WJB_END_ARRAY:
				path.len = lens[--depth];
				path.data[path.len] = '\0';
				break;
			case WJB_KEY:
				path.len = lens[depth - 1];
				path.data[path.len] = '\0';
				if (path.len > 0)
					appendStringInfoChar(&path, '.');
				appendBinaryStringInfo(&path, v.val.string.val, v.val.string.len);
				rc = PtGateCheckPath(path.data, 0, where, key_out, key_size, err);
				break;
			default:
				break;
		}
		CHECK_FOR_INTERRUPTS();
	}
	pfree(lens);
	pfree(path.data);
	return rc;
}

/* The first gated key path in a JSON value, or NULL. */
Datum
ptopt_gated_key(PG_FUNCTION_ARGS)
{
	Jsonb	   *value = PG_GETARG_JSONB_P(0);
	PtError		err;
	char		key[PT_GATE_KEY_MAX + 1];

	key[0] = '\0';
	if (jsonb_gate_check(value, "the value", key, sizeof(key), &err) == PT_OK)
		PG_RETURN_NULL();
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
		if (jsonb_gate_check(DatumGetJsonbP(value), where, NULL, 0, &err) != PT_OK)
			PtRaise(&err);
	}
	return PointerGetDatum(tuple);
}
