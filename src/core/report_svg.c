/*
 * report_svg.c — chart frames for the reports' inline SVG: scales, axes, ticks.
 */
#include <math.h>
#include <stdio.h>

#include "report_svg.h"

#define PT_CHART_TICKS 5		/* about this many ticks per axis */

/* Widen a degenerate or non-finite range so the frame can scale. */
void
PtChartFixRange(double *lo, double *hi)
{
	if (!isfinite(*lo) || !isfinite(*hi))
	{
		*lo = 0;
		*hi = 1;
	}
	if (*hi < *lo)
	{
		double		t = *lo;

		*lo = *hi;
		*hi = t;
	}
	if (*hi - *lo <= fabs(*hi) * 1e-12 || *hi == *lo)
	{
		double		half = fabs(*hi) > 0 ? fabs(*hi) * 0.5 : 0.5;

		*lo -= half;
		*hi += half;
	}
}

/* The SVG x of a data value. */
double
PtChartX(const PtChartFrame *f, double v)
{
	double		a = f->xmin;
	double		c = f->xmax;
	double		t;

	if (f->xlog)
	{
		a = log10(a);
		c = log10(c);
		v = v > 0 ? log10(v) : a;
	}
	t = (v - a) / (c - a);
	return f->left + t * (f->width - f->left - f->right);
}

/* The SVG y of a data value (clamped to the plot area). */
double
PtChartY(const PtChartFrame *f, double v)
{
	double		t = (v - f->ymin) / (f->ymax - f->ymin);

	if (!(t >= 0))
		t = 0;
	if (t > 1)
		t = 1;
	return f->height - f->bottom - t * (f->height - f->top - f->bottom);
}

/* Open an <svg>. */
void
PtChartOpen(PtBuf *b, const PtChartFrame *f, const char *id, const char *cls, const char *title)
{
	PtBufPrintf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"%s\" class=\"%s\" role=\"img\" "
				"viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\"><title>", id, cls,
				f->width, f->height, f->width, f->height);
	PtBufEscape(b, title);
	PtBufPuts(b, "</title>\n");
}

/* A tick step of 1, 2 or 5 times a power of ten giving about PT_CHART_TICKS ticks. */
static double
nice_step(double span)
{
	double		raw = span / PT_CHART_TICKS;
	double		mag = pow(10, floor(log10(raw)));
	double		r = raw / mag;

	if (r < 1.5)
		return mag;
	if (r < 3.5)
		return 2 * mag;
	if (r < 7.5)
		return 5 * mag;
	return 10 * mag;
}

/* One tick label. */
static void
tick_label(PtBuf *b, double x, double y, const char *anchor, double v)
{
	PtBufPrintf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"tick\">", x, y, anchor);
	PtBufShort(b, v);
	PtBufPuts(b, "</text>");
}

/* Grid lines, axes, tick labels and axis titles. */
void
PtChartAxes(PtBuf *b, const PtChartFrame *f, const char *xlabel, const char *ylabel)
{
	double		x0 = f->left;
	double		x1 = f->width - f->right;
	double		y0 = f->height - f->bottom;
	double		y1 = f->top;
	double		step;
	double		v;
	int			guard;

	PtBufPuts(b, "<g class=\"axes\">");
	step = nice_step(f->ymax - f->ymin);
	guard = 0;
	for (v = ceil(f->ymin / step) * step; v <= f->ymax + step * 1e-9 && guard < 50; v += step, guard++)
	{
		double		y = PtChartY(f, v);

		PtBufPrintf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>", x0, y, x1, y);
		tick_label(b, x0 - 6, y + 4, "end", fabs(v) < step * 1e-9 ? 0 : v);
	}
	if (f->xcat)
		;
	else if (f->xlog)
	{
		double		e;

		guard = 0;
		for (e = ceil(log10(f->xmin)); e <= floor(log10(f->xmax)) + 1e-9 && guard < 50; e += 1, guard++)
			tick_label(b, PtChartX(f, pow(10, e)), y0 + 16, "middle", pow(10, e));
		if (guard < 2)
		{
			tick_label(b, x0, y0 + 16, "start", f->xmin);
			tick_label(b, x1, y0 + 16, "end", f->xmax);
		}
	}
	else
	{
		step = nice_step(f->xmax - f->xmin);
		guard = 0;
		for (v = ceil(f->xmin / step) * step; v <= f->xmax + step * 1e-9 && guard < 50; v += step, guard++)
			tick_label(b, PtChartX(f, v), y0 + 16, "middle", fabs(v) < step * 1e-9 ? 0 : v);
	}
	PtBufPrintf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>", x0, y0, x1, y0);
	PtBufPrintf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>", x0, y0, x0, y1);
	PtBufPrintf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" class=\"label\">", (x0 + x1) / 2, f->height - 4);
	PtBufEscape(b, xlabel);
	PtBufPrintf(b, "</text><text x=\"12\" y=\"%.1f\" text-anchor=\"middle\" class=\"label\" "
				"transform=\"rotate(-90 12 %.1f)\">", (y0 + y1) / 2, (y0 + y1) / 2);
	PtBufEscape(b, ylabel);
	PtBufPuts(b, "</text></g>\n");
}
