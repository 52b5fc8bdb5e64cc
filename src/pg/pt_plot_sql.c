/*
 * pt_plot_sql.c — ptopt_plot(run_id): a run's score per iteration drawn as text.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "plot.h"
#include "pt_alloc.h"
#include "pt_glue.h"

PG_FUNCTION_INFO_V1(ptopt_plot);

#define PLOT_MIN_WIDTH 20
#define PLOT_MAX_WIDTH 400
#define PLOT_MIN_HEIGHT 4
#define PLOT_MAX_HEIGHT 100

/* Draw the score of every iteration of a run and its best so far. */
Datum
ptopt_plot(PG_FUNCTION_ARGS)
{
	int64		run_id;
	int32		width;
	int32		height;
	Oid			types[1] = {INT8OID};
	bool		minimize;
	bool		minimize_null;
	Datum		values[1];
	double	   *score;
	unsigned char *ok;
	uint64		n;
	uint64		i;
	char	   *chart;
	PtError		err;

	PtRequireArgs(fcinfo, 0);
	run_id = PG_GETARG_INT64(0);
	width = PG_GETARG_INT32(1);
	height = PG_GETARG_INT32(2);
	text	   *result;

	if (width < PLOT_MIN_WIDTH || width > PLOT_MAX_WIDTH ||
		height < PLOT_MIN_HEIGHT || height > PLOT_MAX_HEIGHT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("plot size %d x %d is out of range", width, height),
				 errdetail("Width must be between %d and %d, height between %d and %d.",
						   PLOT_MIN_WIDTH, PLOT_MAX_WIDTH, PLOT_MIN_HEIGHT, PLOT_MAX_HEIGHT)));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	values[0] = Int64GetDatum(run_id);
	if (SPI_execute_with_args("SELECT options ->> 'direction' IS NOT DISTINCT FROM 'minimize'"
							  " FROM ptopt.runs WHERE run_id = $1",
							  1, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ptopt.runs");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("run %lld does not exist", (long long) run_id),
				 errdetail("Runs of other roles are not visible.")));
	minimize = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &minimize_null));
	if (SPI_execute_with_args("SELECT score FROM ptopt.trajectory WHERE run_id = $1 ORDER BY iter",
							  1, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read ptopt.trajectory");
	n = SPI_processed;
	score = SPI_palloc(sizeof(double) * (n + 1));
	ok = SPI_palloc(n + 1);
	for (i = 0; i < n; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		ok[i] = !isnull;
		score[i] = isnull ? 0 : DatumGetFloat8(d);
	}
	SPI_finish();
	chart = PtPlotRenderDirected(score, ok, (int) n, width, height, minimize, &err);
	if (chart == NULL)
		PtRaise(&err);
	result = cstring_to_text(chart);
	PtFree(chart);
	PG_RETURN_TEXT_P(result);
}
