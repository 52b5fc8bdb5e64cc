/*
 * plot.h — a text chart of score per iteration and best-so-far, for psql.
 */
#ifndef PTOPT_PLOT_H
#define PTOPT_PLOT_H

#include <stdbool.h>

#include "pt_error.h"

#define PT_PLOT_DEFAULT_WIDTH 60	/* columns of plot area */
#define PT_PLOT_DEFAULT_HEIGHT 12	/* rows of plot area */
#define PT_PLOT_MIN_WIDTH 10
#define PT_PLOT_MAX_WIDTH 400
#define PT_PLOT_MIN_HEIGHT 3
#define PT_PLOT_MAX_HEIGHT 100

/*
 * Render score[0..n-1] (iteration i+1; skipped where ok[i] is 0 or the score
 * is not finite; ok NULL means all ok) as a Unicode chart: a title line, the
 * plot rows with a y axis labelled at top, middle and bottom, an x axis with
 * the iterations 1, the middle one and n, and a legend.  More iterations
 * than columns are bucketed: a column shows the best score of its
 * iterations and the best-so-far at its end.  width and height <= 0 take
 * the defaults.  Returns PtMalloc'd text without a trailing newline, or NULL
 * with err set (22023 for a size out of range).  Deterministic.
 */
extern char *PtPlotRender(const double *score, const unsigned char *ok, int n,
						  int width, int height, PtError *err);

/* PtPlotRender for either direction: minimize makes lower scores the better ones. */
extern char *PtPlotRenderDirected(const double *score, const unsigned char *ok, int n,
								  int width, int height, bool minimize, PtError *err);

#endif							/* PTOPT_PLOT_H */
