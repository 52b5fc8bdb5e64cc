/*
 * plot.c — a text chart of score per iteration and best-so-far, for psql.
 *
 * Example (n = 5, iteration 4 failed, width 10, height 4):
 *
 *   score per iteration (n=5, 1 failed, best 4 at iter 5)
 *            4 ┤         •
 *            3 ┤  •━━━━━━┛
 *              │  ┃  •
 *            1 ┤•━┛
 *              └──────────
 *               1    3   5
 *               • score   ━ best so far
 */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "plot.h"
#include "pt_alloc.h"
#include "pt_error.h"

#define PT_PLOT_LABEL_WIDTH 10		/* characters of a y-axis label */
#define PT_PLOT_LINE_BYTES_PER_COL 4	/* a UTF-8 character is at most 4 bytes */
#define PT_PLOT_TEXT_LINE_MAX 256	/* bytes of title, legend and tick lines beyond the plot */

#define GLYPH_DOT "\xe2\x80\xa2"		/* • */
#define GLYPH_BEST "\xe2\x94\x81"		/* ━ */
#define GLYPH_RISE "\xe2\x94\x83"		/* ┃ */
#define GLYPH_TURN_UP "\xe2\x94\x9b"	/* ┛ */
#define GLYPH_TURN_RIGHT "\xe2\x94\x8f" /* ┏ */
#define GLYPH_AXIS "\xe2\x94\x82"		/* │ */
#define GLYPH_TICK "\xe2\x94\xa4"		/* ┤ */
#define GLYPH_CORNER "\xe2\x94\x94"		/* └ */
#define GLYPH_RULE "\xe2\x94\x80"		/* ─ */

/* One column of the chart after bucketing. */
typedef struct PlotColumn
{
	bool		has_dot;
	double		dot;			/* best score of the column's iterations */
	bool		has_best;
	double		best;			/* best so far at the column's end */
} PlotColumn;

/* A growing output buffer. */
typedef struct PlotBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		failed;
} PlotBuf;

/* Append bytes to the buffer. */
static void
buf_append(PlotBuf *b, const char *s, size_t len)
{
	if (b->failed)
		return;
	if (b->len + len + 1 > b->cap)
	{
		size_t		newcap = b->cap == 0 ? 1024 : b->cap;
		char	   *nd;

		while (newcap < b->len + len + 1)
			newcap *= 2;
		nd = PtRealloc(b->data, newcap);
		if (nd == NULL)
		{
			b->failed = true;
			return;
		}
		b->data = nd;
		b->cap = newcap;
	}
	memcpy(b->data + b->len, s, len);
	b->len += len;
	b->data[b->len] = '\0';
}

/* Append a line (trailing spaces removed), preceded by a newline unless it is the first. */
static void
buf_line(PlotBuf *b, const char *line)
{
	size_t		len = strlen(line);

	while (len > 0 && line[len - 1] == ' ')
		len--;
	if (b->len > 0)
		buf_append(b, "\n", 1);
	buf_append(b, line, len);
}

/* The column of iteration i (0-based) among n drawn over width columns. */
static int
column_of(int i, int n, int width)
{
	if (n <= 1)
		return 0;
	if (n > width)
		return (int) (((long long) i * width) / n);
	/* spread: round(i * (width - 1) / (n - 1)) in integers */
	return (int) (((long long) i * (width - 1) * 2 + (n - 1)) / (2LL * (n - 1)));
}

/*
 * The row (0 = top) of value v on a scale from ymax (top) to ymin (bottom).
 * The span ymax - ymin can exceed DBL_MAX (scores of -1e308 and 1e308): it
 * is then taken in halves.  r is clamped before the conversion to int, which
 * is undefined for a value out of range.
 */
static int
row_of(double v, double ymin, double ymax, int height)
{
	double		r;

	if (isfinite(ymax - ymin))
		r = (ymax - v) / (ymax - ymin) * (height - 1);
	else
		r = (ymax / 2 - v / 2) / (ymax / 2 - ymin / 2) * (height - 1);
	if (!(r > 0))
		return 0;
	if (r >= height - 1)
		return height - 1;
	return (int) floor(r + 0.5);
}

/* Put text into a tick line at column col if the cells are free (with one blank on each side). */
static void
place_label(char *ticks, int len_max, const char *text, int col)
{
	int			len = (int) strlen(text);
	int			i;

	if (col < 0)
		col = 0;
	if (col + len > len_max)
		col = len_max - len;
	for (i = col - 1; i <= col + len; i++)
	{
		if (i >= 0 && i < len_max && ticks[i] != ' ')
			return;
	}
	memcpy(ticks + col, text, len);
}

/* True when score a is better than b: higher, or lower when minimizing. */
static inline bool
better(double a, double b, bool minimize)
{
	return minimize ? a < b : a > b;
}

/* Render the chart of a maximised score. */
char *
PtPlotRender(const double *score, const unsigned char *ok, int n,
			 int width, int height, PtError *err)
{
	return PtPlotRenderDirected(score, ok, n, width, height, false, err);
}

/* Render the chart; minimize makes lower scores the better ones. */
char *
PtPlotRenderDirected(const double *score, const unsigned char *ok, int n,
					 int width, int height, bool minimize, PtError *err)
{
	PlotColumn *cols;
	const char **grid;
	PlotBuf		out = {NULL, 0, 0, false};
	char	   *line;
	size_t		line_cap;
	int			n_ok = 0;
	int			best_iter = -1;
	double		best = 0;
	double		ymin = 0;
	double		ymax = 0;
	double		running = 0;
	bool		have_running = false;
	int			i;
	int			r;
	int			c;
	char		text[PT_PLOT_TEXT_LINE_MAX];

	PtErrorClear(err);
	if (width <= 0)
		width = PT_PLOT_DEFAULT_WIDTH;
	if (height <= 0)
		height = PT_PLOT_DEFAULT_HEIGHT;
	if (width < PT_PLOT_MIN_WIDTH || width > PT_PLOT_MAX_WIDTH)
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "plot width %d is outside [%d, %d]",
				   width, PT_PLOT_MIN_WIDTH, PT_PLOT_MAX_WIDTH);
		return NULL;
	}
	if (height < PT_PLOT_MIN_HEIGHT || height > PT_PLOT_MAX_HEIGHT)
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "plot height %d is outside [%d, %d]",
				   height, PT_PLOT_MIN_HEIGHT, PT_PLOT_MAX_HEIGHT);
		return NULL;
	}
	if (n < 0 || (n > 0 && score == NULL))
	{
		PtErrorSet(err, PT_ERR_INTERNAL, "plot given no scores");
		return NULL;
	}

	for (i = 0; i < n; i++)
	{
		if ((ok != NULL && !ok[i]) || !isfinite(score[i]))
			continue;
		if (n_ok == 0 || better(score[i], best, minimize))
		{
			best = score[i];
			best_iter = i + 1;
		}
		n_ok++;
	}
	if (n_ok == 0)
	{
		if (n == 0)
			snprintf(text, sizeof(text), "score per iteration (n=0): no successful iterations");
		else
			snprintf(text, sizeof(text),
					 "score per iteration (n=%d): no successful iterations, all %d failed", n, n);
		line = PtStrdup(text);
		if (line == NULL)
			PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory drawing the plot");
		return line;
	}
	/* Bucket the iterations into columns. */
	cols = PtCalloc((size_t) width, sizeof(PlotColumn));
	grid = PtCalloc((size_t) width * (size_t) height, sizeof(char *));
	line_cap = (size_t) width * PT_PLOT_LINE_BYTES_PER_COL + PT_PLOT_TEXT_LINE_MAX;
	line = PtMalloc(line_cap);
	if (cols == NULL || grid == NULL || line == NULL)
	{
		PtFree(cols);
		PtFree(grid);
		PtFree(line);
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory drawing the plot");
		return NULL;
	}
	for (i = 0; i < n; i++)
	{
		PlotColumn *col = &cols[column_of(i, n, width)];

		if (!((ok != NULL && !ok[i]) || !isfinite(score[i])))
		{
			if (!col->has_dot || better(score[i], col->dot, minimize))
				col->dot = score[i];
			col->has_dot = true;
			if (!have_running || better(score[i], running, minimize))
				running = score[i];
			have_running = true;
		}
		if (have_running)
		{
			col->has_best = true;
			col->best = running;
		}
	}
	/* Columns between spread iterations carry the best so far on. */
	for (c = 1; c < width; c++)
	{
		if (!cols[c].has_best && cols[c - 1].has_best && column_of(n - 1, n, width) >= c)
		{
			cols[c].has_best = true;
			cols[c].best = cols[c - 1].best;
		}
	}

	/* The y range is what is drawn: the lowest dot to the highest best-so-far. */
	ymin = ymax = best;
	for (c = 0; c < width; c++)
	{
		if (cols[c].has_dot && cols[c].dot < ymin)
			ymin = cols[c].dot;
	}
	if (ymax == ymin)
	{
		double		half = fabs(ymax) * 0.5;

		if (half == 0)
			half = 1.0;			/* 0, or a subnormal whose half rounds to 0 */
		ymin = fmax(ymin - half, -DBL_MAX);	/* no overflow to -inf near -DBL_MAX */
		ymax = fmin(ymax + half, DBL_MAX);
	}

	/* Draw: the best-so-far step line first, then the dots over it. */
	for (r = 0; r < height * width; r++)
		grid[r] = " ";
	for (c = 0; c < width; c++)
	{
		int			rb;

		if (!cols[c].has_best)
			continue;
		rb = row_of(cols[c].best, ymin, ymax, height);
		grid[rb * width + c] = GLYPH_BEST;
		if (c > 0 && cols[c - 1].has_best)
		{
			int			rp = row_of(cols[c - 1].best, ymin, ymax, height);

			if (rp > rb)
			{
				grid[rp * width + c] = GLYPH_TURN_UP;
				for (r = rb + 1; r < rp; r++)
					grid[r * width + c] = GLYPH_RISE;
				grid[rb * width + c] = GLYPH_TURN_RIGHT;
			}
		}
	}
	for (c = 0; c < width; c++)
	{
		if (cols[c].has_dot)
			grid[row_of(cols[c].dot, ymin, ymax, height) * width + c] = GLYPH_DOT;
	}

	if (best == 0)
		best = 0;				/* print -0 as 0 */

	/* Title. */
	if (n_ok < n)
		snprintf(text, sizeof(text), "score per iteration (n=%d, %d failed, best %.4g at iter %d)",
				 n, n - n_ok, best, best_iter);
	else
		snprintf(text, sizeof(text), "score per iteration (n=%d, best %.4g at iter %d)", n, best, best_iter);
	buf_line(&out, text);

	/* Plot rows with the y axis. */
	for (r = 0; r < height; r++)
	{
		size_t		len = 0;
		bool		labelled = (r == 0 || r == (height - 1) / 2 || r == height - 1);

		if (labelled)
		{
			double		half_span = ymax / 2 - ymin / 2;	/* finite when ymax - ymin is not */
			double		v;

			if (isfinite((ymax - ymin) * r))
				v = ymax - (ymax - ymin) * r / (height - 1);
			else
			{
				/* near DBL_MAX: a weighted mean, which cannot overflow */
				double		t = (double) r / (height - 1);

				v = ymax * (1 - t) + ymin * t;
			}

			if (fabs(v) < half_span * 2e-12)
				v = 0;			/* no "-1.2e-17" or "-0" for a row at zero */
			len = snprintf(line, line_cap, "%*.4g %s", PT_PLOT_LABEL_WIDTH, v, GLYPH_TICK);
		}
		else
			len = snprintf(line, line_cap, "%*s %s", PT_PLOT_LABEL_WIDTH, "", GLYPH_AXIS);
		for (c = 0; c < width; c++)
		{
			const char *g = grid[r * width + c];
			size_t		gl = strlen(g);

			memcpy(line + len, g, gl);
			len += gl;
		}
		line[len] = '\0';
		buf_line(&out, line);
	}

	/* x axis, ticks and legend. */
	{
		size_t		len = snprintf(line, line_cap, "%*s %s", PT_PLOT_LABEL_WIDTH, "", GLYPH_CORNER);
		char	   *ticks = PtMalloc((size_t) width + 1);
		char		num[16];
		int			mid = (n + 1) / 2;

		for (c = 0; c < width; c++)
		{
			memcpy(line + len, GLYPH_RULE, strlen(GLYPH_RULE));
			len += strlen(GLYPH_RULE);
		}
		line[len] = '\0';
		buf_line(&out, line);

		if (ticks == NULL)
			out.failed = true;
		else
		{
			int			last = column_of(n - 1, n, width);

			memset(ticks, ' ', (size_t) width);
			ticks[width] = '\0';
			place_label(ticks, width, "1", 0);
			if (n > 1)
			{
				snprintf(num, sizeof(num), "%d", n);
				place_label(ticks, width, num, last - (int) strlen(num) + 1);
			}
			if (n > 2)
			{
				snprintf(num, sizeof(num), "%d", mid);
				place_label(ticks, width, num, column_of(mid - 1, n, width) - ((int) strlen(num) - 1) / 2);
			}
			snprintf(line, line_cap, "%*s  %s", PT_PLOT_LABEL_WIDTH, "", ticks);
			buf_line(&out, line);
			PtFree(ticks);
		}

		if (n > width)
			snprintf(line, line_cap, "%*s  %s best score of a column (~%d iterations)   %s best so far",
					 PT_PLOT_LABEL_WIDTH, "", GLYPH_DOT, (n + width / 2) / width, GLYPH_BEST);
		else
			snprintf(line, line_cap, "%*s  %s score   %s best so far", PT_PLOT_LABEL_WIDTH, "",
					 GLYPH_DOT, GLYPH_BEST);
		buf_line(&out, line);
	}

	PtFree(cols);
	PtFree(grid);
	PtFree(line);
	if (out.failed)
	{
		PtFree(out.data);
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory drawing the plot");
		return NULL;
	}
	return out.data;
}
