/*
 * space.c — search spaces: parsing and checking the specs (points: space_point.c).
 *
 * A space is a JSON object mapping each parameter name to a spec object
 * {type, low, high, log, step, choices, default, description}.  Every
 * mistake gets its own message naming the parameter; JSON that does not
 * parse is PT_ERR_INVALID_TEXT (22P02), everything else
 * PT_ERR_INVALID_PARAMETER (22023).  JSON null for an optional spec key
 * (type, log, step, choices, default, description) means the key is absent,
 * except for the default of a categorical parameter, where null may be one
 * of the choices.
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "pt_alloc.h"
#include "pt_error.h"
#include "pt_json.h"
#include "space.h"

#define PT_INT_ABS_MAX 9007199254740992.0	/* 2^53: larger JSON integers may be clamped */
#define PT_GRID_STEPS_MAX 9007199254740992.0	/* 2^53: steps of a grid, so k stays exact */
#define PT_STEP_TOLERANCE 1e-9		/* relative slack when testing grid membership */
#define PT_NAME_SHOWN_MAX 40		/* bytes of an over-long name shown in a message */
#define PT_FLOAT_ABS_MAX 1e300		/* float bounds: the samplers' sums and widths stay finite */
#define PT_FLOAT_RANGE_MIN 1e-300	/* float high - low: TPE's bandwidths stay above 0 */

#define PT_SPACE_HINT_KEYS \
	"Allowed keys: type, low, high, log, step, choices, default, description."
#define PT_SPACE_HINT_TYPES "Types: float, int, categorical, bool."

static const char *const spec_keys[] = {
	"type", "low", "high", "log", "step", "choices", "default", "description"
};

/* The lower-case name of a type. */
const char *
PtParamTypeName(PtParamType type)
{
	switch (type)
	{
		case PT_PARAM_FLOAT:
			return "float";
		case PT_PARAM_INT:
			return "int";
		case PT_PARAM_CATEGORICAL:
			return "categorical";
		case PT_PARAM_BOOL:
			return "bool";
	}
	return "unknown";
}

/* Number of steps K of a stepped parameter. */
double
PtParamGridSteps(const PtParam *param)
{
	if (param->step <= 0)
		return 0;
	return round((param->high - param->low) / param->step);
}

/* The double with the fewest significant digits within tol of v (0.3 for 0.30000000000000004). */
static double
short_decimal(double v, double tol)
{
	char		buf[PT_DOUBLE_TEXT_MAX];
	int			digits;

	for (digits = 1; digits <= 17; digits++)
	{
		double		w;

		snprintf(buf, sizeof(buf), "%.*g", digits, v);
		w = strtod(buf, NULL);
		if (fabs(w - v) <= tol)
			return w;
	}
	return v;
}

/* The grid value low + k*step, written with as few digits as stay within rounding of it. */
double
PtParamGridValue(const PtParam *param, double k)
{
	double		v;

	if (k <= 0)
		return param->low;
	if (k >= PtParamGridSteps(param))
		return param->high;
	v = param->low + k * param->step;
	if (param->type == PT_PARAM_INT)
		return round(v);
	return short_decimal(v, param->step * PT_STEP_TOLERANCE);
}

/* True when v lies on the grid low + k*step of a stepped parameter, up to rounding. */
bool
PtParamOnGrid(const PtParam *p, double v)
{
	double		r;

	if (p->step <= 0)
		return true;
	r = (v - p->low) / p->step;
	return fabs(r - round(r)) <= PT_STEP_TOLERANCE * fmax(1.0, fabs(r));
}

/* Free the contents of one parameter. */
static void
param_clear(PtParam *p)
{
	int			i;

	PtFree(p->name);
	if (p->choices != NULL)
	{
		for (i = 0; i < p->n_choices; i++)
			PtFree(p->choices[i]);
		PtFree(p->choices);
	}
	PtFree(p->description);
}

/* Free a space. */
void
PtSpaceFree(PtSpace *space)
{
	int			i;

	if (space == NULL)
		return;
	if (space->params != NULL)
	{
		for (i = 0; i < space->n_params; i++)
			param_clear(&space->params[i]);
		PtFree(space->params);
	}
	PtFree(space);
}

/* Index of a parameter by exact name, or -1. */
int
PtSpaceFind(const PtSpace *space, const char *name)
{
	int			i;

	if (space == NULL || name == NULL)
		return -1;
	for (i = 0; i < space->n_params; i++)
	{
		if (strcmp(space->params[i].name, name) == 0)
			return i;
	}
	return -1;
}

/*
 * Read a numeric spec field: a finite JSON number within 2^53 when it is a
 * JSON integer (json-c clamps larger integers silently).
 */
static int
get_number(struct json_object *v, const char *pname, const char *key,
		   double *out, PtError *err)
{
	enum json_type t = json_object_get_type(v);
	double		d;

	if (t != json_type_int && t != json_type_double)
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "parameter \"%s\": %s must be a number, not %s",
						  pname, key, PtJsonKind(v));
	d = json_object_get_double(v);
	if (!isfinite(d))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "parameter \"%s\": %s must be a finite number, not %s",
						  pname, key, PtJsonCanonical(v));
	if (t == json_type_int && fabs(d) > PT_INT_ABS_MAX)
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
				   "parameter \"%s\": %s is too large in magnitude",
				   pname, key);
		PtErrorDetail(err, "Integers beyond 2^53 (9007199254740992) cannot be represented exactly.");
		return PT_ERR_INVALID_PARAMETER;
	}
	*out = d;
	return PT_OK;
}

/* Refuse a spec key that does not apply to the parameter's type (null counts as absent). */
static int
refuse_key(struct json_object *spec, const char *key, const char *pname,
		   PtParamType type, PtError *err)
{
	struct json_object *v = NULL;

	if (json_object_object_get_ex(spec, key, &v) && v != NULL)
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "parameter \"%s\": %s does not apply to a %s parameter",
						  pname, key, PtParamTypeName(type));
	return PT_OK;
}

/* Look up an optional spec key, treating JSON null as absent. */
static struct json_object *
spec_get(struct json_object *spec, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(spec, key, &v))
		return NULL;
	if (v == NULL || json_object_get_type(v) == json_type_null)
		return NULL;
	return v;
}

/* Parse low, high, log, step and default of a float or int parameter. */
static int
parse_numeric(PtParam *p, struct json_object *spec, PtError *err)
{
	const char *pn = p->name;
	struct json_object *v;
	char		a[PT_DOUBLE_TEXT_MAX];
	char		b[PT_DOUBLE_TEXT_MAX];
	bool		is_int = (p->type == PT_PARAM_INT);
	double		range;

	if (refuse_key(spec, "choices", pn, p->type, err) != PT_OK)
		return err->code;

	if (!json_object_object_get_ex(spec, "low", &v))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "parameter \"%s\": low is missing", pn);
	if (get_number(v, pn, "low", &p->low, err) != PT_OK)
		return err->code;
	if (!json_object_object_get_ex(spec, "high", &v))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "parameter \"%s\": high is missing", pn);
	if (get_number(v, pn, "high", &p->high, err) != PT_OK)
		return err->code;

	PtFormatDouble(p->low, a, sizeof(a));
	PtFormatDouble(p->high, b, sizeof(b));
	if (is_int && p->low != floor(p->low))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "parameter \"%s\": low (%s) must be an integer for an int parameter", pn, a);
	if (is_int && p->high != floor(p->high))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "parameter \"%s\": high (%s) must be an integer for an int parameter", pn, b);
	if (is_int && (fabs(p->low) > PT_INT_ABS_MAX || fabs(p->high) > PT_INT_ABS_MAX))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "parameter \"%s\": int bounds must lie within -2^53 and 2^53", pn);
	if (!(p->low < p->high))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "parameter \"%s\": low (%s) must be less than high (%s)", pn, a, b);
	range = p->high - p->low;
	if (!isfinite(range))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "parameter \"%s\": the range from low (%s) to high (%s) is too wide", pn, a, b);
	if (!is_int && (fabs(p->low) > PT_FLOAT_ABS_MAX || fabs(p->high) > PT_FLOAT_ABS_MAX))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "parameter \"%s\": float bounds must lie within -1e300 and 1e300", pn);
	if (!is_int && range < PT_FLOAT_RANGE_MIN)
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "parameter \"%s\": the range from low (%s) to high (%s) is narrower than 1e-300",
						  pn, a, b);

	v = spec_get(spec, "log");
	if (v != NULL)
	{
		if (json_object_get_type(v) != json_type_boolean)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "parameter \"%s\": log must be true or false, not %s", pn, PtJsonKind(v));
		p->log = json_object_get_boolean(v);
	}
	if (p->log && p->low <= 0)
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "parameter \"%s\": low (%s) must be greater than 0 when log is true", pn, a);

	p->step = is_int ? 1 : 0;
	v = spec_get(spec, "step");
	if (v != NULL)
	{
		double		step;
		char		s[PT_DOUBLE_TEXT_MAX];
		char		r[PT_DOUBLE_TEXT_MAX];

		if (get_number(v, pn, "step", &step, err) != PT_OK)
			return err->code;
		PtFormatDouble(step, s, sizeof(s));
		PtFormatDouble(range, r, sizeof(r));
		if (step <= 0)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "parameter \"%s\": step (%s) must be greater than 0", pn, s);
		if (is_int && step != floor(step))
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "parameter \"%s\": step (%s) must be an integer for an int parameter", pn, s);
		if (step > range)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "parameter \"%s\": step (%s) is larger than the range high - low (%s)",
							  pn, s, r);
		if (p->log && !is_int)
		{
			PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
					   "parameter \"%s\": step cannot be combined with log for a float parameter", pn);
			PtErrorHint(err, "Drop step, or drop log and search a linear grid.");
			return PT_ERR_INVALID_PARAMETER;
		}
		if (p->log && is_int && step != 1)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "parameter \"%s\": an int parameter with log must have step 1, not %s",
							  pn, s);
		p->step = step;
	}

	/* Like Optuna, lower high onto the grid: high = low + floor((high - low) / step) * step. */
	if (p->step > 0)
	{
		double		ratio = range / p->step;
		double		k = floor(ratio);

		if (!(ratio <= PT_GRID_STEPS_MAX))
		{
			char		s[PT_DOUBLE_TEXT_MAX];

			PtFormatDouble(p->step, s, sizeof(s));
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "parameter \"%s\": step (%s) makes more than 2^53 grid points between low and high",
							  pn, s);
		}

		if (ratio - k > 1.0 - PT_STEP_TOLERANCE)
			k += 1;
		if (fabs(p->low + k * p->step - p->high) > p->step * PT_STEP_TOLERANCE)
		{
			p->high = p->low + k * p->step;
			if (is_int)
				p->high = round(p->high);
			else
				p->high = short_decimal(p->high, p->step * PT_STEP_TOLERANCE);
		}
	}

	v = spec_get(spec, "default");
	if (v != NULL)
	{
		double		d;
		char		dt[PT_DOUBLE_TEXT_MAX];

		if (get_number(v, pn, "default", &d, err) != PT_OK)
			return err->code;
		PtFormatDouble(d, dt, sizeof(dt));
		PtFormatDouble(p->high, b, sizeof(b));
		if (is_int && d != floor(d))
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "parameter \"%s\": default (%s) must be an integer for an int parameter",
							  pn, dt);
		if (d < p->low || d > p->high)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "parameter \"%s\": default (%s) is outside [%s, %s]", pn, dt, a, b);
		if (!PtParamOnGrid(p, d))
		{
			char		s[PT_DOUBLE_TEXT_MAX];

			PtFormatDouble(p->step, s, sizeof(s));
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "parameter \"%s\": default (%s) is not on the grid low + k*step (low %s, step %s)",
							  pn, dt, a, s);
		}
		p->has_default = true;
		p->default_value = d;
	}
	return PT_OK;
}

/* Index of a choice by canonical text, or -1. */
int
PtParamFindChoice(const PtParam *p, const char *text)
{
	int			i;

	for (i = 0; i < p->n_choices; i++)
	{
		if (strcmp(p->choices[i], text) == 0)
			return i;
	}
	return -1;
}

/* Parse the choices and default of a categorical parameter. */
static int
parse_categorical(PtParam *p, struct json_object *spec, PtError *err)
{
	const char *pn = p->name;
	struct json_object *v;
	size_t		n;
	size_t		i;
	static const char *const numeric_keys[] = {"low", "high", "log", "step"};

	for (i = 0; i < sizeof(numeric_keys) / sizeof(numeric_keys[0]); i++)
	{
		if (refuse_key(spec, numeric_keys[i], pn, p->type, err) != PT_OK)
			return err->code;
	}
	if (!json_object_object_get_ex(spec, "choices", &v))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "parameter \"%s\": choices are missing for a categorical parameter", pn);
	if (json_object_get_type(v) != json_type_array)
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "parameter \"%s\": choices must be a JSON array, not %s", pn, PtJsonKind(v));
	n = json_object_array_length(v);
	if (n == 0)
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "parameter \"%s\": choices must not be empty", pn);
	if (n > PT_SPACE_MAX_CHOICES)
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "parameter \"%s\": %zu choices is more than the limit of %d",
						  pn, n, PT_SPACE_MAX_CHOICES);
	p->choices = PtCalloc(n, sizeof(char *));
	if (p->choices == NULL)
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
	for (i = 0; i < n; i++)
	{
		struct json_object *c = json_object_array_get_idx(v, i);
		enum json_type t = json_object_get_type(c);
		const char *text;
		int			prev;

		if (t == json_type_array || t == json_type_object)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "parameter \"%s\": choices[%zu] is %s; a choice must be a string, number, boolean or null",
							  pn, i, PtJsonKind(c));
		if (t == json_type_double && !isfinite(json_object_get_double(c)))
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "parameter \"%s\": choices[%zu] must be a finite number", pn, i);
		text = PtJsonCanonical(c);
		if (strlen(text) > PT_CHOICE_TEXT_MAX)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "parameter \"%s\": choices[%zu] is longer than %d bytes as JSON text",
							  pn, i, PT_CHOICE_TEXT_MAX);
		prev = PtParamFindChoice(p, text);
		if (prev >= 0)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "parameter \"%s\": duplicate choice %s (choices[%d] and choices[%zu])",
							  pn, text, prev, i);
		p->choices[i] = PtStrdup(text);
		if (p->choices[i] == NULL)
			return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
		p->n_choices = (int) i + 1;
	}

	/* JSON null is a value here: it may be one of the choices. */
	if (json_object_object_get_ex(spec, "default", &v))
	{
		const char *text = PtJsonCanonical(v);
		int			idx = PtParamFindChoice(p, text);

		if (idx < 0)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "parameter \"%s\": default %.*s is not among the choices",
							  pn, PT_CHOICE_TEXT_MAX, text);
		p->has_default = true;
		p->default_value = idx;
	}
	return PT_OK;
}

/* Set up a bool parameter: choices [false, true] and an optional boolean default. */
static int
parse_bool(PtParam *p, struct json_object *spec, PtError *err)
{
	const char *pn = p->name;
	struct json_object *v;
	size_t		i;
	static const char *const refused[] = {"low", "high", "log", "step", "choices"};

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
	{
		if (refuse_key(spec, refused[i], pn, p->type, err) != PT_OK)
			return err->code;
	}
	p->choices = PtCalloc(2, sizeof(char *));
	if (p->choices == NULL)
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
	p->choices[0] = PtStrdup("false");
	p->choices[1] = PtStrdup("true");
	p->n_choices = 2;
	if (p->choices[0] == NULL || p->choices[1] == NULL)
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
	v = spec_get(spec, "default");
	if (v != NULL)
	{
		if (json_object_get_type(v) != json_type_boolean)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "parameter \"%s\": default must be true or false for a bool parameter, not %s",
							  pn, PtJsonKind(v));
		p->has_default = true;
		p->default_value = json_object_get_boolean(v) ? 1 : 0;
	}
	return PT_OK;
}

/* Parse one parameter spec into p (p->name already set). */
static int
parse_param(PtParam *p, struct json_object *spec, PtError *err)
{
	const char *pn = p->name;
	struct json_object *v;
	size_t		i;

	if (json_object_get_type(spec) != json_type_object)
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
				   "parameter \"%s\": the spec must be a JSON object, not %s", pn, PtJsonKind(spec));
		PtErrorHint(err, "Write e.g. {\"low\": 0, \"high\": 1} or {\"choices\": [\"a\", \"b\"]}.");
		return PT_ERR_INVALID_PARAMETER;
	}
	json_object_object_foreach(spec, key, val)
	{
		bool		known = false;

		(void) val;
		for (i = 0; i < sizeof(spec_keys) / sizeof(spec_keys[0]); i++)
		{
			if (strcmp(key, spec_keys[i]) == 0)
				known = true;
		}
		if (!known)
		{
			PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "parameter \"%s\": unknown key \"%.*s\"",
					   pn, PT_NAME_SHOWN_MAX, key);
			PtErrorHint(err, PT_SPACE_HINT_KEYS);
			return PT_ERR_INVALID_PARAMETER;
		}
	}

	v = spec_get(spec, "type");
	if (v == NULL)
		p->type = spec_get(spec, "choices") != NULL ? PT_PARAM_CATEGORICAL : PT_PARAM_FLOAT;
	else
	{
		const char *t;

		if (json_object_get_type(v) != json_type_string)
		{
			PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
					   "parameter \"%s\": type must be a string, not %s", pn, PtJsonKind(v));
			PtErrorHint(err, PT_SPACE_HINT_TYPES);
			return PT_ERR_INVALID_PARAMETER;
		}
		t = json_object_get_string(v);
		if (strcmp(t, "float") == 0)
			p->type = PT_PARAM_FLOAT;
		else if (strcmp(t, "int") == 0)
			p->type = PT_PARAM_INT;
		else if (strcmp(t, "categorical") == 0)
			p->type = PT_PARAM_CATEGORICAL;
		else if (strcmp(t, "bool") == 0)
			p->type = PT_PARAM_BOOL;
		else
		{
			PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "parameter \"%s\": unknown type \"%.*s\"",
					   pn, PT_NAME_SHOWN_MAX, t);
			PtErrorHint(err, PT_SPACE_HINT_TYPES);
			return PT_ERR_INVALID_PARAMETER;
		}
	}

	v = spec_get(spec, "description");
	if (v != NULL)
	{
		if (json_object_get_type(v) != json_type_string)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "parameter \"%s\": description must be a string, not %s", pn, PtJsonKind(v));
		p->description = PtStrdup(json_object_get_string(v));
		if (p->description == NULL)
			return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
	}

	switch (p->type)
	{
		case PT_PARAM_FLOAT:
		case PT_PARAM_INT:
			return parse_numeric(p, spec, err);
		case PT_PARAM_CATEGORICAL:
			return parse_categorical(p, spec, err);
		case PT_PARAM_BOOL:
			return parse_bool(p, spec, err);
	}
	return PtErrorSet(err, PT_ERR_INTERNAL, "unknown parameter type");
}

/* Build a space from a parsed JSON value (the caller keeps root). */
PtSpace *
PtSpaceFromJson(struct json_object *root, PtError *err)
{
	PtSpace    *space;
	int			n;
	int			i = 0;
	PtError		local;

	if (err == NULL)
		err = &local;
	PtErrorClear(err);
	if (json_object_get_type(root) != json_type_object)
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
				   "the search space must be a JSON object, not %s", PtJsonKind(root));
		PtErrorHint(err, "Write {\"name\": {\"low\": 0, \"high\": 1}, ...}.");
		return NULL;
	}
	n = json_object_object_length(root);
	if (n == 0)
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "the search space is empty");
		PtErrorHint(err, "Name at least one parameter, e.g. {\"x\": {\"low\": 0, \"high\": 1}}.");
		return NULL;
	}
	if (n > PT_SPACE_MAX_PARAMS)
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
				   "the search space has %d parameters, more than the limit of %d",
				   n, PT_SPACE_MAX_PARAMS);
		return NULL;
	}
	space = PtCalloc(1, sizeof(PtSpace));
	if (space == NULL || (space->params = PtCalloc(n, sizeof(PtParam))) == NULL)
	{
		PtFree(space);
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	json_object_object_foreach(root, name, spec)
	{
		PtParam    *p = &space->params[i];
		size_t		len = strlen(name);

		if (len == 0)
		{
			PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "parameter name must not be empty");
			goto fail;
		}
		if (len > PT_PARAM_NAME_MAX)
		{
			PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
					   "parameter name \"%.*s...\" is longer than %d bytes",
					   PT_NAME_SHOWN_MAX, name, PT_PARAM_NAME_MAX);
			goto fail;
		}
		p->name = PtStrdup(name);
		if (p->name == NULL)
		{
			PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
			goto fail;
		}
		space->n_params = ++i;
		if (parse_param(p, spec, err) != PT_OK)
			goto fail;
	}
	return space;

fail:
	PtSpaceFree(space);
	return NULL;
}

/* Parse a space from JSON text. */
PtSpace *
PtSpaceParse(const char *json_text, PtError *err)
{
	struct json_object *root;
	PtSpace    *space;
	PtError		local;

	if (err == NULL)
		err = &local;
	PtErrorClear(err);
	root = PtJsonParse(json_text, "the search space", err);
	if (root == NULL)
		return NULL;
	space = PtSpaceFromJson(root, err);
	json_object_put(root);
	return space;
}

/* Copy one parameter's contents into dst; false when out of memory. */
static bool
param_copy(PtParam *dst, const PtParam *src)
{
	int			i;

	*dst = *src;
	dst->name = PtStrdup(src->name);
	dst->description = src->description != NULL ? PtStrdup(src->description) : NULL;
	dst->choices = NULL;
	dst->n_choices = 0;
	if (dst->name == NULL || (src->description != NULL && dst->description == NULL))
		return false;
	if (src->n_choices > 0)
	{
		dst->choices = PtCalloc(src->n_choices, sizeof(char *));
		if (dst->choices == NULL)
			return false;
		for (i = 0; i < src->n_choices; i++)
		{
			dst->choices[i] = PtStrdup(src->choices[i]);
			if (dst->choices[i] == NULL)
				return false;
			dst->n_choices = i + 1;
		}
	}
	return true;
}

/* A deep copy of a space with room for extra dimensions. */
PtSpace *
PtSpaceCopy(const PtSpace *space, PtError *err)
{
	PtSpace    *copy = PtCalloc(1, sizeof(PtSpace));
	int			i;

	if (copy == NULL || (copy->params = PtCalloc(space->n_params + 1, sizeof(PtParam))) == NULL)
		goto oom;
	for (i = 0; i < space->n_params; i++)
	{
		copy->n_params = i + 1;
		if (!param_copy(&copy->params[i], &space->params[i]))
			goto oom;
	}
	return copy;

oom:
	PtSpaceFree(copy);
	PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
	return NULL;
}

/* Append an extra dimension (a categorical with no choices yet); its index or -1. */
int
PtSpaceAddExtra(PtSpace *space, const char *name, const char *origin, PtError *err)
{
	PtParam    *p;

	if (space->n_params >= PT_EVAL_MAX_PARAMS)
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
				   "more than %d parameters are set in the space, options.fixed and options.warm_start",
				   PT_EVAL_MAX_PARAMS);
		return -1;
	}
	{
		/* One more slot each time: a run has few extra dimensions. */
		PtParam    *np = PtRealloc(space->params, sizeof(PtParam) * (space->n_params + 1));

		if (np == NULL)
		{
			PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
			return -1;
		}
		space->params = np;
	}
	p = &space->params[space->n_params];
	memset(p, 0, sizeof(PtParam));
	p->type = PT_PARAM_CATEGORICAL;
	p->extra = true;
	p->name = PtStrdup(name);
	p->description = PtStrdup(origin);
	if (p->name == NULL || p->description == NULL)
	{
		PtFree(p->name);
		PtFree(p->description);
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
		return -1;
	}
	return space->n_params++;
}

/* Add a choice (canonical JSON text) to a categorical; its index, or -1 when out of memory. */
int
PtParamAddChoice(PtParam *p, const char *text)
{
	int			idx = PtParamFindChoice(p, text);
	char	  **nc;

	if (idx >= 0)
		return idx;
	nc = PtRealloc(p->choices, sizeof(char *) * (p->n_choices + 1));
	if (nc == NULL)
		return -1;
	p->choices = nc;
	p->choices[p->n_choices] = PtStrdup(text);
	if (p->choices[p->n_choices] == NULL)
		return -1;
	return p->n_choices++;
}
