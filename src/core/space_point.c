/*
 * space_point.c — points of a space to JSON text and back.
 *
 * Only the edges use this: the stored trajectory row, a SQL objective's
 * argument, a warm-start point or a stored row read back.  Output is built
 * as text directly (no json-c objects); input is read with json-c.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "pt_alloc.h"
#include "pt_error.h"
#include "pt_json.h"
#include "space.h"

/* Append the JSON value of parameter p at point value v. */
static int
append_value(PtJsonBuf *buf, const PtParam *p, double v, PtError *err)
{
	char		text[PT_DOUBLE_TEXT_MAX];

	if (!isfinite(v))
		return PtErrorSet(err, PT_ERR_INTERNAL, "point value of parameter \"%s\" is not finite", p->name);
	switch (p->type)
	{
		case PT_PARAM_FLOAT:
			PtJsonBufAppendDouble(buf, v);
			break;
		case PT_PARAM_INT:
			snprintf(text, sizeof(text), "%lld", (long long) llround(v));
			PtJsonBufAppend(buf, text, strlen(text));
			break;
		case PT_PARAM_CATEGORICAL:
		case PT_PARAM_BOOL:
			{
				double		idx = round(v);

				if (idx < 0 || idx >= p->n_choices)
					return PtErrorSet(err, PT_ERR_INTERNAL,
									  "choice index %g of parameter \"%s\" is out of range", v, p->name);
				PtJsonBufAppend(buf, p->choices[(int) idx], strlen(p->choices[(int) idx]));
				break;
			}
	}
	return PT_OK;
}

/* A JSON object text with every set dimension of x. */
char *
PtSpacePointToJson(const PtSpace *space, const double *x, PtError *err)
{
	PtJsonBuf	buf = {0};
	bool		first = true;
	char	   *result;
	int			i;
	PtError		local;

	if (err == NULL)
		err = &local;
	PtErrorClear(err);
	PtJsonBufAppend(&buf, "{", 1);
	for (i = 0; i < space->n_params; i++)
	{
		if (isnan(x[i]))
			continue;
		if (!first)
			PtJsonBufAppend(&buf, ",", 1);
		first = false;
		PtJsonBufAppendString(&buf, space->params[i].name);
		PtJsonBufAppend(&buf, ":", 1);
		if (append_value(&buf, &space->params[i], x[i], err) != PT_OK)
		{
			PtFree(buf.data);
			return NULL;
		}
	}
	PtJsonBufAppend(&buf, "}", 1);
	result = PtJsonBufFinish(&buf);
	if (result == NULL)
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
	return result;
}

/* Read one value of a parameter into *x, checking it against the spec. */
int
PtParamReadValue(const PtParam *p, struct json_object *v, const char *what, double *x, PtError *err)
{
	enum json_type t = json_object_get_type(v);
	char		a[PT_DOUBLE_TEXT_MAX];
	char		b[PT_DOUBLE_TEXT_MAX];
	char		dt[PT_DOUBLE_TEXT_MAX];
	double		d;

	if (p->type == PT_PARAM_CATEGORICAL)
	{
		const char *text = PtJsonCanonical(v);
		int			idx = PtParamFindChoice(p, text);

		if (idx < 0)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "%s: parameter \"%s\": %.*s is not among the choices",
							  what, p->name, PT_CHOICE_TEXT_MAX, text);
		*x = idx;
		return PT_OK;
	}
	if (p->type == PT_PARAM_BOOL)
	{
		if (t != json_type_boolean)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "%s: parameter \"%s\": must be true or false, not %s",
							  what, p->name, PtJsonKind(v));
		*x = json_object_get_boolean(v) ? 1 : 0;
		return PT_OK;
	}
	if (t != json_type_int && t != json_type_double)
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "%s: parameter \"%s\": must be a number, not %s",
						  what, p->name, PtJsonKind(v));
	d = json_object_get_double(v);
	if (!isfinite(d))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "%s: parameter \"%s\": must be a finite number", what, p->name);
	PtFormatDouble(d, dt, sizeof(dt));
	PtFormatDouble(p->low, a, sizeof(a));
	PtFormatDouble(p->high, b, sizeof(b));
	if (p->type == PT_PARAM_INT && d != floor(d))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "%s: parameter \"%s\": %s is not an integer", what, p->name, dt);
	if (d < p->low || d > p->high)
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "%s: parameter \"%s\": %s is outside [%s, %s]", what, p->name, dt, a, b);
	if (!PtParamOnGrid(p, d))
	{
		char		s[PT_DOUBLE_TEXT_MAX];

		PtFormatDouble(p->step, s, sizeof(s));
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "%s: parameter \"%s\": %s is not on the grid low + k*step (low %s, step %s)",
						  what, p->name, dt, a, s);
	}
	*x = d;
	return PT_OK;
}

/* Read a parameter set (JSON object text) into x. */
int
PtSpacePointFromJson(const PtSpace *space, const char *json_text, const char *what,
					 int flags, double *x, PtError *err)
{
	struct json_object *obj;
	int			i;
	PtError		local;

	if (err == NULL)
		err = &local;
	PtErrorClear(err);
	if (what == NULL)
		what = "the parameter set";
	obj = PtJsonParse(json_text, what, err);
	if (obj == NULL)
		return err->code;
	if (json_object_get_type(obj) != json_type_object)
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "%s must be a JSON object, not %s",
				   what, PtJsonKind(obj));
		goto fail;
	}
	if (!(flags & PT_POINT_IGNORE_UNKNOWN))
	{
		json_object_object_foreach(obj, key, val)
		{
			(void) val;
			if (PtSpaceFind(space, key) < 0)
			{
				PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "%s: unknown parameter \"%.*s\"",
						   what, PT_PARAM_NAME_MAX, key);
				PtErrorDetail(err, "It is not in the search space.");
				goto fail;
			}
		}
	}
	for (i = 0; i < space->n_params; i++)
	{
		const PtParam *p = &space->params[i];
		struct json_object *v;

		if (!json_object_object_get_ex(obj, p->name, &v))
		{
			if (!p->has_default)
			{
				PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						   "%s: parameter \"%s\" is missing and has no default", what, p->name);
				goto fail;
			}
			x[i] = p->default_value;
			continue;
		}
		if (PtParamReadValue(p, v, what, &x[i], err) != PT_OK)
			goto fail;
	}
	json_object_put(obj);
	return PT_OK;

fail:
	json_object_put(obj);
	return err->code;
}
