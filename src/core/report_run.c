/*
 * report_run.c — PtReportRunHtml: the page of one run (report.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pt_alloc.h"
#include "report.h"
#include "report_buf.h"
#include "report_svg.h"

#define SLICE_CATEGORIES_MAX 30		/* a non-numeric parameter with more distinct values gets no slice */

/* True when a is a better score than b for this run. */
static bool
better(const PtReportRun *run, double a, double b)
{
	return run->minimize ? a < b : a > b;
}

/* True when iteration i has a finite score. */
static bool
scored(const PtReportIter *it)
{
	return it->has_score && isfinite(it->score) && strcmp(it->status, "ok") == 0;
}

/* The header: title, banners, the summary figures. */
static void
run_header(PtBuf *b, const PtReportRun *run)
{
	PtBufPrintf(b, "<header>\n<h1>Run %lld", run->run_id);
	if (run->label != NULL)
	{
		PtBufPuts(b, ": ");
		PtBufEscape(b, run->label);
	}
	PtBufPuts(b, "</h1>\n<p class=\"note\">");
	PtBufEscape(b, run->strategy);
	PtBufPuts(b, " search of ");
	PtBufEscape(b, run->objective);
	PtBufPuts(b, run->minimize ? " (minimised)" : " (maximised)");
	if (run->started_at != NULL)
	{
		PtBufPuts(b, ", started ");
		PtBufEscape(b, run->started_at);
	}
	PtBufPuts(b, ". Synthetic replay only. Not a forecast.</p>\n");
	if (strcmp(run->status, "running") == 0)
		PtBufPrintf(b, "<p class=\"banner\" id=\"running\">This run is still running (%d of %d iterations so far). "
					"The page reloads itself every %d seconds.</p>\n",
					run->iterations, run->budget, PT_REPORT_REFRESH_S);
	if (run->error != NULL)
	{
		PtBufPuts(b, "<p class=\"banner failed\" id=\"error\">");
		PtBufEscape(b, run->error);
		PtBufPuts(b, "</p>\n");
	}
	PtBufPuts(b, "<dl class=\"stats\" id=\"summary\">\n<div><dt>Best score</dt><dd id=\"best-score\">");
	PtBufScore(b, run->has_best, run->best_score);
	PtBufPuts(b, "</dd></div>\n<div><dt>Held-out score</dt><dd id=\"holdout-score\">");
	PtBufScore(b, run->has_holdout, run->holdout_score);
	PtBufPrintf(b, "</dd></div>\n<div><dt>Best iteration</dt><dd id=\"best-iter\">");
	if (run->has_best)
		PtBufPrintf(b, "%d", run->best_iter);
	else
		PtBufPuts(b, "\xe2\x80\x93");
	PtBufPrintf(b, "</dd></div>\n<div><dt>Iterations</dt><dd id=\"iterations\">%d / %d</dd></div>\n"
				"<div><dt>Elapsed</dt><dd id=\"elapsed\">", run->iterations, run->budget);
	if (run->has_elapsed)
		PtBufElapsed(b, run->elapsed_s);
	else
		PtBufPuts(b, "\xe2\x80\x93");
	PtBufPuts(b, "</dd></div>\n<div><dt>Strategy</dt><dd id=\"strategy\">");
	PtBufEscape(b, run->strategy);
	PtBufPuts(b, "</dd></div>\n<div><dt>Objective</dt><dd id=\"objective\">");
	PtBufEscape(b, run->objective);
	PtBufPrintf(b, "</dd></div>\n<div><dt>Status</dt><dd id=\"status\" class=\"st-%s\">", PtReportClass(run->status));
	PtBufEscape(b, run->status);
	PtBufPuts(b, "</dd></div>\n");
	if (run->llm_model != NULL || run->tokens_in > 0 || run->tokens_out > 0)
	{
		PtBufPrintf(b, "<div><dt>Tokens in / out</dt><dd id=\"tokens\">%lld / %lld</dd></div>\n",
					run->tokens_in, run->tokens_out);
		if (run->llm_model != NULL)
		{
			PtBufPuts(b, "<div><dt>Model</dt><dd id=\"model\">");
			PtBufEscape(b, run->llm_model);
			PtBufPuts(b, "</dd></div>\n");
		}
	}
	PtBufPuts(b, "</dl>\n</header>\n");
}

/* The score-per-iteration chart: a point per iteration, the best-so-far line, held-out points. */
static void
run_chart(PtBuf *b, const PtReportRun *run)
{
	PtChartFrame f = {960, 340, 70, 16, 14, 42, 0, 1, 0, 1, false, false};
	const char *seen[16];
	int			n_seen = 0;
	bool		any_fail = false;
	bool		any_holdout = false;
	bool		have = false;
	double		best = 0;
	double		r = run->n_iters > 2000 ? 1.4 : (run->n_iters > 300 ? 2.2 : 3.2);
	int			i;

	f.ymin = INFINITY;
	f.ymax = -INFINITY;
	for (i = 0; i < run->n_iters; i++)
	{
		const PtReportIter *it = &run->iters[i];

		if (scored(it))
		{
			f.ymin = fmin(f.ymin, it->score);
			f.ymax = fmax(f.ymax, it->score);
		}
		if (it->has_holdout && isfinite(it->holdout))
		{
			f.ymin = fmin(f.ymin, it->holdout);
			f.ymax = fmax(f.ymax, it->holdout);
		}
	}
	if (run->has_holdout && isfinite(run->holdout_score))
	{
		f.ymin = fmin(f.ymin, run->holdout_score);
		f.ymax = fmax(f.ymax, run->holdout_score);
	}
	PtChartFixRange(&f.ymin, &f.ymax);
	{
		double		pad = (f.ymax - f.ymin) * 0.04;

		f.ymin -= pad;
		f.ymax += pad;
	}
	f.xmin = 0.5;
	f.xmax = (run->n_iters > 0 ? run->iters[run->n_iters - 1].iter : 1) + 0.5;

	PtBufPuts(b, "<section id=\"chart\">\n<h2>Score per iteration</h2>\n<div class=\"scroll\">");
	PtChartOpen(b, &f, "score-chart", "chart", "Score per iteration, with the best score so far");
	PtChartAxes(b, &f, "iteration", "score");

	/* The best-so-far step line. */
	PtBufPuts(b, "<path class=\"best-line\" d=\"");
	for (i = 0; i < run->n_iters; i++)
	{
		const PtReportIter *it = &run->iters[i];

		if (!scored(it))
			continue;
		if (!have)
		{
			best = it->score;
			have = true;
			PtBufPrintf(b, "M%.1f %.1f", PtChartX(&f, it->iter), PtChartY(&f, best));
		}
		else if (better(run, it->score, best))
		{
			PtBufPrintf(b, "H%.1fV%.1f", PtChartX(&f, it->iter), PtChartY(&f, it->score));
			best = it->score;
		}
	}
	if (have)
		PtBufPrintf(b, "H%.1f", PtChartX(&f, f.xmax - 0.5));
	PtBufPuts(b, "\"/>\n<g class=\"points\">");

	/* One point per iteration: scored ones at their score, the others as rings on the floor. */
	for (i = 0; i < run->n_iters; i++)
	{
		const PtReportIter *it = &run->iters[i];
		double		x = PtChartX(&f, it->iter);
		int			s;

		if (scored(it))
		{
			PtBufPrintf(b, "<circle class=\"pt s-%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\">",
						PtReportClass(it->source), x, PtChartY(&f, it->score), r,
						PtReportSourceColour(it->source));
			for (s = 0; s < n_seen && strcmp(seen[s], PtReportClass(it->source)) != 0; s++)
				;
			if (s == n_seen && n_seen < 16)
				seen[n_seen++] = PtReportClass(it->source);
		}
		else
		{
			any_fail = true;
			PtBufPrintf(b, "<circle class=\"pt fail st-%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\">",
						PtReportClass(it->status), x, PtChartY(&f, f.ymin), r);
		}
		if (run->n_iters <= PT_REPORT_TITLES_MAX)
		{
			PtBufPrintf(b, "<title>iteration %d: ", it->iter);
			if (scored(it))
				PtBufScore(b, true, it->score);
			else
				PtBufEscape(b, it->status);
			PtBufPuts(b, " (");
			PtBufEscape(b, it->source);
			PtBufPuts(b, ")</title>");
		}
		PtBufPuts(b, "</circle>");
		if ((i & 15) == 15)
			PtBufPuts(b, "\n");
	}
	PtBufPuts(b, "</g>\n<g class=\"holdouts\">");
	for (i = 0; i < run->n_iters; i++)
	{
		const PtReportIter *it = &run->iters[i];

		if (!(it->has_holdout && isfinite(it->holdout)))
			continue;
		any_holdout = true;
		PtBufPrintf(b, "<path class=\"holdout\" d=\"M%.1f %.1fl5 5l-5 5l-5 -5z\"><title>held-out score at iteration %d: ",
					PtChartX(&f, it->iter), PtChartY(&f, it->holdout) - 5, it->iter);
		PtBufScore(b, true, it->holdout);
		PtBufPuts(b, "</title></path>");
	}
	if (!any_holdout && run->has_holdout && isfinite(run->holdout_score) && run->has_best)
	{
		any_holdout = true;
		PtBufPrintf(b, "<path class=\"holdout\" d=\"M%.1f %.1fl5 5l-5 5l-5 -5z\"><title>held-out score of the best parameters: ",
					PtChartX(&f, run->best_iter), PtChartY(&f, run->holdout_score) - 5);
		PtBufScore(b, true, run->holdout_score);
		PtBufPuts(b, "</title></path>");
	}
	PtBufPuts(b, "</g>\n</svg></div>\n<div class=\"legend\">");
	for (i = 0; i < n_seen; i++)
		PtBufPrintf(b, "<span><i class=\"sw\" style=\"background:%s\"></i>%s</span>",
					PtReportSourceColour(seen[i]), seen[i]);
	if (any_fail)
		PtBufPuts(b, "<span><i class=\"sw\" style=\"border:1px solid #d62728\"></i>failed or refused (no score)</span>");
	PtBufPuts(b, "<span><i class=\"sw\" style=\"background:#d62728;height:2px;border-radius:0\"></i>best so far</span>");
	if (any_holdout)
		PtBufPuts(b, "<span><i class=\"sw\" style=\"background:#ff7f0e;border-radius:0\"></i>held-out score</span>");
	PtBufPuts(b, "</div>\n</section>\n");
}

/* The best parameters, as a two-column table. */
static void
run_best_params(PtBuf *b, const PtReportRun *run)
{
	int			i;

	PtBufPuts(b, "<section id=\"best-params\">\n<h2>Best parameters found</h2>\n");
	if (run->n_best == 0)
	{
		PtBufPuts(b, "<p class=\"note\">No iteration has succeeded yet.</p>\n</section>\n");
		return;
	}
	PtBufPuts(b, "<table id=\"best-params-table\"><thead><tr><th>parameter</th><th>value</th></tr></thead><tbody>\n");
	for (i = 0; i < run->n_best; i++)
	{
		PtBufPuts(b, "<tr><td>");
		PtBufEscape(b, run->best_names[i]);
		PtBufPuts(b, "</td><td class=\"num\">");
		PtBufEscape(b, run->best_values[i]);
		PtBufPuts(b, "</td></tr>\n");
	}
	PtBufPuts(b, "</tbody></table>\n</section>\n");
}

/* Parameter indices by importance, most important first (ties by name order). */
static void
importance_order(const PtReportRun *run, int *order)
{
	int			i;
	int			j;

	for (i = 0; i < run->n_params; i++)
		order[i] = i;
	for (i = 1; i < run->n_params; i++)
	{
		int			k = order[i];

		for (j = i; j > 0 && run->importance[order[j - 1]] < run->importance[k]; j--)
			order[j] = order[j - 1];
		order[j] = k;
	}
}

/* Importance bars. */
static void
run_importance(PtBuf *b, const PtReportRun *run, const int *order)
{
	PtChartFrame f = {960, 0, 0, 0, 0, 0, 0, 1, 0, 1, false, false};
	int			i;

	PtBufPuts(b, "<section id=\"importance\">\n<h2>Parameter importance</h2>\n"
			  "<p class=\"note\">fANOVA over a random forest fitted on the successful iterations "
			  "(Optuna's default evaluator); the importances sum to 1.</p>\n");
	if (run->importance == NULL || run->n_params == 0)
	{
		PtBufPuts(b, "<p class=\"note\" id=\"importance-note\">Not available");
		if (run->importance_note != NULL)
		{
			PtBufPuts(b, ": ");
			PtBufEscape(b, run->importance_note);
		}
		PtBufPuts(b, ".</p>\n</section>\n");
		return;
	}
	f.height = 22 * run->n_params + 8;
	PtChartOpen(b, &f, "importance-chart", "chart", "Parameter importance");
	for (i = 0; i < run->n_params; i++)
	{
		int			p = order[i];
		double		w = fmax(0, fmin(1, run->importance[p])) * 560;
		int			y = 4 + 22 * i;

		PtBufPrintf(b, "<g class=\"imp\"><text x=\"290\" y=\"%d\" text-anchor=\"end\">", y + 14);
		PtBufEscapeMax(b, run->param_names[p], 48);
		PtBufPrintf(b, "</text><rect class=\"bar\" x=\"300\" y=\"%d\" width=\"%.1f\" height=\"16\"/>"
					"<text x=\"%.1f\" y=\"%d\">", y, w, 306 + w, y + 14);
		PtBufPrintf(b, "%.3f", run->importance[p]);
		PtBufPuts(b, "</text></g>\n");
	}
	PtBufPuts(b, "</svg>\n</section>\n");
}

/* Parse a value as a number (JSON number, true or false); false when it is not one. */
static bool
value_number(const char *s, double *v)
{
	char	   *end;

	if (s == NULL)
		return false;
	if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)
	{
		*v = s[0] == 't';
		return true;
	}
	*v = strtod(s, &end);
	return end != s && *end == '\0' && isfinite(*v);
}

/* Index of s among cats[0..n-1], or -1. */
static int
category_index(const char **cats, int n, const char *s)
{
	int			i;

	for (i = 0; i < n; i++)
		if (strcmp(cats[i], s) == 0)
			return i;
	return -1;
}

/* One slice plot: score against parameter p. */
static void
run_slice(PtBuf *b, const PtReportRun *run, int p, double best_value, bool have_best)
{
	PtChartFrame f = {300, 220, 56, 10, 10, 38, 0, 1, 0, 1, false, false};
	const char *cats[SLICE_CATEGORIES_MAX];
	int			n_cats = 0;
	bool		numeric = true;
	bool		too_many = false;
	int			n_points = 0;
	int			stride;
	int			i;
	double		v;
	char		id[32];

	f.xmin = f.ymin = INFINITY;
	f.xmax = f.ymax = -INFINITY;
	for (i = 0; i < run->n_iters; i++)
	{
		const PtReportIter *it = &run->iters[i];
		const char *s = it->values[p];

		if (!scored(it) || s == NULL)
			continue;
		n_points++;
		f.ymin = fmin(f.ymin, it->score);
		f.ymax = fmax(f.ymax, it->score);
		if (numeric && value_number(s, &v))
		{
			f.xmin = fmin(f.xmin, v);
			f.xmax = fmax(f.xmax, v);
		}
		else
			numeric = false;
	}
	for (i = 0; i < run->n_iters && !numeric && !too_many; i++)
	{
		const char *s = run->iters[i].values[p];

		if (!scored(&run->iters[i]) || s == NULL || category_index(cats, n_cats, s) >= 0)
			continue;
		if (n_cats < SLICE_CATEGORIES_MAX)
			cats[n_cats++] = s;
		else
			too_many = true;
	}
	if (n_points == 0 || (!numeric && too_many))
		return;
	if (!numeric)
	{
		/* Categories in text order, placed at 0 .. n_cats - 1. */
		int			a;
		int			c;

		for (a = 1; a < n_cats; a++)
			for (c = a; c > 0 && strcmp(cats[c - 1], cats[c]) > 0; c--)
			{
				const char *t = cats[c];

				cats[c] = cats[c - 1];
				cats[c - 1] = t;
			}
		f.xmin = -0.5;
		f.xmax = n_cats - 0.5;
	}
	else
	{
		f.xlog = run->param_log != NULL && run->param_log[p] && f.xmin > 0;
		if (!f.xlog)
		{
			PtChartFixRange(&f.xmin, &f.xmax);
			v = (f.xmax - f.xmin) * 0.03;
			f.xmin -= v;
			f.xmax += v;
		}
		else if (f.xmax <= f.xmin)
		{
			f.xmin /= 2;
			f.xmax *= 2;
		}
	}
	PtChartFixRange(&f.ymin, &f.ymax);
	v = (f.ymax - f.ymin) * 0.04;
	f.ymin -= v;
	f.ymax += v;
	stride = (n_points + PT_REPORT_SLICE_POINTS_MAX - 1) / PT_REPORT_SLICE_POINTS_MAX;
	snprintf(id, sizeof(id), "slice-%d", p);
	PtBufPuts(b, "<figure class=\"slice\">");
	PtChartOpen(b, &f, id, "chart slice", run->param_names[p]);
	if (!numeric)
	{
		/* Category labels replace the numeric x ticks. */
		f.xcat = true;
		PtChartAxes(b, &f, run->param_names[p], "score");
		for (i = 0; i < n_cats; i++)
		{
			PtBufPrintf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" class=\"tick\">", PtChartX(&f, i),
						f.height - f.bottom + 14);
			PtBufEscapeMax(b, cats[i], 12);
			PtBufPuts(b, "</text>");
		}
	}
	else
		PtChartAxes(b, &f, run->param_names[p], "score");
	{
		int			k = 0;
		int			last_iter = run->n_iters > 0 ? run->iters[run->n_iters - 1].iter : 1;

		for (i = 0; i < run->n_iters; i++)
		{
			const PtReportIter *it = &run->iters[i];
			const char *s = it->values[p];
			double		x;

			if (!scored(it) || s == NULL)
				continue;
			if ((k++ % stride) != 0 && !(run->has_best && it->iter == run->best_iter))
				continue;
			if (numeric)
			{
				value_number(s, &x);
			}
			else
				x = category_index(cats, n_cats, s);
			PtBufPrintf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\" fill=\"#4c78a8\" fill-opacity=\"%.2f\"/>",
						PtChartX(&f, x), PtChartY(&f, it->score),
						0.2 + 0.75 * (double) it->iter / (last_iter > 0 ? last_iter : 1));
		}
	}
	if (have_best && numeric)
		PtBufPrintf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#d62728\" stroke-dasharray=\"3 3\"/>",
					PtChartX(&f, best_value), f.top, PtChartX(&f, best_value), f.height - f.bottom);
	PtBufPuts(b, "</svg><figcaption class=\"note\">");
	PtBufEscape(b, run->param_names[p]);
	if (run->importance != NULL)
		PtBufPrintf(b, " (importance %.3f)", run->importance[p]);
	if (stride > 1)
		PtBufPrintf(b, "; every %d%s scored iteration shown", stride, stride == 2 ? "nd" : (stride == 3 ? "rd" : "th"));
	PtBufPuts(b, "</figcaption></figure>\n");
}

/* Slice plots for the important parameters (all, up to the maximum, without importances). */
static void
run_slices(PtBuf *b, const PtReportRun *run, const int *order)
{
	const PtReportIter *best_it = NULL;
	int			shown = 0;
	int			i;

	if (run->n_params == 0 || run->n_iters == 0)
		return;
	for (i = 0; i < run->n_iters; i++)
		if (run->has_best && run->iters[i].iter == run->best_iter)
			best_it = &run->iters[i];
	PtBufPuts(b, "<section id=\"slices\">\n<h2>Score against each important parameter</h2>\n"
			  "<p class=\"note\">One point per scored iteration (darker is later); the dashed line is the best "
			  "iteration's value.</p>\n<div class=\"slices\">\n");
	for (i = 0; i < run->n_params && shown < PT_REPORT_SLICES_MAX; i++)
	{
		int			p = order[i];
		double		bv = 0;
		bool		hb;

		if (run->importance != NULL && run->importance[p] < PT_REPORT_SLICE_MIN_IMPORTANCE && shown > 0)
			break;
		hb = best_it != NULL && value_number(best_it->values[p], &bv);
		run_slice(b, run, p, bv, hb);
		shown++;
	}
	PtBufPuts(b, "</div>\n</section>\n");
}

/* One row of the trajectory table. */
static void
table_row(PtBuf *b, const PtReportRun *run, const PtReportIter *it, bool any_holdout)
{
	bool		is_best = run->has_best && it->iter == run->best_iter;
	int			p;

	PtBufPrintf(b, "<tr class=\"%s st-%s\"%s><td class=\"num\">%s%d</td><td class=\"num score\">",
				is_best ? "best" : "it", PtReportClass(it->status), is_best ? " id=\"best-row\"" : "",
				is_best ? "\xe2\x98\x85 " : "", it->iter);
	PtBufScore(b, it->has_score, it->score);
	PtBufPuts(b, "</td>");
	if (any_holdout)
	{
		PtBufPuts(b, "<td class=\"num\">");
		PtBufScore(b, it->has_holdout, it->holdout);
		PtBufPuts(b, "</td>");
	}
	for (p = 0; p < run->n_params; p++)
	{
		PtBufPuts(b, "<td class=\"num\">");
		PtBufEscapeMax(b, it->values[p], 64);
		PtBufPuts(b, "</td>");
	}
	PtBufPuts(b, "<td class=\"reasoning\">");
	PtBufEscapeMax(b, it->reasoning, PT_REPORT_REASONING_MAX);
	PtBufPuts(b, "</td><td>");
	PtBufEscape(b, it->source);
	PtBufPuts(b, "</td><td>");
	PtBufEscape(b, it->status);
	PtBufPuts(b, "</td></tr>\n");
}

/* The trajectory table: every iteration, or the best and the latest with a count of the rest. */
static int
run_table(PtBuf *b, const PtReportRun *run)
{
	bool		any_holdout = false;
	int			cols;
	int			i;
	int			p;

	for (i = 0; i < run->n_iters; i++)
		any_holdout |= run->iters[i].has_holdout;
	cols = 5 + run->n_params + (any_holdout ? 1 : 0);
	PtBufPuts(b, "<section id=\"trajectory\">\n<h2>Search trajectory</h2>\n<div class=\"scroll\">"
			  "<table id=\"trajectory-table\"><thead><tr><th>#</th><th>score</th>");
	if (any_holdout)
		PtBufPuts(b, "<th>held-out</th>");
	for (p = 0; p < run->n_params; p++)
	{
		PtBufPuts(b, "<th>");
		PtBufEscape(b, run->param_names[p]);
		PtBufPuts(b, "</th>");
	}
	PtBufPuts(b, "<th>reasoning</th><th>source</th><th>status</th></tr></thead>\n<tbody>\n");
	if (run->n_iters <= PT_REPORT_TABLE_ALL_MAX)
	{
		for (i = 0; i < run->n_iters; i++)
			table_row(b, run, &run->iters[i], any_holdout);
		PtBufPuts(b, "</tbody></table></div>\n</section>\n");
		return PT_OK;
	}
	{
		unsigned char *shown = PtCalloc((size_t) run->n_iters, 1);
		int			top[PT_REPORT_TABLE_TOP];
		int			n_top = 0;
		int			first_latest;
		int			n_shown = 0;

		if (shown == NULL)
			return PT_ERR_OUT_OF_MEMORY;
		/* The best PT_REPORT_TABLE_TOP scored iterations, best first (earlier first on ties). */
		while (n_top < PT_REPORT_TABLE_TOP)
		{
			int			pick = -1;

			for (i = 0; i < run->n_iters; i++)
				if (!shown[i] && scored(&run->iters[i]) &&
					(pick < 0 || better(run, run->iters[i].score, run->iters[pick].score)))
					pick = i;
			if (pick < 0)
				break;
			shown[pick] = 1;
			top[n_top++] = pick;
		}
		PtBufPrintf(b, "<tr class=\"sep\"><td colspan=\"%d\">the %d best iterations</td></tr>\n", cols, n_top);
		for (i = 0; i < n_top; i++)
			table_row(b, run, &run->iters[top[i]], any_holdout);
		first_latest = run->n_iters - PT_REPORT_TABLE_LATEST;
		for (i = 0; i < run->n_iters; i++)
			n_shown += shown[i] || i >= first_latest;
		PtBufPrintf(b, "<tr class=\"sep\" id=\"rows-hidden\"><td colspan=\"%d\">%d of %d iterations not shown; "
					"the %d latest follow (ptopt.trajectory has them all)</td></tr>\n",
					cols, run->n_iters - n_shown, run->n_iters, PT_REPORT_TABLE_LATEST);
		for (i = first_latest; i < run->n_iters; i++)
			table_row(b, run, &run->iters[i], any_holdout);
		PtFree(shown);
	}
	PtBufPuts(b, "</tbody></table></div>\n</section>\n");
	return PT_OK;
}

/* The run page. */
char *
PtReportRunHtml(const PtReportRun *run, PtError *err)
{
	PtBuf		b = {NULL, 0, 0, false};
	int		   *order = NULL;
	char		title[256];
	int			i;

	PtErrorClear(err);
	if (run->n_params > 0)
	{
		order = PtMalloc(sizeof(int) * (size_t) run->n_params);
		if (order == NULL)
			goto oom;
		if (run->importance != NULL)
			importance_order(run, order);
		else
			for (i = 0; i < run->n_params; i++)
				order[i] = i;
	}
	snprintf(title, sizeof(title), "ptopt run %lld", run->run_id);
	PtReportHead(&b, title, strcmp(run->status, "running") == 0 ? PT_REPORT_REFRESH_S : 0);
	run_header(&b, run);
	run_chart(&b, run);
	run_best_params(&b, run);
	run_importance(&b, run, order);
	run_slices(&b, run, order);
	if (run_table(&b, run) != PT_OK)
		b.failed = true;
	PtReportFoot(&b);
	PtFree(order);
	order = NULL;
	if (b.failed)
		goto oom;
	return b.data;
oom:
	PtFree(b.data);
	PtFree(order);
	PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory writing the report");
	return NULL;
}
