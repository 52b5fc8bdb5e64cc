/*
 * run_plan_points.c — a plan's evaluation space, fixed values and warm-start points.
 *
 * See run_plan.h for what the evaluation space is.  options.fixed keys
 * become extra dimensions first (one choice each: the fixed value); then
 * each warm-start point's keys outside the search space become extra
 * dimensions too (a choice per distinct value), so a warm-start point can
 * set any parameter of the objective and the objective checks those values
 * like any other.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "pt_alloc.h"
#include "pt_json.h"
#include "run_plan.h"
#include "run_plan_points.h"

#define PT_FIXED_ORIGIN "options.fixed"
#define PT_WHAT_MAX 64				/* bytes of "options.warm_start[N]" */

/* Add options.fixed keys as extra dimensions. */
static int
add_fixed(PtRunPlan *plan, PtError *err)
{
	struct json_object *fixed;

	if (!json_object_object_get_ex(plan->options, "fixed", &fixed) || fixed == NULL)
		return PT_OK;
	json_object_object_foreach(fixed, key, val)
	{
		int			idx;

		if (PtSpaceFind(plan->space, key) >= 0)
		{
			PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
					   "parameter \"%.*s\" is both searched and fixed", PT_PARAM_NAME_MAX, key);
			PtErrorHint(err, "Remove it from the search space or from options.fixed.");
			return PT_ERR_INVALID_PARAMETER;
		}
		idx = PtSpaceAddExtra(plan->eval_space, key, PT_FIXED_ORIGIN, err);
		if (idx < 0)
			return err->code;
		if (PtParamAddChoice(&plan->eval_space->params[idx], PtJsonCanonical(val)) < 0)
			return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
	}
	return PT_OK;
}

/* Record a warm-start value of a parameter outside the search space in point. */
static int
read_extra(PtRunPlan *plan, const char *key, struct json_object *val, const char *what,
		   double *point, PtError *err)
{
	PtSpace    *es = plan->eval_space;
	int			idx = PtSpaceFind(es, key);
	const char *text = PtJsonCanonical(val);
	int			c;

	if (idx >= 0 && es->params[idx].description != NULL &&
		strcmp(es->params[idx].description, PT_FIXED_ORIGIN) == 0)
	{
		const char *fixed = es->params[idx].choices[0];

		if (strcmp(fixed, text) != 0)
		{
			PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
					   "%s: parameter \"%.*s\" is %.*s but options.fixed sets it to %.*s",
					   what, PT_PARAM_NAME_MAX, key, PT_CHOICE_TEXT_MAX, text,
					   PT_CHOICE_TEXT_MAX, fixed);
			PtErrorDetail(err, "A fixed value holds for every iteration, warm-start points included.");
			PtErrorHint(err, "Remove \"%.*s\" from the warm-start point or from options.fixed.",
						PT_PARAM_NAME_MAX, key);
			return PT_ERR_INVALID_PARAMETER;
		}
		point[idx] = 0;
		return PT_OK;
	}
	if (idx < 0)
	{
		idx = PtSpaceAddExtra(es, key, what, err);
		if (idx < 0)
			return err->code;
	}
	c = PtParamAddChoice(&es->params[idx], text);
	if (c < 0)
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
	point[idx] = c;
	return PT_OK;
}

/* Read one warm-start point (a JSON object) into point (PT_EVAL_MAX_PARAMS long). */
static int
read_warm_point(PtRunPlan *plan, struct json_object *obj, const char *what, double *point,
				PtError *err)
{
	const PtSpace *space = plan->space;
	int			i;

	if (!json_object_is_type(obj, json_type_object))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "%s must be a JSON object", what);
	for (i = 0; i < PT_EVAL_MAX_PARAMS; i++)
		point[i] = NAN;
	for (i = 0; i < space->n_params; i++)
	{
		const PtParam *p = &space->params[i];
		struct json_object *v;

		if (!json_object_object_get_ex(obj, p->name, &v))
		{
			if (!p->has_default)
				return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
								  "%s: parameter \"%s\" is missing and has no default", what, p->name);
			point[i] = p->default_value;
			continue;
		}
		if (PtParamReadValue(p, v, what, &point[i], err) != PT_OK)
			return err->code;
	}
	json_object_object_foreach(obj, key, val)
	{
		if (PtSpaceFind(space, key) >= 0)
			continue;
		if (read_extra(plan, key, val, what, point, err) != PT_OK)
			return err->code;
	}
	return PT_OK;
}

/* Read options.warm_start into plan->warm (evaluation points, widths fixed at the end). */
static int
read_warm_start(PtRunPlan *plan, PtError *err)
{
	struct json_object *arr;
	double	   *rows;
	int			i;
	int			j;
	int			n_eval;

	if (!json_object_object_get_ex(plan->options, "warm_start", &arr))
		return PT_OK;
	if (!json_object_is_type(arr, json_type_array))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "options.warm_start must be a JSON array of parameter objects");
	plan->n_warm = (int) json_object_array_length(arr);
	if (plan->n_warm > plan->budget)
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
				   "options.warm_start has %d entries but the budget is %d",
				   plan->n_warm, plan->budget);
		PtErrorHint(err, "Raise the budget to at least the number of warm-start points.");
		return err->code;
	}
	if (plan->n_warm == 0)
		return PT_OK;
	/* Extras grow while reading: read into full-width rows, then pack. */
	rows = PtMalloc(sizeof(double) * (size_t) plan->n_warm * PT_EVAL_MAX_PARAMS);
	if (rows == NULL)
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
	for (i = 0; i < plan->n_warm; i++)
	{
		char		what[PT_WHAT_MAX];
		double	   *row = rows + (size_t) i * PT_EVAL_MAX_PARAMS;

		snprintf(what, sizeof(what), "options.warm_start[%d]", i);
		if (read_warm_point(plan, json_object_array_get_idx(arr, i), what, row, err) != PT_OK)
		{
			PtFree(rows);
			return err->code;
		}
	}
	n_eval = plan->eval_space->n_params;
	plan->warm = PtMalloc(sizeof(double) * (size_t) plan->n_warm * n_eval);
	if (plan->warm == NULL)
	{
		PtFree(rows);
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
	}
	for (i = 0; i < plan->n_warm; i++)
	{
		double	   *row = rows + (size_t) i * PT_EVAL_MAX_PARAMS;

		for (j = 0; j < n_eval; j++)
			plan->warm[(size_t) i * n_eval + j] = isnan(row[j]) ? plan->base[j] : row[j];
	}
	PtFree(rows);
	return PT_OK;
}

/* Build the evaluation space, the base point and the warm-start points. */
int
PtRunPlanBuildPoints(PtRunPlan *plan, PtError *err)
{
	int			n_eval;
	int			i;
	double	   *base;

	plan->eval_space = PtSpaceCopy(plan->space, err);
	if (plan->eval_space == NULL)
		return err->code;
	if (add_fixed(plan, err) != PT_OK)
		return err->code;
	/* The base point over the fixed dimensions, before warm starts add their own. */
	plan->base = PtMalloc(sizeof(double) * PT_EVAL_MAX_PARAMS);
	if (plan->base == NULL)
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
	for (i = 0; i < PT_EVAL_MAX_PARAMS; i++)
		plan->base[i] = (i >= plan->space->n_params && i < plan->eval_space->n_params) ? 0 : NAN;
	if (read_warm_start(plan, err) != PT_OK)
		return err->code;
	n_eval = plan->eval_space->n_params;
	base = PtRealloc(plan->base, sizeof(double) * (size_t) (n_eval > 0 ? n_eval : 1));
	if (base != NULL)
		plan->base = base;
	return PT_OK;
}

/* The i-th warm-start point. */
const double *
PtRunPlanWarmPoint(const PtRunPlan *plan, int i)
{
	return plan->warm + (size_t) i * plan->eval_space->n_params;
}

/* Complete a search-space point into an evaluation point. */
void
PtRunPlanEvalPoint(const PtRunPlan *plan, const double *x, double *point)
{
	int			n = plan->space->n_params;

	memcpy(point, x, sizeof(double) * n);
	memcpy(point + n, plan->base + n, sizeof(double) * (plan->eval_space->n_params - n));
}

/* An evaluation point as JSON object text. */
char *
PtRunPlanPointJson(const PtRunPlan *plan, const double *point, PtError *err)
{
	return PtSpacePointToJson(plan->eval_space, point, err);
}
