/*
 * report_compare.c — PtReportCompareHtml: strategies side by side (report.h).
 *
 * Runs are grouped by strategy in order of first appearance.  The chart
 * shows, per strategy and iteration, the median best-so-far over the runs
 * that reached that iteration, and the band from the lowest to the highest.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pt_alloc.h"
#include "report.h"
#include "report_buf.h"
#include "report_svg.h"

#define COMPARE_STRATEGIES_MAX 32

/* Ascending doubles. */
static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* Median of v[0..n-1] (sorted in place). */
static double
median(double *v, int n)
{
	qsort(v, (size_t) n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The strategy groups: names in order of first appearance, and the group of each run. */
static int
group_runs(const PtReportCompareRun *runs, int n, const char **names, int *group)
{
	int			ng = 0;
	int			i;
	int			g;

	for (i = 0; i < n; i++)
	{
		for (g = 0; g < ng && strcmp(names[g], runs[i].strategy) != 0; g++)
			;
		if (g == ng)
		{
			if (ng == COMPARE_STRATEGIES_MAX)
				return -1;
			names[ng++] = runs[i].strategy;
		}
		group[i] = g;
	}
	return ng;
}

/* The best-so-far chart. */
static int
compare_chart(PtBuf *b, const PtReportCompareRun *runs, int n, const char **names, int ng, const int *group)
{
	PtChartFrame f = {960, 360, 70, 16, 14, 42, 0.5, 1.5, INFINITY, -INFINITY, false, false};
	double	   *vals = PtMalloc(sizeof(double) * (size_t) (n + 1));
	int			max_n = 1;
	int			i;
	int			g;
	int			it;

	if (vals == NULL)
		return PT_ERR_OUT_OF_MEMORY;
	for (i = 0; i < n; i++)
		max_n = runs[i].n > max_n ? runs[i].n : max_n;
	/* The y range leaves out the first tenth of the iterations: a first poor score would flatten the rest. */
	for (i = 0; i < n; i++)
	{
		for (it = runs[i].n > 1 ? max_n / 10 : 0; it < runs[i].n; it++)
			if (isfinite(runs[i].best_so_far[it]))
			{
				f.ymin = fmin(f.ymin, runs[i].best_so_far[it]);
				f.ymax = fmax(f.ymax, runs[i].best_so_far[it]);
			}
	}
	PtChartFixRange(&f.ymin, &f.ymax);
	{
		double		pad = (f.ymax - f.ymin) * 0.04;

		f.ymin -= pad;
		f.ymax += pad;
	}
	f.xmax = max_n + 0.5;
	PtBufPuts(b, "<section id=\"chart\">\n<h2>Best score so far against iteration</h2>\n"
			  "<p class=\"note\">Lines: the median over a strategy's runs; bands: from its lowest to its highest run. "
			  "The scale fits the iterations after the first tenth.</p>\n"
			  "<div class=\"scroll\">");
	PtChartOpen(b, &f, "compare-chart", "chart", "Best score so far per strategy against iteration");
	PtChartAxes(b, &f, "iteration", "best score so far");
	for (g = 0; g < ng; g++)
	{
		const char *colour = PtReportSourceColour(names[g]);
		PtBuf		lo = {NULL, 0, 0, false};
		PtBuf		hi = {NULL, 0, 0, false};
		PtBuf		med = {NULL, 0, 0, false};
		int			step = max_n > 2000 ? max_n / 1000 : 1;	/* about 1,000 vertices a line */
		bool		started = false;
		double		last_x = 0;

		for (it = 0; it < max_n; it += step)
		{
			int			k = 0;
			double		x = PtChartX(&f, it + 1);

			for (i = 0; i < n; i++)
				if (group[i] == g && it < runs[i].n && isfinite(runs[i].best_so_far[it]))
					vals[k++] = runs[i].best_so_far[it];
			if (k == 0)
				continue;
			{
				double		m = median(vals, k);

				PtBufPrintf(&med, "%s%.1f %.1f", started ? "L" : "M", x, PtChartY(&f, m));
				PtBufPrintf(&hi, "%s%.1f %.1f", started ? "L" : "M", x, PtChartY(&f, vals[k - 1]));
				/* the low edge is drawn backwards: prepend by building it reversed later */
				PtBufPrintf(&lo, "%.1f %.1f,", x, PtChartY(&f, vals[0]));
				started = true;
				last_x = x;
			}
		}
		(void) last_x;
		if (started)
		{
			/* Band: the high edge forwards, then the low edge backwards. */
			char	   *p;

			PtBufPrintf(b, "<path class=\"band s-%s\" fill=\"%s\" fill-opacity=\"0.15\" stroke=\"none\" d=\"%s",
						PtReportClass(names[g]), colour, hi.data != NULL ? hi.data : "");
			p = lo.data != NULL ? lo.data + lo.len : NULL;
			while (p != NULL && p > lo.data)
			{
				char	   *end = p - 1;	/* the comma of this pair */
				char	   *start = end;

				while (start > lo.data && start[-1] != ',')
					start--;
				PtBufPuts(b, "L");
				PtBufAppend(b, start, (size_t) (end - start));
				p = start;
			}
			PtBufPuts(b, "Z\"/>\n");
			PtBufPrintf(b, "<path class=\"median s-%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" d=\"%s\"><title>",
						PtReportClass(names[g]), colour, med.data != NULL ? med.data : "");
			PtBufEscape(b, names[g]);
			PtBufPuts(b, ": median best so far</title></path>\n");
		}
		if (lo.failed || hi.failed || med.failed)
			b->failed = true;
		PtFree(lo.data);
		PtFree(hi.data);
		PtFree(med.data);
	}
	PtBufPuts(b, "</svg></div>\n<div class=\"legend\">");
	for (g = 0; g < ng; g++)
	{
		PtBufPrintf(b, "<span><i class=\"sw\" style=\"background:%s\"></i>", PtReportSourceColour(names[g]));
		PtBufEscape(b, names[g]);
		PtBufPuts(b, "</span>");
	}
	PtBufPuts(b, "</div>\n</section>\n");
	PtFree(vals);
	return PT_OK;
}

/* The summary table: one row per strategy. */
static int
compare_summary(PtBuf *b, const PtReportCompareRun *runs, int n, const char **names, int ng, const int *group)
{
	double	   *vals = PtMalloc(sizeof(double) * (size_t) (n + 1));
	int			g;
	int			i;

	if (vals == NULL)
		return PT_ERR_OUT_OF_MEMORY;
	PtBufPuts(b, "<section id=\"summary\">\n<h2>Summary</h2>\n<table id=\"summary-table\"><thead><tr>"
			  "<th>strategy</th><th>runs</th><th>best: mean</th><th>sd</th><th>median</th><th>worst run</th>"
			  "<th>best run</th><th>mean best iteration</th><th>held-out: mean</th><th>ms per iteration</th>"
			  "</tr></thead><tbody>\n");
	for (g = 0; g < ng; g++)
	{
		int			k = 0;
		int			runs_g = 0;
		int			n_hold = 0;
		double		sum = 0;
		double		sq = 0;
		double		iters = 0;
		double		hold = 0;
		double		ms = 0;

		for (i = 0; i < n; i++)
		{
			if (group[i] != g)
				continue;
			runs_g++;
			ms += runs[i].ms_per_iter;
			if (runs[i].has_holdout && isfinite(runs[i].holdout_score))
			{
				hold += runs[i].holdout_score;
				n_hold++;
			}
			if (!runs[i].has_best || !isfinite(runs[i].best_score))
				continue;
			vals[k++] = runs[i].best_score;
			sum += runs[i].best_score;
			iters += runs[i].best_iter;
		}
		PtBufPrintf(b, "<tr class=\"s-%s\"><td>", PtReportClass(names[g]));
		PtBufEscape(b, names[g]);
		PtBufPrintf(b, "</td><td class=\"num\">%d</td>", runs_g);
		if (k > 0)
		{
			double		mean = sum / k;

			for (i = 0; i < k; i++)
				sq += (vals[i] - mean) * (vals[i] - mean);
			PtBufPuts(b, "<td class=\"num\">");
			PtBufShort(b, mean);
			PtBufPuts(b, "</td><td class=\"num\">");
			if (k > 1)
				PtBufShort(b, sqrt(sq / (k - 1)));
			else
				PtBufPuts(b, "\xe2\x80\x93");
			PtBufPuts(b, "</td><td class=\"num\">");
			PtBufShort(b, median(vals, k));
			PtBufPuts(b, "</td><td class=\"num\">");
			PtBufShort(b, runs[0].minimize ? vals[k - 1] : vals[0]);
			PtBufPuts(b, "</td><td class=\"num\">");
			PtBufShort(b, runs[0].minimize ? vals[0] : vals[k - 1]);
			PtBufPrintf(b, "</td><td class=\"num\">%.1f</td>", iters / k);
		}
		else
			PtBufPuts(b, "<td colspan=\"6\">no run has a score</td>");
		PtBufPuts(b, "<td class=\"num\">");
		if (n_hold > 0)
			PtBufShort(b, hold / n_hold);
		else
			PtBufPuts(b, "\xe2\x80\x93");
		PtBufPrintf(b, "</td><td class=\"num\">%.2f</td></tr>\n", runs_g > 0 ? ms / runs_g : 0.0);
	}
	PtBufPuts(b, "</tbody></table>\n</section>\n");
	PtFree(vals);
	return PT_OK;
}

/* The runs table. */
static void
compare_runs(PtBuf *b, const PtReportCompareRun *runs, int n)
{
	int			i;

	PtBufPuts(b, "<section id=\"runs\">\n<h2>Runs</h2>\n<table id=\"runs-table\"><thead><tr><th>run</th><th>strategy</th>"
			  "<th>label</th><th>seed</th><th>iterations</th><th>best score</th><th>best iteration</th>"
			  "<th>held-out</th><th>status</th></tr></thead><tbody>\n");
	for (i = 0; i < n; i++)
	{
		const PtReportCompareRun *r = &runs[i];

		PtBufPrintf(b, "<tr><td class=\"num\">%lld</td><td>", r->run_id);
		PtBufEscape(b, r->strategy);
		PtBufPuts(b, "</td><td>");
		PtBufEscape(b, r->label);
		PtBufPrintf(b, "</td><td class=\"num\">%lld</td><td class=\"num\">%d</td><td class=\"num\">", r->seed, r->n);
		PtBufScore(b, r->has_best, r->best_score);
		PtBufPuts(b, "</td><td class=\"num\">");
		if (r->has_best)
			PtBufPrintf(b, "%d", r->best_iter);
		PtBufPuts(b, "</td><td class=\"num\">");
		PtBufScore(b, r->has_holdout, r->holdout_score);
		PtBufPuts(b, "</td><td>");
		PtBufEscape(b, r->status);
		PtBufPuts(b, "</td></tr>\n");
	}
	PtBufPuts(b, "</tbody></table>\n</section>\n");
}

/* The comparison page. */
char *
PtReportCompareHtml(const PtReportCompareRun *runs, int n, PtError *err)
{
	PtBuf		b = {NULL, 0, 0, false};
	const char *names[COMPARE_STRATEGIES_MAX];
	int		   *group;
	int			ng;
	int			i;
	bool		running = false;

	PtErrorClear(err);
	if (n < 1)
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "a comparison needs at least one run");
		return NULL;
	}
	group = PtMalloc(sizeof(int) * (size_t) n);
	if (group == NULL)
		goto oom;
	ng = group_runs(runs, n, names, group);
	if (ng < 0)
	{
		PtFree(group);
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "a comparison shows at most %d strategies", COMPARE_STRATEGIES_MAX);
		return NULL;
	}
	for (i = 0; i < n; i++)
		running |= strcmp(runs[i].status, "running") == 0;
	PtReportHead(&b, "ptopt comparison", running ? PT_REPORT_REFRESH_S : 0);
	PtBufPrintf(&b, "<header>\n<h1>Comparison of %d run%s</h1>\n<p class=\"note\">Strategies: ", n, n == 1 ? "" : "s");
	for (i = 0; i < ng; i++)
	{
		PtBufPuts(&b, i > 0 ? ", " : "");
		PtBufEscape(&b, names[i]);
	}
	PtBufPuts(&b, ". Synthetic replay only. Not a forecast.</p>\n");
	if (running)
		PtBufPrintf(&b, "<p class=\"banner\" id=\"running\">Some runs are still running. The page reloads itself every %d seconds.</p>\n",
					PT_REPORT_REFRESH_S);
	PtBufPuts(&b, "</header>\n");
	if (compare_chart(&b, runs, n, names, ng, group) != PT_OK ||
		compare_summary(&b, runs, n, names, ng, group) != PT_OK)
		b.failed = true;
	compare_runs(&b, runs, n);
	PtReportFoot(&b);
	PtFree(group);
	if (b.failed)
	{
		PtFree(b.data);
		goto oom;
	}
	return b.data;
oom:
	PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory writing the report");
	return NULL;
}
