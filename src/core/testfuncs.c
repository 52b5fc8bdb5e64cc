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
#include <string.h>

#include <json-c/json.h>

#include "objective.h"
#include "pt_alloc.h"
#include "pt_error.h"
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

/* True when a JSON value is a number (not a boolean). */
static bool
json_is_number(struct json_object *v)
{
	enum json_type t = json_object_get_type(v);

	return t == json_type_int || t == json_type_double;
}

/* Check that a parameter the objective needs is numeric in the space or in fixed. */
static int
require_numeric(const char *objective, const char *name, const PtSpace *space,
				struct json_object *fixed, PtError *err)
{
	int			idx = PtSpaceFind(space, name);
	struct json_object *v;

	if (idx >= 0)
	{
		PtParamType type = space->params[idx].type;

		if (type == PT_PARAM_FLOAT || type == PT_PARAM_INT)
			return PT_OK;
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
				   "objective \"%s\": parameter \"%s\" must be float or int, not %s",
				   objective, name, PtParamTypeName(type));
		return PT_ERR_INVALID_PARAMETER;
	}
	if (fixed != NULL && json_object_object_get_ex(fixed, name, &v))
	{
		if (json_is_number(v) && isfinite(json_object_get_double(v)))
			return PT_OK;
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "objective \"%s\": options.fixed value of \"%s\" must be a finite number",
						  objective, name);
	}
	PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
			   "objective \"%s\" needs parameter \"%s\" in the search space or in options.fixed",
			   objective, name);
	if (strcmp(objective, "branin") == 0)
		PtErrorHint(err, "Search x1 in [-5, 10] and x2 in [0, 15].");
	return PT_ERR_INVALID_PARAMETER;
}

/* Parse fixed_json when given; *out NULL when there is none. */
static int
parse_optional_object(const char *json_text, const char *what, struct json_object **out, PtError *err)
{
	*out = NULL;
	if (json_text == NULL || json_text[strspn(json_text, " \t\r\n")] == '\0')
		return PT_OK;
	*out = PtJsonParse(json_text, what, err);
	if (*out == NULL)
		return err->code;
	if (json_object_get_type(*out) != json_type_object)
	{
		json_object_put(*out);
		*out = NULL;
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "%s must be a JSON object", what);
	}
	return PT_OK;
}

/* Branin needs x1 and x2, numeric. */
static int
branin_validate(void *state, const PtSpace *space, const char *fixed_json, PtError *err)
{
	struct json_object *fixed;
	int			rc;
	int			i;

	rc = parse_optional_object(fixed_json, "options.fixed", &fixed, err);
	for (i = 0; rc == PT_OK && i < 2; i++)
		rc = require_numeric("branin", branin_params[i], space, fixed, err);
	json_object_put(fixed);
	return rc;
}

/* Read the params object of an evaluation; the caller puts it. */
static struct json_object *
read_params(const char *objective, const char *params_json, PtError *err)
{
	struct json_object *obj = PtJsonParse(params_json, "the parameter set", err);

	if (obj != NULL && json_object_get_type(obj) != json_type_object)
	{
		json_object_put(obj);
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "objective \"%s\": the parameter set must be a JSON object",
				   objective);
		return NULL;
	}
	return obj;
}

/* Fill out's report and summary texts; false when out of memory. */
static int
set_texts(PtEvaluation *out, struct json_object *report, const char *summary, PtError *err)
{
	out->report_json = PtStrdup(json_object_to_json_string_ext(report, JSON_C_TO_STRING_PLAIN |
															  JSON_C_TO_STRING_NOSLASHESCAPE));
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

/* A JSON double written in shortest round-trip form. */
static struct json_object *
json_double(double v)
{
	char		buf[PT_DOUBLE_TEXT_MAX];

	PtFormatDouble(v, buf, sizeof(buf));
	return json_object_new_double_s(v, buf);
}

/* Score one parameter set with Branin. */
static int
branin_evaluate(void *state, const char *params_json, PtEvaluation *out,
				const PtStop *stop, PtError *err)
{
	struct json_object *obj = read_params("branin", params_json, err);
	struct json_object *report;
	double		x[2];
	double		f;
	int			i;
	int			rc;
	char		summary[PT_SUMMARY_MAX];

	if (obj == NULL)
		return err->code;
	for (i = 0; i < 2; i++)
	{
		struct json_object *v;

		if (!json_object_object_get_ex(obj, branin_params[i], &v) || !json_is_number(v) ||
			!isfinite(json_object_get_double(v)))
		{
			json_object_put(obj);
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "objective \"branin\": parameter \"%s\" must be a finite number",
							  branin_params[i]);
		}
		x[i] = json_object_get_double(v);
	}
	json_object_put(obj);
	f = branin(x[0], x[1]);
	out->score = -f;
	report = json_object_new_object();
	json_object_object_add(report, "objective", json_object_new_string("branin"));
	json_object_object_add(report, "value", json_double(f));
	json_object_object_add(report, "score", json_double(-f));
	json_object_object_add(report, "x1", json_double(x[0]));
	json_object_object_add(report, "x2", json_double(x[1]));
	snprintf(summary, sizeof(summary),
			 "Branin at x1 = %.6g, x2 = %.6g is %.6g, %.3g above its minimum %.6f.",
			 x[0], x[1], f, f - PT_BRANIN_MIN, PT_BRANIN_MIN);
	rc = set_texts(out, report, summary, err);
	json_object_put(report);
	return rc;
}

/* The quadratic needs at least one numeric parameter. */
static int
quadratic_validate(void *state, const PtSpace *space, const char *fixed_json, PtError *err)
{
	struct json_object *fixed;
	int			n = 0;
	int			i;
	int			rc;

	rc = parse_optional_object(fixed_json, "options.fixed", &fixed, err);
	if (rc != PT_OK)
		return rc;
	for (i = 0; i < space->n_params; i++)
	{
		if (space->params[i].type == PT_PARAM_FLOAT || space->params[i].type == PT_PARAM_INT)
			n++;
	}
	if (fixed != NULL)
	{
		json_object_object_foreach(fixed, key, val)
		{
			(void) key;
			if (json_is_number(val))
				n++;
		}
		json_object_put(fixed);
	}
	if (n == 0)
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
				   "objective \"quadratic\" needs at least one float or int parameter");
		PtErrorHint(err, "Search e.g. {\"x\": {\"low\": -10, \"high\": 10}}.");
		return PT_ERR_INVALID_PARAMETER;
	}
	return PT_OK;
}

/* Score one parameter set with the quadratic: -sum (v - 2)^2 over numeric values. */
static int
quadratic_evaluate(void *state, const char *params_json, PtEvaluation *out,
				   const PtStop *stop, PtError *err)
{
	struct json_object *obj = read_params("quadratic", params_json, err);
	struct json_object *report;
	double		sum = 0;
	int			n = 0;
	int			rc;
	char		summary[PT_SUMMARY_MAX];

	if (obj == NULL)
		return err->code;
	json_object_object_foreach(obj, key, val)
	{
		double		d;

		if (!json_is_number(val))
			continue;
		d = json_object_get_double(val);
		if (!isfinite(d))
		{
			PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
					   "objective \"quadratic\": parameter \"%.*s\" must be a finite number",
					   PT_PARAM_NAME_MAX, key);
			json_object_put(obj);
			return PT_ERR_INVALID_PARAMETER;
		}
		sum += (d - PT_QUADRATIC_CENTRE) * (d - PT_QUADRATIC_CENTRE);
		n++;
	}
	json_object_put(obj);
	if (n == 0)
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "objective \"quadratic\": the parameter set has no numeric value");
	out->score = -sum;
	report = json_object_new_object();
	json_object_object_add(report, "objective", json_object_new_string("quadratic"));
	json_object_object_add(report, "value", json_double(sum));
	json_object_object_add(report, "score", json_double(-sum));
	json_object_object_add(report, "n", json_object_new_int(n));
	snprintf(summary, sizeof(summary),
			 "The sum of (v - 2)^2 over %d numeric parameter%s is %.6g (minimum 0, at every v = 2).",
			 n, n == 1 ? "" : "s", sum);
	rc = set_texts(out, report, summary, err);
	json_object_put(report);
	return rc;
}

const PtObjectiveOps PtBraninObjective = {
	.name = "branin",
	.init = NULL,
	.validate_space = branin_validate,
	.evaluate = branin_evaluate,
	.free = NULL,
};

const PtObjectiveOps PtQuadraticObjective = {
	.name = "quadratic",
	.init = NULL,
	.validate_space = quadratic_validate,
	.evaluate = quadratic_evaluate,
	.free = NULL,
};
