/*
 * test_plot.c — unit tests of the text chart (src/core/plot.c).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"
#include "pt_alloc.h"
#include "pt_error.h"
#include "rng.h"
#include "unit.h"

#define MAX_LINES 200

/* Print text as TAP comment lines (used when a comparison fails). */
static void
diag(const char *text)
{
	const char *p = text;

	printf("# got:\n# ");
	for (; *p; p++)
	{
		putchar(*p);
		if (*p == '\n')
			printf("# ");
	}
	printf("\n");
}

/* After a CHECK, print the chart (or the error) when that check failed. */
static void
diag_if(const char *t, const char *message)
{
	static int	seen_failed = 0;

	if (unit_failed > seen_failed)
	{
		seen_failed = unit_failed;
		diag(t != NULL ? t : message);
	}
}

/* Split text into lines (in place); returns the count. */
static int
split_lines(char *text, char **lines)
{
	int			n = 0;
	char	   *p = text;

	lines[n++] = p;
	while ((p = strchr(p, '\n')) != NULL && n < MAX_LINES)
	{
		*p++ = '\0';
		lines[n++] = p;
	}
	return n;
}

/* Number of display columns of a UTF-8 line (every character here is one column wide). */
static int
display_width(const char *s)
{
	int			n = 0;

	for (; *s; s++)
	{
		if ((*s & 0xC0) != 0x80)
			n++;
	}
	return n;
}

/* Count occurrences of a UTF-8 glyph. */
static int
count_glyph(const char *s, const char *glyph)
{
	int			n = 0;
	size_t		gl = strlen(glyph);

	while ((s = strstr(s, glyph)) != NULL)
	{
		n++;
		s += gl;
	}
	return n;
}

/* Check the shape of a chart: lines, widths, axis labels and no trailing spaces. */
static void
check_shape(const char *what, const char *text, int width, int height, double top, double bottom)
{
	char	   *copy = strdup(text);
	char	   *lines[MAX_LINES];
	int			n = split_lines(copy, lines);
	int			i;
	int			trailing = 0;
	int			widths_ok = 1;
	char		label[32];

	CHECK(n == height + 4, "%s: %d lines (title, %d rows, axis, ticks, legend)", what, n, height);
	for (i = 0; i < n; i++)
	{
		size_t		len = strlen(lines[i]);

		if (len > 0 && lines[i][len - 1] == ' ')
			trailing = 1;
		if (i >= 1 && i <= height + 1 && display_width(lines[i]) > 12 + width)
			widths_ok = 0;
	}
	CHECK(!trailing, "%s: no trailing spaces", what);
	CHECK(widths_ok, "%s: no row wider than 12 + %d columns", what, width);
	CHECK(text[strlen(text) - 1] != '\n', "%s: no trailing newline", what);
	if (n != height + 4)
	{
		free(copy);
		return;
	}
	CHECK(strncmp(lines[0], "score per iteration (n=", 23) == 0, "%s: title %s", what, lines[0]);
	snprintf(label, sizeof(label), "%10.4g \xe2\x94\xa4", top);
	CHECK(strncmp(lines[1], label, strlen(label)) == 0, "%s: top label %s", what, label);
	snprintf(label, sizeof(label), "%10.4g \xe2\x94\xa4", bottom);
	CHECK(strncmp(lines[height], label, strlen(label)) == 0, "%s: bottom label %s", what, label);
	CHECK(strncmp(lines[(height - 1) / 2 + 1] + 10, " \xe2\x94\xa4", 4) == 0, "%s: middle row labelled", what);
	CHECK(strncmp(lines[2] + 10, " \xe2\x94\x82", 4) == 0 || height < 4, "%s: unlabelled row has the axis", what);
	CHECK(strncmp(lines[height + 1], "           \xe2\x94\x94", 14) == 0 &&
		  display_width(lines[height + 1]) == 12 + width && count_glyph(lines[height + 1], "\xe2\x94\x80") == width,
		  "%s: x axis is %d columns", what, width);
	CHECK(strncmp(lines[height + 2], "            1", 13) == 0, "%s: ticks start with 1", what);
	CHECK(strstr(lines[height + 3], "\xe2\x80\xa2 ") != NULL && strstr(lines[height + 3], "best so far") != NULL,
		  "%s: legend %s", what, lines[height + 3]);
	free(copy);
}

/* Run every check and print the TAP plan. */
int
main(void)
{
	long		live0 = PtAllocLive();
	PtError		err;
	char	   *t;
	char	   *t2;
	double		s[5000];
	unsigned char ok[5000];
	PtRng		rng;
	int			i;

	/* byte-for-byte: a small chart with a failed iteration */
	{
		double		s5[5] = {1, 3, 2, 5, 4};
		unsigned char ok5[5] = {1, 1, 1, 0, 1};
		double		s4[4] = {0.5, -0.25, 0.75, 0.75};

		t = PtPlotRender(s5, ok5, 5, 10, 4, &err);
		CHECK(t != NULL && strcmp(t,
								  "score per iteration (n=5, 1 failed, best 4 at iter 5)\n"
								  "         4 ┤         •\n"
								  "         3 ┤  •━━━━━━┛\n"
								  "           │  ┃  •\n"
								  "         1 ┤•━┛\n"
								  "           └──────────\n"
								  "            1    3   5\n"
								  "            • score   ━ best so far") == 0,
			  "golden chart n=5 width 10 height 4");
		diag_if(t, err.message);
		PtFree(t);
		t = PtPlotRender(s4, NULL, 4, 12, 5, &err);
		CHECK(t != NULL && strcmp(t,
								  "score per iteration (n=4, best 0.75 at iter 3)\n"
								  "      0.75 ┤       •━━━•\n"
								  "           │•━━━━━━┛\n"
								  "      0.25 ┤\n"
								  "           │\n"
								  "     -0.25 ┤    •\n"
								  "           └────────────\n"
								  "            1   2      4\n"
								  "            • score   ━ best so far") == 0,
			  "golden chart n=4, ok NULL");
		diag_if(t, err.message);
		PtFree(t);
	}

	/* n = 1 */
	s[0] = 0.25;
	ok[0] = 1;
	t = PtPlotRender(s, ok, 1, 0, 0, &err);
	CHECK(t != NULL && strncmp(t, "score per iteration (n=1, best 0.25 at iter 1)\n", 47) == 0, "n=1 title");
	if (t != NULL)
	{
		check_shape("n=1", t, PT_PLOT_DEFAULT_WIDTH, PT_PLOT_DEFAULT_HEIGHT, 0.375, 0.125);
		CHECK(count_glyph(t, "•") == 2, "n=1: one dot (and the legend's)");
	}
	PtFree(t);

	/* n = 50, random scores, some failed */
	PtRngSeed(&rng, 50);
	for (i = 0; i < 50; i++)
	{
		s[i] = PtRngUniform(&rng);
		ok[i] = (i % 9 != 4);
	}
	s[16] = 2.0;				/* the best, iteration 17 */
	s[4] = 5.0;					/* failed: ignored */
	s[30] = -1.0;				/* the lowest */
	t = PtPlotRender(s, ok, 50, 0, 0, &err);
	CHECK(t != NULL && strncmp(t, "score per iteration (n=50, 6 failed, best 2 at iter 17)\n", 56) == 0,
		  "n=50 title");
	if (t != NULL)
	{
		check_shape("n=50", t, 60, 12, 2.0, -1.0);
		CHECK(count_glyph(t, "•") == 44 + 1, "n=50: 44 dots for 44 ok iterations (%d)", count_glyph(t, "•") - 1);
		CHECK(strstr(t, "\n            1                            25                           50\n") != NULL,
			  "n=50: ticks 1, 25, 50");
	}
	t2 = PtPlotRender(s, ok, 50, 0, 0, &err);
	CHECK(t != NULL && t2 != NULL && strcmp(t, t2) == 0, "deterministic");
	PtFree(t);
	PtFree(t2);

	/* n = 5000: bucketed, 84 or 83 iterations a column */
	for (i = 0; i < 5000; i++)
	{
		s[i] = -((i - 3000.0) / 1000.0) * ((i - 3000.0) / 1000.0);
		ok[i] = (i % 2 == 0);
	}
	t = PtPlotRender(s, ok, 5000, 0, 0, &err);
	CHECK(t != NULL && strncmp(t, "score per iteration (n=5000, 2500 failed, best 0 at iter 3001)\n", 63) == 0,
		  "n=5000 title");
	if (t != NULL)
	{
		/* the lowest column holds iterations 1..84: its best is iteration 83 */
		check_shape("n=5000", t, 60, 12, 0, -(2.918 * 2.918));
		CHECK(count_glyph(t, "•") == 60 + 1, "n=5000: one dot per column (%d)", count_glyph(t, "•") - 1);
		CHECK(strstr(t, "\n            1                           2500                        5000\n") != NULL,
			  "n=5000: ticks 1, 2500, 5000");
		CHECK(strstr(t, "best score of a column (~83 iterations)") != NULL, "n=5000: legend says bucketed");
	}
	PtFree(t);

	/* custom size */
	t = PtPlotRender(s, ok, 5000, 100, 20, &err);
	if (t != NULL)
		check_shape("n=5000 100x20", t, 100, 20, 0, -(2.952 * 2.952));
	CHECK(t != NULL && count_glyph(t, "•") == 100 + 1, "100 columns, one dot each");
	PtFree(t);

	/* nothing to draw */
	for (i = 0; i < 10; i++)
		ok[i] = 0;
	t = PtPlotRender(s, ok, 10, 0, 0, &err);
	CHECK(t != NULL && strcmp(t, "score per iteration (n=10): no successful iterations, all 10 failed") == 0,
		  "all failed: %s", t);
	PtFree(t);
	t = PtPlotRender(NULL, NULL, 0, 0, 0, &err);
	CHECK(t != NULL && strcmp(t, "score per iteration (n=0): no successful iterations") == 0, "n=0: %s", t);
	PtFree(t);
	s[0] = NAN;
	s[1] = INFINITY;
	ok[0] = ok[1] = 1;
	t = PtPlotRender(s, ok, 2, 0, 0, &err);
	CHECK(t != NULL && strstr(t, "no successful iterations") != NULL, "non-finite scores are skipped");
	PtFree(t);

	/* constant scores still draw */
	for (i = 0; i < 20; i++)
	{
		s[i] = 0;
		ok[i] = 1;
	}
	t = PtPlotRender(s, ok, 20, 0, 0, &err);
	if (t != NULL)
		check_shape("constant 0", t, 60, 12, 1, -1);
	PtFree(t);

	/*
	 * Extreme scores (found by test/fuzz/fuzz_plot): a span beyond DBL_MAX
	 * made row_of convert NaN to int (undefined), and the y labels printed
	 * -inf or nan; a single DBL_MAX or subnormal score did the same.
	 */
	{
		/* two scores, then the top and bottom labels expected */
		static const double extreme[][4] = {
			{1e308, -1e308, 1e308, -1e308},
			{1e308, 1.3e160, 1e308, 0},	/* 1.3e160 is 0 at this scale */
			{DBL_MAX, DBL_MAX, DBL_MAX, DBL_MAX / 2},
			{-DBL_MAX, -DBL_MAX, -DBL_MAX / 2, -DBL_MAX},
			{4.9406564584124654e-324, 4.9406564584124654e-324, 1, -1},
			{DBL_MAX, -DBL_MAX, DBL_MAX, -DBL_MAX},
		};

		for (i = 0; i < (int) (sizeof(extreme) / sizeof(extreme[0])); i++)
		{
			char		what[64];

			snprintf(what, sizeof(what), "scores %g and %g", extreme[i][0], extreme[i][1]);
			t = PtPlotRender(extreme[i], NULL, 2, 0, 0, &err);
			CHECK(t != NULL && strstr(t, "inf") == NULL && strstr(t, "nan") == NULL,
				  "%s: drawn with finite labels", what);
			diag_if(t, err.message);
			/* labels of -1.798e+308 take 11 columns, one more than the label width */
			if (t != NULL && extreme[i][1] != -DBL_MAX)
				check_shape(what, t, 60, 12, extreme[i][2], extreme[i][3]);
			PtFree(t);
		}
	}

	/* bad sizes */
	CHECK(PtPlotRender(s, ok, 20, 5, 0, &err) == NULL && err.code == PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "plot width 5 is outside [10, 400]") == 0, "width too small: %s", err.message);
	CHECK(PtPlotRender(s, ok, 20, 0, 1000, &err) == NULL && err.code == PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "plot height 1000 is outside [3, 100]") == 0, "height too large: %s", err.message);

	CHECK(PtAllocLive() == live0, "no allocation left live (%ld)", PtAllocLive() - live0);
	return UnitDone();
}
