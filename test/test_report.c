/*
 * test_report.c — unit tests of the HTML reports (src/core/report*.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pt_alloc.h"
#include "report.h"
#include "report_buf.h"
#include "unit.h"

/* Occurrences of needle in haystack. */
static int
count(const char *hay, const char *needle)
{
	int			n = 0;
	const char *p = hay;

	while ((p = strstr(p, needle)) != NULL)
	{
		n++;
		p += strlen(needle);
	}
	return n;
}

/* Escaping: the five characters, control bytes, and a cut that keeps UTF-8 whole. */
static void
test_escape(void)
{
	PtBuf		b = {NULL, 0, 0, false};

	PtBufEscape(&b, "<a href=\"x\">'&'</a>\x01");
	CHECK(strcmp(b.data, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;&#65533;") == 0,
		  "markup, quotes and control bytes are escaped: %s", b.data);
	b.len = 0;
	PtBufEscapeMax(&b, "ab\xc3\xa9z", 3);	/* "abéz" cut inside é */
	CHECK(strcmp(b.data, "ab\xe2\x80\xa6") == 0, "a cut does not split a UTF-8 character: %s", b.data);
	b.len = 0;
	PtBufScore(&b, true, -0.0);
	PtBufPuts(&b, " ");
	PtBufScore(&b, true, 0.1);
	PtBufPuts(&b, " ");
	PtBufScore(&b, false, 0);
	CHECK(strcmp(b.data, "0 0.1 \xe2\x80\x93") == 0, "scores: no -0, shortest form, a dash for none: %s", b.data);
	CHECK(strcmp(PtReportClass("tpe"), "tpe") == 0 && strcmp(PtReportClass("x\" onload=\"y"), "other") == 0,
		  "a class name is a known word or 'other'");
	PtFree(b.data);
}

/* Build a run of n iterations over two parameters; iteration 2 failed, 3 has hostile reasoning. */
static PtReportRun
make_run(int n, const char *status, PtReportIter *iters, const char **vals)
{
	static const char *names[2] = {"x", "mode"};
	static const char *best_names[2] = {"mode", "x"};
	static const char *best_values[2] = {"fast", "1.5"};
	static const double importance[2] = {0.9, 0.1};
	PtReportRun run;
	int			i;

	memset(&run, 0, sizeof(run));
	run.run_id = 7;
	run.label = "<b>label</b>";
	run.strategy = "tpe";
	run.objective = "quadratic";
	run.status = status;
	run.started_at = "2026-12-01 10:00:00+00";
	run.budget = n + 5;
	run.iterations = n;
	run.n_params = 2;
	run.param_names = names;
	run.n_best = 2;
	run.best_names = best_names;
	run.best_values = best_values;
	run.importance = importance;
	run.has_best = true;
	run.best_score = -INFINITY;
	for (i = 0; i < n; i++)
	{
		PtReportIter *it = &iters[i];

		memset(it, 0, sizeof(*it));
		it->iter = i + 1;
		it->has_score = i != 1;
		it->score = -((i % 17) - 8.0) * ((i % 17) - 8.0) / (1 + i % 5);
		it->source = i < 3 ? "random" : "tpe";
		it->status = i == 1 ? "failed" : "ok";
		it->reasoning = i == 2 ? "<script>alert(1)</script>" : NULL;
		vals[2 * i] = i % 3 == 0 ? "1.5" : "-2";
		vals[2 * i + 1] = i % 2 ? "fast" : "\"slow\"";
		it->values = &vals[2 * i];
		if (it->has_score && it->score > run.best_score)
		{
			run.best_score = it->score;
			run.best_iter = it->iter;
		}
	}
	run.n_iters = n;
	run.iters = iters;
	return run;
}

/* A small run: every part of the page, escaped. */
static void
test_small_run(void)
{
	PtReportIter iters[12];
	const char *vals[24];
	PtReportRun run = make_run(12, "done", iters, vals);
	PtError		err;
	char	   *html = PtReportRunHtml(&run, &err);
	char		best[64];

	CHECK(html != NULL, "a run page is written");
	if (html == NULL)
		return;
	CHECK(strncmp(html, "<!DOCTYPE html>", 15) == 0, "it is an HTML document");
	CHECK(count(html, "<circle class=\"pt ") == 12, "one chart point per iteration (%d)", count(html, "<circle class=\"pt "));
	CHECK(count(html, "<circle class=\"pt fail") == 1, "the failed iteration is a ring");
	CHECK(count(html, "id=\"best-row\"") == 1, "one best row");
	CHECK(count(html, "<tr class=\"it ") + count(html, "<tr class=\"best ") == 12, "one table row per iteration");
	CHECK(strstr(html, "<script") == NULL, "no script tag anywhere");
	CHECK(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL, "the hostile reasoning is escaped");
	CHECK(strstr(html, "&lt;b&gt;label&lt;/b&gt;") != NULL, "the label is escaped");
	CHECK(strstr(html, "&quot;slow&quot;") != NULL, "parameter values are escaped");
	CHECK(strstr(html, "http-equiv=\"refresh\"") == NULL, "a finished run does not refresh");
	snprintf(best, sizeof(best), "<dd id=\"best-score\">%s</dd>", "0");
	CHECK(strstr(html, best) != NULL, "the best score is shown exactly");
	CHECK(strstr(html, "id=\"importance-chart\"") != NULL && count(html, "class=\"bar\"") == 2, "importance bars");
	CHECK(count(html, "<figure class=\"slice\">") == 2, "a slice plot per important parameter (x numeric, mode by category)");
	CHECK(strstr(html, "id=\"rows-hidden\"") == NULL, "a small run hides no row");
	PtFree(html);

	run.status = "running";
	run.importance = NULL;
	run.importance_note = "needs <more>";
	html = PtReportRunHtml(&run, &err);
	CHECK(html != NULL && strstr(html, "<meta http-equiv=\"refresh\" content=\"5\">") != NULL &&
		  strstr(html, "id=\"running\"") != NULL, "a running run says so and refreshes itself");
	CHECK(html != NULL && strstr(html, "Not available: needs &lt;more&gt;.") != NULL, "the importance note is escaped");
	PtFree(html);
}

/* A large run: the table keeps the best and the latest, the page stays small. */
static void
test_large_run(void)
{
	int			n = 10000;
	PtReportIter *iters = calloc(n, sizeof(PtReportIter));
	const char **vals = calloc(2 * n, sizeof(char *));
	PtReportRun run = make_run(n, "done", iters, vals);
	PtError		err;
	char	   *html = PtReportRunHtml(&run, &err);

	CHECK(html != NULL, "a 10,000-iteration page is written");
	if (html != NULL)
	{
		CHECK(strlen(html) < 3 * 1024 * 1024, "under 3 MB (%zu bytes)", strlen(html));
		CHECK(count(html, "<circle class=\"pt ") == n, "still one chart point per iteration");
		CHECK(count(html, "<tr class=\"it ") + count(html, "<tr class=\"best ") == 50,
			  "the table shows 50 rows (%d)", count(html, "<tr class=\"it ") + count(html, "<tr class=\"best "));
		CHECK(strstr(html, "9950 of 10000 iterations not shown") != NULL, "and counts the rest");
		CHECK(count(html, "<title>iteration ") == 0, "no hover titles on a large chart");
	}
	PtFree(html);
	free(iters);
	free(vals);
}

/* The comparison page. */
static void
test_compare(void)
{
	double		a[5] = {NAN, 1, 2, 2, 3};
	double		b[5] = {0, 0, 1, 4, 4};
	double		c[3] = {1, 1, 1};
	PtReportCompareRun runs[3] = {
		{1, "random", "r1", "done", 1, false, 5, a, true, 3, 5, false, 0, 1.5},
		{2, "tpe", "<t>", "done", 1, false, 5, b, true, 4, 4, true, 2, 2.5},
		{3, "random", NULL, "running", 2, false, 3, c, true, 1, 1, false, 0, 1.0},
	};
	PtError		err;
	char	   *html = PtReportCompareHtml(runs, 3, &err);

	CHECK(html != NULL, "a comparison page is written");
	if (html == NULL)
		return;
	CHECK(count(html, "<path class=\"median ") == 2 && count(html, "<path class=\"band ") == 2,
		  "a median line and a band per strategy");
	CHECK(count(html, "<tr class=\"s-") == 2, "a summary row per strategy");
	CHECK(strstr(html, "&lt;t&gt;") != NULL && strstr(html, "<t>") == NULL, "labels are escaped");
	CHECK(strstr(html, "http-equiv=\"refresh\"") != NULL, "a running run makes the page refresh");
	PtFree(html);
	CHECK(PtReportCompareHtml(runs, 0, &err) == NULL && err.code == PT_ERR_INVALID_PARAMETER,
		  "no run is refused");
}

/* Run every test. */
int
main(void)
{
	test_escape();
	test_small_run();
	test_large_run();
	test_compare();
	CHECK(PtAllocLive() == 0, "no allocation leaked (%ld live)", PtAllocLive());
	return UnitDone();
}
