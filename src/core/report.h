/*
 * report.h — the HTML report of a run and of a comparison of runs.
 *
 * One self-contained page: inline CSS and SVG, no script, no font or image
 * from the network, readable without JavaScript.  Every text that comes from
 * a row (labels, parameter names and values, reasoning, errors) is
 * HTML-escaped.  The glue reads the rows and fills these typed inputs; core
 * writes the page.  Deterministic: the same inputs give the same bytes.
 */
#ifndef PTOPT_REPORT_H
#define PTOPT_REPORT_H

#include <stdbool.h>

#include "pt_error.h"

#define PT_REPORT_TABLE_ALL_MAX 200		/* up to this many iterations, the table shows them all */
#define PT_REPORT_TABLE_TOP 25			/* otherwise: the best this many ... */
#define PT_REPORT_TABLE_LATEST 25		/* ... and the latest this many */
#define PT_REPORT_TITLES_MAX 2000		/* chart points carry a hover title up to this many iterations */
#define PT_REPORT_SLICE_POINTS_MAX 2000 /* points in one slice plot; more are thinned evenly */
#define PT_REPORT_SLICES_MAX 8			/* slice plots: the most important parameters */
#define PT_REPORT_SLICE_MIN_IMPORTANCE 0.05
#define PT_REPORT_REASONING_MAX 2000	/* bytes of reasoning shown per row */
#define PT_REPORT_REFRESH_S 5			/* a running run's page reloads itself this often */

/* One iteration of a run. */
typedef struct PtReportIter
{
	int			iter;
	bool		has_score;
	double		score;
	bool		has_holdout;	/* a held-out score measured at this iteration */
	double		holdout;
	const char *source;			/* random, tpe, llm, llm_fallback, warm_start */
	const char *status;			/* ok, refused, failed */
	const char *reasoning;		/* NULL when none */
	const char **values;		/* one text per run parameter (PtReportRun.param_names); NULL = absent */
	double		elapsed_ms;
} PtReportIter;

/* A run and everything the page shows about it. */
typedef struct PtReportRun
{
	long long	run_id;
	const char *label;			/* NULL when none */
	const char *strategy;
	const char *objective;
	const char *status;			/* running, done, cancelled, failed */
	const char *started_at;		/* timestamp text */
	const char *error;			/* NULL when none */
	const char *llm_model;		/* NULL when none */
	bool		minimize;		/* lower scores are better */
	int			budget;
	int			iterations;
	bool		has_best;
	double		best_score;
	int			best_iter;
	bool		has_holdout;
	double		holdout_score;
	bool		has_elapsed;
	double		elapsed_s;
	long long	tokens_in;
	long long	tokens_out;
	/* The parameters: the table's columns and the slice plots. */
	int			n_params;
	const char **param_names;
	const bool *param_log;		/* NULL, or true for a log-scaled parameter */
	/* The best parameters, as stored in runs.best_params. */
	int			n_best;
	const char **best_names;
	const char **best_values;
	/* Importance, one per param_names entry, or NULL with importance_note saying why. */
	const double *importance;
	const char *importance_note;
	/* The iterations, in iter order. */
	int			n_iters;
	const PtReportIter *iters;
} PtReportRun;

/* One run of a comparison. */
typedef struct PtReportCompareRun
{
	long long	run_id;
	const char *strategy;
	const char *label;			/* NULL when none */
	const char *status;
	long long	seed;
	bool		minimize;
	int			n;				/* iterations */
	const double *best_so_far;	/* n values; NaN before the first ok iteration */
	bool		has_best;
	double		best_score;
	int			best_iter;
	bool		has_holdout;
	double		holdout_score;
	double		ms_per_iter;
} PtReportCompareRun;

/* The run page; PtMalloc'd, or NULL with err set. */
extern char *PtReportRunHtml(const PtReportRun *run, PtError *err);

/* The comparison page of n runs (grouped by strategy, in order of first appearance); PtMalloc'd, or NULL. */
extern char *PtReportCompareHtml(const PtReportCompareRun *runs, int n, PtError *err);

#endif							/* PTOPT_REPORT_H */
