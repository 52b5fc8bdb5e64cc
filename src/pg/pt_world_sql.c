/*
 * pt_world_sql.c — ptopt_world(): the synthetic market's events as a table.
 *
 * One row per exogenous event of the world of (scenario, seed), the same
 * tape every backtest of that scenario and seed replays: background maker
 * adds and cancels, noise and informed takers, with the exchange time, the
 * time the strategy's feed would deliver it (exchange + lat_feed) and the
 * truth at that instant.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "clob_book.h"
#include "clob_world.h"
#include "pt_glue.h"

PG_FUNCTION_INFO_V1(ptopt_world);

#define WORLD_COLUMNS 10

/* The name of an event kind. */
static const char *
kind_name(uint8_t type)
{
	switch (type)
	{
		case CLOB_EV_ADD:
			return "add";
		case CLOB_EV_CANCEL:
			return "cancel";
		case CLOB_EV_NOISE:
			return "noise";
		case CLOB_EV_INFORMED:
			return "informed";
	}
	return "unknown";
}

/* Every event of the world of (scenario, seed). */
Datum
ptopt_world(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int64		seed = PG_GETARG_INT64(1);
	ClobScenario sc;
	ClobTape	tape;
	PtError		err;
	int64		lat_feed_us;
	int32		i;

	if (!ClobScenarioPreset(name, &sc))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown backtest scenario \"%s\"", name),
				 errdetail("ptopt_world shows the world of one preset scenario."),
				 errhint("The scenarios are calm, news, toxic, thin, closing and restart.")));
	if (seed < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("seed must be >= 0"),
				 errdetail("The seed was " INT64_FORMAT ".", seed),
				 errhint("Backtest seeds are non-negative integers (options.seed).")));
	InitMaterializedSRF(fcinfo, 0);
	if (ClobWorldGenerate(&sc, (uint64_t) seed, &tape, &err) != PT_OK)
		PtRaise(&err);
	lat_feed_us = (int64) llround(sc.lat_feed_ms * 1000.0);

	PG_TRY();
	{
		for (i = 0; i < tape.n_events; i++)
		{
			const ClobEvent *e = &tape.events[i];
			Datum		values[WORLD_COLUMNS];
			bool		nulls[WORLD_COLUMNS] = {0};

			if ((i & 4095) == 0)
				CHECK_FOR_INTERRUPTS();
			values[0] = Float8GetDatum((double) e->t_us / 1e6);
			values[1] = Float8GetDatum((double) (e->t_us + lat_feed_us) / 1e6);
			values[2] = CStringGetTextDatum(kind_name(e->type));
			values[3] = CStringGetTextDatum(e->side == CLOB_BUY ? "buy" : "sell");
			values[4] = CStringGetTextDatum(e->token == CLOB_YES ? "yes" : "no");
			values[5] = Float8GetDatum((double) e->price / CLOB_PRICE_SCALE);
			nulls[6] = true;
			values[7] = Float8GetDatum((double) e->size_cs / 100.0);
			values[8] = Int32GetDatum(e->aux);
			values[9] = Float8GetDatum(ClobTapeTruth(&tape, e->t_us));
			switch (e->type)
			{
				case CLOB_EV_ADD:
					break;
				case CLOB_EV_CANCEL:
					/* a cancel names the add it cancels; price and size are the add's */
					nulls[3] = nulls[4] = nulls[5] = nulls[7] = true;
					break;
				case CLOB_EV_NOISE:
					nulls[8] = true;
					break;
				case CLOB_EV_INFORMED:
					/* buys below price or sells above sell_price, whichever the book offers */
					nulls[3] = nulls[8] = true;
					nulls[5] = e->price < 0;
					values[6] = Float8GetDatum((double) e->aux / CLOB_PRICE_SCALE);
					nulls[6] = e->aux > CLOB_PRICE_SCALE;
					break;
			}
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	PG_FINALLY();
	{
		ClobTapeFree(&tape);
	}
	PG_END_TRY();
	return (Datum) 0;
}
