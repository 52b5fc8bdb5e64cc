/*
 * test_space.c — unit tests of search-space parsing and point conversion (src/core/space.c).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pt_alloc.h"
#include "pt_error.h"
#include "space.h"
#include "unit.h"

/* One malformed space and what its error must say. */
typedef struct BadCase
{
	const char *json;
	PtErrorCode code;
	const char *message;		/* exact message */
} BadCase;

static const BadCase bad_cases[] = {
	/* not JSON, not an object, empty */
	{"{\"x\": ", PT_ERR_INVALID_TEXT, "the search space is not valid JSON"},
	{"{\"x\": {\"low\": 0, \"high\": 1}} trailing", PT_ERR_INVALID_TEXT, "the search space is not valid JSON"},
	{"", PT_ERR_INVALID_TEXT, "the search space is empty, not JSON"},
	{"[1, 2]", PT_ERR_INVALID_PARAMETER, "the search space must be a JSON object, not an array"},
	{"\"x\"", PT_ERR_INVALID_PARAMETER, "the search space must be a JSON object, not a string"},
	{"42", PT_ERR_INVALID_PARAMETER, "the search space must be a JSON object, not a number"},
	{"{}", PT_ERR_INVALID_PARAMETER, "the search space is empty"},
	/* spec shape */
	{"{\"x\": 5}", PT_ERR_INVALID_PARAMETER, "parameter \"x\": the spec must be a JSON object, not a number"},
	{"{\"x\": [0, 1]}", PT_ERR_INVALID_PARAMETER, "parameter \"x\": the spec must be a JSON object, not an array"},
	{"{\"x\": {\"type\": \"double\", \"low\": 0, \"high\": 1}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": unknown type \"double\""},
	{"{\"x\": {\"type\": 3, \"low\": 0, \"high\": 1}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": type must be a string, not a number"},
	{"{\"x\": {\"lo\": 0, \"high\": 1}}", PT_ERR_INVALID_PARAMETER, "parameter \"x\": unknown key \"lo\""},
	{"{\"x\": {\"low\": 0, \"high\": 1, \"description\": 7}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": description must be a string, not a number"},
	/* bounds */
	{"{\"x\": {\"high\": 1}}", PT_ERR_INVALID_PARAMETER, "parameter \"x\": low is missing"},
	{"{\"x\": {\"low\": 1}}", PT_ERR_INVALID_PARAMETER, "parameter \"x\": high is missing"},
	{"{\"x\": {}}", PT_ERR_INVALID_PARAMETER, "parameter \"x\": low is missing"},
	{"{\"x\": {\"low\": \"0\", \"high\": 1}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": low must be a number, not a string"},
	{"{\"x\": {\"low\": 0, \"high\": true}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": high must be a number, not a boolean"},
	{"{\"x\": {\"low\": null, \"high\": 1}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": low must be a number, not null"},
	{"{\"x\": {\"low\": NaN, \"high\": 1}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": low must be a finite number, not NaN"},
	{"{\"x\": {\"low\": 0, \"high\": Infinity}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": high must be a finite number, not Infinity"},
	{"{\"x\": {\"low\": -1e400, \"high\": 1}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": low must be a finite number, not -1e400"},
	{"{\"x\": {\"low\": 0, \"high\": 100000000000000000000}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": high is too large in magnitude"},
	{"{\"x\": {\"low\": -1e308, \"high\": 1e308}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": the range from low (-1e+308) to high (1e+308) is too wide"},
	/* found by test/fuzz/fuzz_plan: TPE's bandwidths underflowed to 0 and proposed NaN */
	{"{\"x\": {\"low\": 0, \"high\": 5e-324}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": the range from low (0) to high (4.94065645841247e-324) is narrower than 1e-300"},
	{"{\"x\": {\"low\": 1e-300, \"high\": 1.5e-300}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": the range from low (1e-300) to high (1.5e-300) is narrower than 1e-300"},
	{"{\"x\": {\"low\": -8.9e307, \"high\": 8.9e307, \"step\": 8.9e307}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": float bounds must lie within -1e300 and 1e300"},
	{"{\"x\": {\"low\": 0, \"high\": 1.1e300}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": float bounds must lie within -1e300 and 1e300"},
	{"{\"mm.c_vol\": {\"low\": 5, \"high\": 1}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"mm.c_vol\": low (5) must be less than high (1)"},
	{"{\"x\": {\"low\": 2.5, \"high\": 2.5}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": low (2.5) must be less than high (2.5)"},
	/* log and step */
	{"{\"x\": {\"low\": 0, \"high\": 1, \"log\": true}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": low (0) must be greater than 0 when log is true"},
	{"{\"x\": {\"low\": -1, \"high\": 1, \"log\": true}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": low (-1) must be greater than 0 when log is true"},
	{"{\"x\": {\"low\": 1, \"high\": 2, \"log\": \"yes\"}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": log must be true or false, not a string"},
	{"{\"x\": {\"low\": 0, \"high\": 1, \"step\": 0}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": step (0) must be greater than 0"},
	{"{\"x\": {\"low\": 0, \"high\": 1, \"step\": -0.5}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": step (-0.5) must be greater than 0"},
	{"{\"x\": {\"low\": 0, \"high\": 1, \"step\": \"a\"}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": step must be a number, not a string"},
	{"{\"x\": {\"low\": 0, \"high\": 1, \"step\": 2}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": step (2) is larger than the range high - low (1)"},
	{"{\"x\": {\"low\": 1, \"high\": 10, \"step\": 1, \"log\": true}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": step cannot be combined with log for a float parameter"},
	{"{\"x\": {\"type\": \"int\", \"low\": 1, \"high\": 10, \"step\": 2, \"log\": true}}",
		PT_ERR_INVALID_PARAMETER, "parameter \"x\": an int parameter with log must have step 1, not 2"},
	{"{\"x\": {\"low\": 0, \"high\": 1, \"step\": 1e-300}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": step (1e-300) makes more than 2^53 grid points between low and high"},
	{"{\"n\": {\"type\": \"int\", \"low\": -9007199254740992, \"high\": 9007199254740992}}",
		PT_ERR_INVALID_PARAMETER,
	"parameter \"n\": step (1) makes more than 2^53 grid points between low and high"},
	/* int */
	{"{\"n\": {\"type\": \"int\", \"low\": 0.5, \"high\": 3}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"n\": low (0.5) must be an integer for an int parameter"},
	{"{\"n\": {\"type\": \"int\", \"low\": 0, \"high\": 3.5}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"n\": high (3.5) must be an integer for an int parameter"},
	{"{\"n\": {\"type\": \"int\", \"low\": 0, \"high\": 3, \"step\": 1.5}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"n\": step (1.5) must be an integer for an int parameter"},
	{"{\"n\": {\"type\": \"int\", \"low\": 0, \"high\": 1e17}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"n\": int bounds must lie within -2^53 and 2^53"},
	{"{\"n\": {\"type\": \"int\", \"low\": 0, \"high\": 3, \"choices\": [1]}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"n\": choices does not apply to a int parameter"},
	/* categorical */
	{"{\"c\": {\"type\": \"categorical\"}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"c\": choices are missing for a categorical parameter"},
	{"{\"c\": {\"choices\": []}}", PT_ERR_INVALID_PARAMETER, "parameter \"c\": choices must not be empty"},
	{"{\"c\": {\"choices\": {\"a\": 1}}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"c\": choices must be a JSON array, not an object"},
	{"{\"c\": {\"choices\": \"a,b\"}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"c\": choices must be a JSON array, not a string"},
	{"{\"c\": {\"choices\": [1, {\"a\": 1}]}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"c\": choices[1] is an object; a choice must be a string, number, boolean or null"},
	{"{\"c\": {\"choices\": [[1], 2]}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"c\": choices[0] is an array; a choice must be a string, number, boolean or null"},
	{"{\"c\": {\"choices\": [\"a\", \"b\", \"a\"]}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"c\": duplicate choice \"a\" (choices[0] and choices[2])"},
	{"{\"c\": {\"choices\": [true, 1, true]}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"c\": duplicate choice true (choices[0] and choices[2])"},
	{"{\"c\": {\"choices\": [1, NaN]}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"c\": choices[1] must be a finite number"},
	{"{\"c\": {\"choices\": [1, 2], \"low\": 0}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"c\": low does not apply to a categorical parameter"},
	{"{\"c\": {\"choices\": [1, 2], \"step\": 1}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"c\": step does not apply to a categorical parameter"},
	{"{\"c\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"choices\": [1, 2]}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"c\": choices does not apply to a float parameter"},
	{"{\"c\": {\"choices\": [\"a\", \"b\"], \"default\": \"z\"}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"c\": default \"z\" is not among the choices"},
	{"{\"c\": {\"choices\": [1, 2], \"default\": \"1\"}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"c\": default \"1\" is not among the choices"},
	{"{\"c\": {\"choices\": [1, 2], \"default\": [1]}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"c\": default [1] is not among the choices"},
	{"{\"c\": {\"choices\": [1, 2], \"default\": null}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"c\": default null is not among the choices"},
	/* bool */
	{"{\"b\": {\"type\": \"bool\", \"low\": 0, \"high\": 1}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"b\": low does not apply to a bool parameter"},
	{"{\"b\": {\"type\": \"bool\", \"choices\": [true, false]}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"b\": choices does not apply to a bool parameter"},
	{"{\"b\": {\"type\": \"bool\", \"default\": 1}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"b\": default must be true or false for a bool parameter, not a number"},
	/* defaults of numeric parameters */
	{"{\"x\": {\"low\": 0, \"high\": 5, \"default\": 7}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": default (7) is outside [0, 5]"},
	{"{\"x\": {\"low\": 0, \"high\": 5, \"default\": -0.5}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": default (-0.5) is outside [0, 5]"},
	{"{\"x\": {\"low\": 0, \"high\": 1, \"step\": 0.25, \"default\": 0.3}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": default (0.3) is not on the grid low + k*step (low 0, step 0.25)"},
	{"{\"x\": {\"low\": 0, \"high\": 1.1, \"step\": 0.25, \"default\": 1.1}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": default (1.1) is outside [0, 1]"},
	{"{\"x\": {\"low\": 0, \"high\": 5, \"default\": \"2\"}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"x\": default must be a number, not a string"},
	{"{\"n\": {\"type\": \"int\", \"low\": 0, \"high\": 5, \"default\": 2.5}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"n\": default (2.5) must be an integer for an int parameter"},
	{"{\"n\": {\"type\": \"int\", \"low\": 0, \"high\": 10, \"step\": 3, \"default\": 4}}", PT_ERR_INVALID_PARAMETER,
	"parameter \"n\": default (4) is not on the grid low + k*step (low 0, step 3)"},
	/* names */
	{"{\"\": {\"low\": 0, \"high\": 1}}", PT_ERR_INVALID_PARAMETER, "parameter name must not be empty"},
};

/* Parse json, expecting failure with code and exact message. */
static void
expect_bad(const char *json, PtErrorCode code, const char *message)
{
	PtError		err;
	PtSpace    *space = PtSpaceParse(json, &err);
	int			shown = (int) strcspn(json, "\n");

	CHECK(space == NULL && err.code == code, "refused (%s): %.*s", PtErrorCodeName(err.code),
		  shown < 80 ? shown : 80, json);
	CHECK(strcmp(err.message, message) == 0, "message: %s", err.message);
	PtSpaceFree(space);
}

/* Parse json, expecting success. */
static PtSpace *
expect_good(const char *json)
{
	PtError		err;
	PtSpace    *space = PtSpaceParse(json, &err);
	int			shown = (int) strcspn(json, "\n");

	CHECK(space != NULL && err.code == PT_OK, "accepted: %.*s (%s)", shown < 80 ? shown : 80, json,
		  err.message);
	return space;
}

/* Tests of the limits: names, parameter count, choices. */
static void
test_limits(void)
{
	char		buf[40000];
	char		name[PT_CHOICE_TEXT_MAX + 2];
	size_t		len;
	int			i;
	PtSpace    *s;
	PtError		err;

	/* name of exactly the limit is fine; one more byte is not */
	memset(name, 'n', PT_PARAM_NAME_MAX);
	name[PT_PARAM_NAME_MAX] = '\0';
	snprintf(buf, sizeof(buf), "{\"%s\": {\"low\": 0, \"high\": 1}}", name);
	s = expect_good(buf);
	PtSpaceFree(s);
	name[PT_PARAM_NAME_MAX] = 'n';
	name[PT_PARAM_NAME_MAX + 1] = '\0';
	snprintf(buf, sizeof(buf), "{\"%s\": {\"low\": 0, \"high\": 1}}", name);
	s = PtSpaceParse(buf, &err);
	CHECK(s == NULL && err.code == PT_ERR_INVALID_PARAMETER &&
		  strstr(err.message, "...\" is longer than 128 bytes") != NULL &&
		  strncmp(err.message, "parameter name \"nnnn", 20) == 0, "long name: %s", err.message);

	/* 64 parameters are fine, 65 are not */
	len = snprintf(buf, sizeof(buf), "{");
	for (i = 0; i < PT_SPACE_MAX_PARAMS; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s\"p%d\": {\"low\": 0, \"high\": %d}",
						i ? ", " : "", i, i + 1);
	snprintf(buf + len, sizeof(buf) - len, "}");
	s = expect_good(buf);
	CHECK(s != NULL && s->n_params == PT_SPACE_MAX_PARAMS, "64 parameters");
	CHECK(s != NULL && PtSpaceFind(s, "p63") == 63 && s->params[63].high == 64, "p63 last, in order");
	PtSpaceFree(s);
	snprintf(buf + len, sizeof(buf) - len, ", \"p64\": {\"low\": 0, \"high\": 1}}");
	expect_bad(buf, PT_ERR_INVALID_PARAMETER, "the search space has 65 parameters, more than the limit of 64");

	/* 256 choices fine, 257 not */
	len = snprintf(buf, sizeof(buf), "{\"c\": {\"choices\": [");
	for (i = 0; i < PT_SPACE_MAX_CHOICES; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%d", i ? ", " : "", i);
	snprintf(buf + len, sizeof(buf) - len, "]}}");
	s = expect_good(buf);
	CHECK(s != NULL && s->params[0].n_choices == 256 && strcmp(s->params[0].choices[255], "255") == 0,
		  "256 choices");
	PtSpaceFree(s);
	snprintf(buf + len, sizeof(buf) - len, ", 999]}}");
	expect_bad(buf, PT_ERR_INVALID_PARAMETER, "parameter \"c\": 257 choices is more than the limit of 256");

	/* choice text: 256 bytes fine (254 letters + quotes), 257 not */
	memset(name, 'a', 254);
	name[254] = '\0';
	snprintf(buf, sizeof(buf), "{\"c\": {\"choices\": [\"%s\", 1]}}", name);
	s = expect_good(buf);
	PtSpaceFree(s);
	snprintf(buf, sizeof(buf), "{\"c\": {\"choices\": [1, \"%sa\"]}}", name);
	expect_bad(buf, PT_ERR_INVALID_PARAMETER, "parameter \"c\": choices[1] is longer than 256 bytes as JSON text");
}

/* Good spaces and what they parse to. */
static void
test_good(void)
{
	PtSpace    *s;
	const PtParam *p;

	s = expect_good("{\"mm.c_vol\": {\"type\": \"float\", \"low\": 0, \"high\": 5, \"description\": \"vol\"},"
					" \"mm.layers\": {\"type\": \"int\", \"low\": 1, \"high\": 5},"
					" \"signal.flow_hl_s\": {\"type\": \"float\", \"low\": 10, \"high\": 600, \"log\": true},"
					" \"mm.post_only\": {\"type\": \"categorical\", \"choices\": [true, false]},"
					" \"b\": {\"type\": \"bool\", \"default\": true},"
					" \"c\": {\"choices\": [\"x\", 2.5, null], \"default\": null},"
					" \"d\": {\"choices\": [\"x\", 2.5]},"
					" \"q\": {\"low\": 0, \"high\": 1, \"step\": 0.1, \"default\": 0.3, \"log\": false}}");
	if (s == NULL)
		return;
	CHECK(s->n_params == 8, "eight parameters");
	p = &s->params[0];
	CHECK(strcmp(p->name, "mm.c_vol") == 0 && p->type == PT_PARAM_FLOAT && p->low == 0 && p->high == 5 &&
		  !p->log && p->step == 0 && !p->has_default && strcmp(p->description, "vol") == 0, "mm.c_vol");
	p = &s->params[1];
	CHECK(p->type == PT_PARAM_INT && p->low == 1 && p->high == 5 && p->step == 1 && p->description == NULL,
		  "mm.layers int step 1");
	p = &s->params[2];
	CHECK(p->type == PT_PARAM_FLOAT && p->log && p->low == 10 && p->high == 600, "log float");
	p = &s->params[3];
	CHECK(p->type == PT_PARAM_CATEGORICAL && p->n_choices == 2 && strcmp(p->choices[0], "true") == 0 &&
		  strcmp(p->choices[1], "false") == 0, "categorical of booleans");
	p = &s->params[4];
	CHECK(p->type == PT_PARAM_BOOL && p->n_choices == 2 && strcmp(p->choices[0], "false") == 0 &&
		  strcmp(p->choices[1], "true") == 0 && p->has_default && p->default_value == 1, "bool default true");
	p = &s->params[5];
	CHECK(p->type == PT_PARAM_CATEGORICAL && p->n_choices == 3 && strcmp(p->choices[0], "\"x\"") == 0 &&
		  strcmp(p->choices[1], "2.5") == 0 && strcmp(p->choices[2], "null") == 0 && p->has_default &&
		  p->default_value == 2, "categorical inferred from choices; a null default is the null choice");
	p = &s->params[6];
	CHECK(p->type == PT_PARAM_CATEGORICAL && p->n_choices == 2 && !p->has_default, "categorical without default");
	p = &s->params[7];
	CHECK(p->type == PT_PARAM_FLOAT && p->step == 0.1 && p->high == 1 && p->has_default &&
		  p->default_value == 0.3, "stepped float keeps high 1 and default 0.3");
	CHECK(PtSpaceFind(s, "c") == 5 && PtSpaceFind(s, "nope") == -1 && PtSpaceFind(s, "C") == -1, "find");
	CHECK(strcmp(PtParamTypeName(PT_PARAM_FLOAT), "float") == 0 &&
		  strcmp(PtParamTypeName(PT_PARAM_INT), "int") == 0 &&
		  strcmp(PtParamTypeName(PT_PARAM_CATEGORICAL), "categorical") == 0 &&
		  strcmp(PtParamTypeName(PT_PARAM_BOOL), "bool") == 0, "type names");
	PtSpaceFree(s);

	/* float step: high lowered onto the grid, like Optuna */
	s = expect_good("{\"x\": {\"low\": 0, \"high\": 1.1, \"step\": 0.25}}");
	CHECK(s != NULL && s->params[0].high == 1.0, "high 1.1 step 0.25 -> 1 (%g)", s ? s->params[0].high : -1);
	CHECK(s != NULL && PtParamGridSteps(&s->params[0]) == 4, "4 steps");
	PtSpaceFree(s);
	s = expect_good("{\"x\": {\"low\": 0, \"high\": 1, \"step\": 0.3}}");
	CHECK(s != NULL && s->params[0].high == 0.9, "high 1 step 0.3 -> 0.9, not 0.8999999999999999 (%.17g)",
		  s ? s->params[0].high : -1);
	PtSpaceFree(s);
	s = expect_good("{\"x\": {\"low\": 0.1, \"high\": 0.7, \"step\": 0.2}}");
	CHECK(s != NULL && s->params[0].high == 0.7, "0.1..0.7 step 0.2 keeps high within tolerance (%.17g)",
		  s ? s->params[0].high : -1);
	CHECK(s != NULL && PtParamGridSteps(&s->params[0]) == 3, "3 steps");
	CHECK(s != NULL && PtParamGridValue(&s->params[0], 1) == 0.3 && PtParamGridValue(&s->params[0], 2) == 0.5,
		  "grid values print short: %.17g", s ? PtParamGridValue(&s->params[0], 1) : -1);
	PtSpaceFree(s);
	s = expect_good("{\"n\": {\"type\": \"int\", \"low\": 0, \"high\": 10, \"step\": 3, \"default\": 9}}");
	CHECK(s != NULL && s->params[0].high == 9 && s->params[0].default_value == 9, "int high 10 step 3 -> 9");
	PtSpaceFree(s);
	s = expect_good("{\"n\": {\"type\": \"int\", \"low\": 1, \"high\": 1000, \"log\": true, \"step\": 1}}");
	CHECK(s != NULL && s->params[0].log && s->params[0].step == 1, "log int with explicit step 1");
	PtSpaceFree(s);
	s = expect_good("{\"x\": {\"low\": 0, \"high\": 1, \"step\": 1}}");
	CHECK(s != NULL && s->params[0].high == 1 && PtParamGridSteps(&s->params[0]) == 1, "step equal to range");
	PtSpaceFree(s);
	s = expect_good("{\"n\": {\"type\": \"int\", \"low\": 2.0, \"high\": 4e0}}");
	CHECK(s != NULL && s->params[0].low == 2 && s->params[0].high == 4, "int bounds written as doubles");
	PtSpaceFree(s);
	s = expect_good("{\"x\": {\"low\": 0, \"high\": 1, \"choices\": null, \"type\": null, \"log\": null},"
					" \"b\": {\"type\": \"bool\", \"low\": null, \"choices\": null},"
					" \"c\": {\"choices\": [1, 2], \"step\": null, \"default\": 2}}");
	CHECK(s != NULL && s->params[0].type == PT_PARAM_FLOAT && !s->params[0].log &&
		  s->params[1].type == PT_PARAM_BOOL && s->params[2].type == PT_PARAM_CATEGORICAL &&
		  s->params[2].default_value == 1, "null optional keys count as absent");
	PtSpaceFree(s);
	s = expect_good("  {\"x\": {\"low\": -1e-3, \"high\": 1e3, \"step\": null}}\n ");
	CHECK(s != NULL && s->params[0].step == 0, "white space around, null step means continuous");
	PtSpaceFree(s);
}

/* Points to and from JSON. */
static void
test_points(void)
{
	PtSpace    *s;
	PtError		err;
	double		x[8];
	double		y[8];
	char	   *text;
	char		buf[64];

	PtFormatDouble(0.1, buf, sizeof(buf));
	CHECK(strcmp(buf, "0.1") == 0, "format 0.1: %s", buf);
	PtFormatDouble(2.0, buf, sizeof(buf));
	CHECK(strcmp(buf, "2") == 0, "format 2.0: %s", buf);
	PtFormatDouble(1.0 / 3.0, buf, sizeof(buf));
	CHECK(strcmp(buf, "0.3333333333333333") == 0, "format 1/3: %s", buf);
	PtFormatDouble(0.1 + 0.2, buf, sizeof(buf));
	CHECK(strcmp(buf, "0.30000000000000004") == 0, "format 0.1+0.2: %s", buf);
	PtFormatDouble(1e21, buf, sizeof(buf));
	CHECK(strcmp(buf, "1e+21") == 0, "format 1e21: %s", buf);

	s = expect_good("{\"f\": {\"low\": -5, \"high\": 10}, \"n\": {\"type\": \"int\", \"low\": 1, \"high\": 9},"
					" \"c\": {\"choices\": [\"a\", 2, null, \"x/y\"], \"default\": \"a\"},"
					" \"b\": {\"type\": \"bool\"}, \"g\": {\"low\": 1, \"high\": 100, \"log\": true, \"default\": 10}}");
	if (s == NULL)
		return;
	x[0] = 0.1;
	x[1] = 7;
	x[2] = 3;
	x[3] = 1;
	x[4] = 2.0;
	text = PtSpacePointToJson(s, x, &err);
	CHECK(text != NULL && strcmp(text, "{\"f\":0.1,\"n\":7,\"c\":\"x/y\",\"b\":true,\"g\":2}") == 0,
		  "point to JSON: %s", text ? text : err.message);
	CHECK(PtSpacePointFromJson(s, text, "round trip", 0, y, &err) == PT_OK, "read back: %s", err.message);
	CHECK(memcmp(x, y, sizeof(double) * 5) == 0, "round trip is exact");
	PtFree(text);

	x[0] = 1.0 / 3.0;
	x[2] = 2;
	x[3] = 0;
	x[4] = NAN;
	text = PtSpacePointToJson(s, x, &err);
	CHECK(text != NULL &&
		  strcmp(text, "{\"f\":0.3333333333333333,\"n\":7,\"c\":null,\"b\":false}") == 0,
		  "an unset (NaN) dimension is left out: %s", text ? text : err.message);
	PtFree(text);
	x[4] = exp(1.0);
	text = PtSpacePointToJson(s, x, &err);
	CHECK(text != NULL && PtSpacePointFromJson(s, text, "round trip", 0, y, &err) == PT_OK &&
		  memcmp(x, y, sizeof(double) * 5) == 0, "round trip with shortest floats is exact");
	PtFree(text);
	CHECK(PtSpacePointFromJson(s, "{\"f\": 1, \"n\": 2, \"b\": true, \"fx\": [1]}", "stored row",
							   PT_POINT_IGNORE_UNKNOWN, y, &err) == PT_OK,
		  "a stored row's keys outside the space are skipped when asked: %s", err.message);

	/* defaults fill the gaps */
	CHECK(PtSpacePointFromJson(s, "{\"f\": 1, \"n\": 2, \"b\": false}", "warm_start[0]", 0, y, &err) == PT_OK &&
		  y[2] == 0 && y[4] == 10, "defaults used for c and g");

	/* errors from PtSpacePointFromJson */
	CHECK(PtSpacePointFromJson(s, "{\"f\": 1, \"n\": 2}", "warm_start[3]", 0, y, &err) ==
		  PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "warm_start[3]: parameter \"b\" is missing and has no default") == 0,
		  "missing without default: %s", err.message);
	CHECK(PtSpacePointFromJson(s, "{\"f\": 1, \"n\": 2, \"b\": true, \"zz\": 1}", "warm_start[3]", 0, y, &err) ==
		  PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "warm_start[3]: unknown parameter \"zz\"") == 0 &&
		  strcmp(err.detail, "It is not in the search space.") == 0,
		  "unknown key: %s", err.message);
	CHECK(PtSpacePointFromJson(s, "{\"f\": 11, \"n\": 2, \"b\": true}", "w", 0, y, &err) ==
		  PT_ERR_INVALID_PARAMETER && strcmp(err.message, "w: parameter \"f\": 11 is outside [-5, 10]") == 0,
		  "out of range: %s", err.message);
	CHECK(PtSpacePointFromJson(s, "{\"f\": 1, \"n\": 2.5, \"b\": true}", "w", 0, y, &err) ==
		  PT_ERR_INVALID_PARAMETER && strcmp(err.message, "w: parameter \"n\": 2.5 is not an integer") == 0,
		  "int not integral: %s", err.message);
	CHECK(PtSpacePointFromJson(s, "{\"f\": \"1\", \"n\": 2, \"b\": true}", "w", 0, y, &err) ==
		  PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "w: parameter \"f\": must be a number, not a string") == 0,
		  "float not a number: %s", err.message);
	CHECK(PtSpacePointFromJson(s, "{\"f\": 1, \"n\": 2, \"b\": 1}", "w", 0, y, &err) ==
		  PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "w: parameter \"b\": must be true or false, not a number") == 0,
		  "bool not boolean: %s", err.message);
	CHECK(PtSpacePointFromJson(s, "{\"f\": 1, \"n\": 2, \"b\": true, \"c\": \"q\"}", "w", 0, y, &err) ==
		  PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "w: parameter \"c\": \"q\" is not among the choices") == 0,
		  "choice not among: %s", err.message);
	CHECK(PtSpacePointFromJson(s, "[1]", "w", 0, y, &err) == PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "w must be a JSON object, not an array") == 0, "not an object: %s", err.message);
	CHECK(PtSpacePointFromJson(s, "{\"f\": ", "w", 0, y, &err) == PT_ERR_INVALID_TEXT &&
		  strcmp(err.message, "w is not valid JSON") == 0, "not JSON: %s", err.message);
	CHECK(PtSpacePointFromJson(s, "{\"f\": 1, \"f\": 2, \"n\": 2, \"b\": true}", "w", 0, y, &err) == PT_OK &&
		  y[0] == 2, "a repeated key keeps its last value, as jsonb does");

	x[2] = 9;
	text = PtSpacePointToJson(s, x, &err);
	CHECK(text == NULL && err.code == PT_ERR_INTERNAL, "choice index out of range: %s", err.message);
	PtSpaceFree(s);

	/* stepped values */
	s = expect_good("{\"q\": {\"low\": 0, \"high\": 1, \"step\": 0.1}, \"n\": {\"type\": \"int\", \"low\": 0,"
					" \"high\": 10, \"step\": 5}}");
	if (s == NULL)
		return;
	CHECK(PtSpacePointFromJson(s, "{\"q\": 0.30000000000000004, \"n\": 5}", "w", 0, y, &err) == PT_OK,
		  "rounding error on the grid is accepted: %s", err.message);
	CHECK(PtSpacePointFromJson(s, "{\"q\": 0.35, \"n\": 5}", "w", 0, y, &err) == PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "w: parameter \"q\": 0.35 is not on the grid low + k*step (low 0, step 0.1)") == 0,
		  "off the float grid: %s", err.message);
	CHECK(PtSpacePointFromJson(s, "{\"q\": 0.3, \"n\": 6}", "w", 0, y, &err) == PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "w: parameter \"n\": 6 is not on the grid low + k*step (low 0, step 5)") == 0,
		  "off the int grid: %s", err.message);
	x[0] = PtParamGridValue(&s->params[0], 7);
	x[1] = 10;
	text = PtSpacePointToJson(s, x, &err);
	CHECK(text != NULL && strcmp(text, "{\"q\":0.7,\"n\":10}") == 0, "grid value prints short: %s", text);
	PtFree(text);
	PtSpaceFree(s);
}

/* Run every check and print the TAP plan. */
int
main(void)
{
	long		live0 = PtAllocLive();
	size_t		i;
	PtError		err;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		expect_bad(bad_cases[i].json, bad_cases[i].code, bad_cases[i].message);

	/* hints and details */
	CHECK(PtSpaceParse("{\"x\": {\"lo\": 0}}", &err) == NULL &&
		  strcmp(err.hint, "Allowed keys: type, low, high, log, step, choices, default, description.") == 0,
		  "unknown key hint: %s", err.hint);
	CHECK(PtSpaceParse("{\"x\": {\"type\": \"real\"}}", &err) == NULL &&
		  strcmp(err.hint, "Types: float, int, categorical, bool.") == 0, "unknown type hint: %s", err.hint);
	CHECK(PtSpaceParse("{\"x\": ", &err) == NULL && strstr(err.detail, "json-c reports") != NULL,
		  "parse detail: %s", err.detail);
	CHECK(PtSpaceParse(NULL, &err) == NULL && err.code == PT_ERR_INVALID_TEXT &&
		  strcmp(err.message, "the search space is missing") == 0, "NULL text: %s", err.message);
	CHECK(PtSpaceParse("{\"x\": 1}", NULL) == NULL, "NULL err is fine");

	test_limits();
	test_good();
	test_points();

	CHECK(PtAllocLive() == live0, "no allocation left live (%ld)", PtAllocLive() - live0);
	return UnitDone();
}
