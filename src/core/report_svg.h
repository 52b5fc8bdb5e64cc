/*
 * report_svg.h — chart frames for the reports' inline SVG: scales, axes, ticks.
 */
#ifndef PTOPT_REPORT_SVG_H
#define PTOPT_REPORT_SVG_H

#include <stdbool.h>

#include "report_buf.h"

typedef struct PtChartFrame
{
	int			width;			/* SVG size in px */
	int			height;
	int			left;			/* margins */
	int			right;
	int			top;
	int			bottom;
	double		xmin;			/* data ranges */
	double		xmax;
	double		ymin;
	double		ymax;
	bool		xlog;			/* log10 x axis (xmin > 0) */
	bool		xcat;			/* categories: the caller labels the x axis */
} PtChartFrame;

/* Widen a degenerate or non-finite range so the frame can scale. */
extern void PtChartFixRange(double *lo, double *hi);

/* The SVG x of a data value. */
extern double PtChartX(const PtChartFrame *f, double v);

/* The SVG y of a data value. */
extern double PtChartY(const PtChartFrame *f, double v);

/* Open an <svg> with role img, an id, a class and an accessible title (escaped). */
extern void PtChartOpen(PtBuf *b, const PtChartFrame *f, const char *id, const char *cls, const char *title);

/* Grid lines, axes, tick labels and axis titles (escaped). */
extern void PtChartAxes(PtBuf *b, const PtChartFrame *f, const char *xlabel, const char *ylabel);

#endif							/* PTOPT_REPORT_SVG_H */
