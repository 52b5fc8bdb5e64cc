/*
 * fuzz_plot.c — PtPlotRender with arbitrary scores and sizes (src/core/plot.c).
 *
 * Input: width (bytes 0-1, signed), height (bytes 2-3, signed), repeat
 * (byte 4), then records of 9 bytes: a tag and a double.  The tag's low bit
 * is ok; bits 1-3 pick the score: the raw double, NaN, +inf, -inf, DBL_MAX,
 * -DBL_MAX, the smallest subnormal, or -0.  The records are repeated
 * (repeat + 1) times, so n reaches past the widest chart.  A chart must be
 * UTF-8, have the right number of lines, and sizes out of range must give
 * PT_ERR_INVALID_PARAMETER.
 */
#include <float.h>

#include "fuzz_common.h"
#include "plot.h"

#define FUZZ_PLOT_HEADER 5
#define FUZZ_PLOT_RECORD 9
#define FUZZ_PLOT_MAX_N 200000

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The score a record stands for. */
static double
record_score(const uint8_t *rec)
{
	double		d;

	memcpy(&d, rec + 1, sizeof(d));
	switch ((rec[0] >> 1) & 7)
	{
		case 1:
			return NAN;
		case 2:
			return INFINITY;
		case 3:
			return -INFINITY;
		case 4:
			return DBL_MAX;
		case 5:
			return -DBL_MAX;
		case 6:
			return 4.9406564584124654e-324;
		case 7:
			return -0.0;
	}
	return d;
}

/* Fuzz one input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long		live = PtAllocLive();
	int			width;
	int			height;
	int			repeat;
	int			n_rec;
	int			n;
	double	   *score;
	unsigned char *ok;
	PtError		err;
	char	   *chart;
	int			i;

	if (size < FUZZ_PLOT_HEADER)
		return 0;
	width = (int16_t) (data[0] | (data[1] << 8));
	height = (int16_t) (data[2] | (data[3] << 8));
	repeat = data[4] + 1;
	n_rec = (int) ((size - FUZZ_PLOT_HEADER) / FUZZ_PLOT_RECORD);
	n = n_rec * repeat;
	if (n > FUZZ_PLOT_MAX_N)
		n = FUZZ_PLOT_MAX_N;
	score = malloc(sizeof(double) * (size_t) (n > 0 ? n : 1));
	ok = malloc((size_t) (n > 0 ? n : 1));
	if (score == NULL || ok == NULL)
		abort();
	for (i = 0; i < n; i++)
	{
		const uint8_t *rec = data + FUZZ_PLOT_HEADER + (size_t) (i % n_rec) * FUZZ_PLOT_RECORD;

		score[i] = record_score(rec);
		ok[i] = rec[0] & 1;
	}

	chart = PtPlotRender(n > 0 ? score : NULL, (data[4] & 0x80) ? NULL : ok, n, width, height, &err);
	if (chart == NULL)
	{
		fuzz_check_error(&err, err.code, true);
		FUZZ_ASSERT(err.code == PT_ERR_INVALID_PARAMETER, "unexpected code %s: %s",
					PtErrorCodeName(err.code), err.message);
		FUZZ_ASSERT(width > 0 && height > 0 &&
					!(width < PT_PLOT_MIN_WIDTH || width > PT_PLOT_MAX_WIDTH ||
					  height < PT_PLOT_MIN_HEIGHT || height > PT_PLOT_MAX_HEIGHT) ? false : true,
					"size %dx%d refused: %s", width, height, err.message);
	}
	else
	{
		size_t		len = strlen(chart);
		int			lines = 1;
		size_t		k;
		int			h = height <= 0 ? PT_PLOT_DEFAULT_HEIGHT : height;

		FUZZ_ASSERT(fuzz_utf8_valid(chart, len), "chart is not UTF-8");
		for (k = 0; k < len; k++)
			lines += chart[k] == '\n';
		FUZZ_ASSERT(lines == 1 || lines == h + 4, "chart has %d lines for height %d:\n%s", lines, h, chart);
		FUZZ_ASSERT(strstr(chart, "nan") == NULL && strstr(chart, "inf") == NULL,
					"chart prints a non-finite number:\n%s", chart);
		PtFree(chart);
	}
	free(score);
	free(ok);
	FUZZ_ASSERT(PtAllocLive() == live, "%ld allocations leaked", PtAllocLive() - live);
	return 0;
}
