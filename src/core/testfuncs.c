/*
 * testfuncs.c — closed-form objectives for checking samplers: Branin and a quadratic.
 *
 * Both are minimisation problems, so the score is the negated value.
 * Branin: x1 in [-5, 10], x2 in [0, 15], minimum 0.397887 at (-pi, 12.275),
 * (pi, 2.275) and (9.42478, 2.475).  Quadratic: the sum over every numeric
 * parameter of (v - 2)^2 (Optuna's quickstart, generalised), minimum 0.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objective.h"
#include "pt_alloc.h"
#include "pt_error.h"
#include "pt_json.h"
#include "space.h"

#define PT_BRANIN_MIN 0.397887357729738	/* global minimum of Branin */
#define PT_QUADRATIC_CENTRE 2.0			/* where every term of the quadratic vanishes */
#define PT_SUMMARY_MAX 256				/* bytes of a summary sentence */

static const char *const branin_params[] = {"x1", "x2"};

/* Branin-Hoo with its standard constants. */
static double
branin(double x1, double x2)
{
	const double a = 1.0;
	const double b = 5.1 / (4.0 * M_PI * M_PI);
	const double c = 5.0 / M_PI;
	const double r = 6.0;
	const double s = 10.0;
	const double t = 1.0 / (8.0 * M_PI);
	double		q = x2 - b * x1 * x1 + c * x1 - r;

	return a * q * q + s * (1.0 - t) * cos(x1) + s;
}

/* State of a closed-form objective: the evaluation space and Branin's two indexes. */
typedef struct ClosedForm
{
	const PtSpace *space;
	int			idx[2];			/* Branin: the dimensions of x1 and x2 */
} ClosedForm;

/* True when JSON text is a number (not a boolean, not a string). */
static bool
text_is_number(const char *text)
{
	char	   *end;
	double		d;

	if (!(text[0] == '-' || (text[0] >= '0' && text[0] <= '9')))
		return false;
	d = strtod(text, &end);
	return end != text && *end == '\0' && isfinite(d);
}

/* The numeric value of dimension i at v (a float or int, or a choice that is a JSON number). */
static bool
numeric_value(const PtSpace *space, int i, double v, double *out)
{
	const PtParam *p = &space->params[i];

	if (isnan(v))
		return false;
	if (p->type == PT_PARAM_BOOL)
		return false;
	if (p->type == PT_PARAM_CATEGORICAL &&
		(v < 0 || v >= p->n_choices || !text_is_number(p->choices[(int) v])))
		return false;
	return PtSpaceNumericValue(space, i, v, out);
}

/* True when dimension i is an extra set by options.fixed. */
static bool
is_fixed(const PtParam *p)
{
	return p->extra && p->description != NULL && strcmp(p->description, "options.fixed") == 0;
}

/* Check that a parameter the objective needs is numeric in the search space or in fixed. */
static int
require_numeric(const char *objective, const char *name, const PtSpace *space, int n_search,
				int *idx_out, PtError *err)
{
	int			idx = PtSpaceFind(space, name);
	int			c;

	*idx_out = idx;
	if (idx >= 0 && idx < n_search)
	{
		PtParamType type = space->params[idx].type;

		if (type == PT_PARAM_FLOAT || type == PT_PARAM_INT)
			return PT_OK;
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
				   "objective \"%s\": parameter \"%s\" must be float or int, not %s",
				   objective, name, PtParamTypeName(type));
		return PT_ERR_INVALID_PARAMETER;
	}
	if (idx >= 0 && is_fixed(&space->params[idx]))
	{
		for (c = 0; c < space->params[idx].n_choices; c++)
			if (!text_is_number(space->params[idx].choices[c]))
				return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
								  "objective \"%s\": options.fixed value of \"%s\" must be a finite number",
								  objective, name);
		return PT_OK;
	}
	PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
			   "objective \"%s\" needs parameter \"%s\" in the search space or in options.fixed",
			   objective, name);
	if (strcmp(objective, "branin") == 0)
		PtErrorHint(err, "Search x1 in [-5, 10] and x2 in [0, 15].");
	return PT_ERR_INVALID_PARAMETER;
}

/* New closed-form state over the evaluation space. */
static ClosedForm *
closed_form_new(const PtObjectiveInit *init, PtError *err)
{
	ClosedForm *cf;

	if (init == NULL || init->space == NULL)
	{
		PtErrorSet(err, PT_ERR_INTERNAL, "a closed-form objective needs a space");
		return NULL;
	}
	cf = PtCalloc(1, sizeof(ClosedForm));
	if (cf == NULL)
	{
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	cf->space = init->space;
	return cf;
}

/* Branin needs x1 and x2, numeric. */
static void *
branin_init(const PtObjectiveInit *init, PtError *err)
{
	ClosedForm *cf = closed_form_new(init, err);
	int			i;

	if (cf == NULL)
		return NULL;
	for (i = 0; i < 2; i++)
	{
		if (require_numeric("branin", branin_params[i], init->space, init->n_search,
							&cf->idx[i], err) != PT_OK)
		{
			PtFree(cf);
			return NULL;
		}
	}
	return cf;
}

/* Fill out's report and summary texts from a finished report buffer. */
static int
set_texts(PtEvaluation *out, PtJsonBuf *report, const char *summary, PtError *err)
{
	out->report_json = PtJsonBufFinish(report);
	out->summary = PtStrdup(summary);
	if (out->report_json == NULL || out->summary == NULL)
	{
		PtFree(out->report_json);
		PtFree(out->summary);
		out->report_json = NULL;
		out->summary = NULL;
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory writing the report");
	}
	return PT_OK;
}

/* Append ',"key":v' to a report. */
static void
report_number(PtJsonBuf *report, const char *key, double v)
{
	PtJsonBufAppend(report, ",", 1);
	PtJsonBufAppendString(report, key);
	PtJsonBufAppend(report, ":", 1);
	PtJsonBufAppendDouble(report, v);
}

/* Score one point with Branin. */
static int
branin_evaluate(void *state, const double *point, PtEvaluation *out,
				const PtStop *stop, PtError *err)
{
	ClosedForm *cf = state;
	PtJsonBuf	report = {0};
	double		x[2];
	double		f;
	int			i;
	char		summary[PT_SUMMARY_MAX];

	for (i = 0; i < 2; i++)
	{
		if (cf->idx[i] < 0 || !numeric_value(cf->space, cf->idx[i], point[cf->idx[i]], &x[i]))
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "objective \"branin\": parameter \"%s\" must be a finite number",
							  branin_params[i]);
	}
	f = branin(x[0], x[1]);
	out->score = -f;
	PtJsonBufAppend(&report, "{\"objective\":\"branin\"", 21);
	report_number(&report, "value", f);
	report_number(&report, "score", -f);
	report_number(&report, "x1", x[0]);
	report_number(&report, "x2", x[1]);
	PtJsonBufAppend(&report, "}", 1);
	snprintf(summary, sizeof(summary),
			 "Branin at x1 = %.6g, x2 = %.6g is %.6g, %.3g above its minimum %.6f.",
			 x[0], x[1], f, f - PT_BRANIN_MIN, PT_BRANIN_MIN);
	return set_texts(out, &report, summary, err);
}

/* The quadratic needs at least one numeric parameter. */
static void *
quadratic_init(const PtObjectiveInit *init, PtError *err)
{
	ClosedForm *cf = closed_form_new(init, err);
	int			n = 0;
	int			i;

	if (cf == NULL)
		return NULL;
	for (i = 0; i < init->space->n_params; i++)
	{
		const PtParam *p = &init->space->params[i];

		if (i < init->n_search && (p->type == PT_PARAM_FLOAT || p->type == PT_PARAM_INT))
			n++;
		else if (is_fixed(p) && p->n_choices > 0 && text_is_number(p->choices[0]))
			n++;
	}
	if (n == 0)
	{
		PtFree(cf);
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
				   "objective \"quadratic\" needs at least one float or int parameter");
		PtErrorHint(err, "Search e.g. {\"x\": {\"low\": -10, \"high\": 10}}.");
		return NULL;
	}
	return cf;
}

/* Score one point with the quadratic: -sum (v - 2)^2 over its numeric values. */
static int
quadratic_evaluate(void *state, const double *point, PtEvaluation *out,
				   const PtStop *stop, PtError *err)
{
	ClosedForm *cf = state;
	PtJsonBuf	report = {0};
	double		sum = 0;
	int			n = 0;
	int			i;
	char		summary[PT_SUMMARY_MAX];
	char		count[PT_SUMMARY_MAX];

	for (i = 0; i < cf->space->n_params; i++)
	{
		double		d;

		if (!numeric_value(cf->space, i, point[i], &d))
			continue;
		sum += (d - PT_QUADRATIC_CENTRE) * (d - PT_QUADRATIC_CENTRE);
		n++;
	}
	if (n == 0)
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "objective \"quadratic\": the parameter set has no numeric value");
	out->score = -sum;
	PtJsonBufAppend(&report, "{\"objective\":\"quadratic\"", 24);
	report_number(&report, "value", sum);
	report_number(&report, "score", -sum);
	snprintf(count, sizeof(count), ",\"n\":%d}", n);
	PtJsonBufAppend(&report, count, strlen(count));
	snprintf(summary, sizeof(summary),
			 "The sum of (v - 2)^2 over %d numeric parameter%s is %.6g (minimum 0, at every v = 2).",
			 n, n == 1 ? "" : "s", sum);
	return set_texts(out, &report, summary, err);
}

/* Release a closed-form state. */
static void
closed_form_free(void *state)
{
	PtFree(state);
}

const PtObjectiveOps PtBraninObjective = {
	.name = "branin",
	.init = branin_init,
	.evaluate = branin_evaluate,
	.evaluate_holdout = NULL,
	.free = closed_form_free,
};

const PtObjectiveOps PtQuadraticObjective = {
	.name = "quadratic",
	.init = quadratic_init,
	.evaluate = quadratic_evaluate,
	.evaluate_holdout = NULL,
	.free = closed_form_free,
};
