/*
 * test_objectives.c — unit tests of the closed-form objectives and the objective vtable.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "objective.h"
#include "pt_alloc.h"
#include "pt_error.h"
#include "space.h"
#include "unit.h"

#define BRANIN_MIN 0.397887357729738

/* Evaluate params with an objective; returns the code, the evaluation in *ev. */
static int
eval(PtObjective *obj, const char *params, PtEvaluation *ev, PtError *err)
{
	return PtObjectiveEvaluate(obj, params, ev, NULL, err);
}

/* Branin at its three minima and elsewhere. */
static void
test_branin(void)
{
	PtError		err;
	PtObjective *obj = PtObjectiveCreate(PtObjectiveLookup("branin"), "{}", NULL, &err);
	PtEvaluation ev;
	char		params[128];
	static const double minima[3][2] = {{-M_PI, 12.275}, {M_PI, 2.275}, {9.42478, 2.475}};
	int			i;
	PtSpace    *s;
	bool		stop_flag = true;

	CHECK(obj != NULL && strcmp(obj->ops->name, "branin") == 0, "branin created");
	if (obj == NULL)
		return;
	for (i = 0; i < 3; i++)
	{
		snprintf(params, sizeof(params), "{\"x1\": %.17g, \"x2\": %.17g}", minima[i][0], minima[i][1]);
		CHECK(eval(obj, params, &ev, &err) == PT_OK, "branin minimum %d evaluates: %s", i, err.message);
		CHECK_NEAR(ev.score, -BRANIN_MIN, 1e-5, "branin minimum %d score %.8f near -0.397887", i, ev.score);
		CHECK(ev.report_json != NULL && strstr(ev.report_json, "{\"objective\":\"branin\",\"value\":0.3978") ==
			  ev.report_json, "report: %s", ev.report_json);
		CHECK(ev.summary != NULL && strncmp(ev.summary, "Branin at x1 = ", 15) == 0, "summary: %s", ev.summary);
		PtEvaluationClear(&ev);
	}
	/* f(0, 0) = (-6)^2 + 10 (1 - 1/(8 pi)) cos 0 + 10 = 55.602112642270262 */
	CHECK(eval(obj, "{\"x1\": 0, \"x2\": 0, \"other\": \"ignored\"}", &ev, &err) == PT_OK &&
		  fabs(ev.score + 55.602112642270262) < 1e-9, "branin(0, 0) = 55.6021 (%.12f)", -ev.score);
	CHECK(ev.report_json != NULL &&
		  strcmp(ev.report_json, "{\"objective\":\"branin\",\"value\":55.602112642270264,"
				 "\"score\":-55.602112642270264,\"x1\":0,\"x2\":0}") == 0, "report exact: %s", ev.report_json);
	CHECK(ev.summary != NULL &&
		  strcmp(ev.summary, "Branin at x1 = 0, x2 = 0 is 55.6021, 55.2 above its minimum 0.397887.") == 0,
		  "summary exact: %s", ev.summary);
	PtEvaluationClear(&ev);
	PtEvaluationClear(&ev);

	CHECK(eval(obj, "{\"x1\": 1}", &ev, &err) == PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "objective \"branin\": parameter \"x2\" must be a finite number") == 0 &&
		  ev.report_json == NULL, "missing x2: %s", err.message);
	CHECK(eval(obj, "{\"x1\": true, \"x2\": 1}", &ev, &err) == PT_ERR_INVALID_PARAMETER,
		  "boolean x1 refused: %s", err.message);
	CHECK(eval(obj, "{\"x1\": ", &ev, &err) == PT_ERR_INVALID_TEXT, "bad JSON: %s", err.message);
	CHECK(eval(obj, "[1, 2]", &ev, &err) == PT_ERR_INVALID_PARAMETER, "not an object: %s", err.message);
	{
		PtStop		stop = {NULL, NULL};

		(void) stop_flag;
		CHECK(PtObjectiveEvaluate(obj, "{\"x1\": 1, \"x2\": 2}", &ev, &stop, &err) == PT_OK,
			  "a stop without callback never stops");
		PtEvaluationClear(&ev);
	}

	/* validate_space */
	s = PtSpaceParse("{\"x1\": {\"low\": -5, \"high\": 10}, \"x2\": {\"low\": 0, \"high\": 15}}", &err);
	CHECK(PtObjectiveValidateSpace(obj, s, NULL, &err) == PT_OK, "x1, x2 searched: ok");
	PtSpaceFree(s);
	s = PtSpaceParse("{\"x1\": {\"type\": \"int\", \"low\": -5, \"high\": 10}}", &err);
	CHECK(PtObjectiveValidateSpace(obj, s, "{\"x2\": 3.5}", &err) == PT_OK, "x2 fixed: ok");
	CHECK(PtObjectiveValidateSpace(obj, s, "{\"x2\": \"3.5\"}", &err) == PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "objective \"branin\": options.fixed value of \"x2\" must be a finite number") == 0,
		  "x2 fixed to a string: %s", err.message);
	CHECK(PtObjectiveValidateSpace(obj, s, NULL, &err) == PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "objective \"branin\" needs parameter \"x2\" in the search space or in options.fixed") == 0 &&
		  strcmp(err.hint, "Search x1 in [-5, 10] and x2 in [0, 15].") == 0, "x2 missing: %s", err.message);
	PtSpaceFree(s);
	s = PtSpaceParse("{\"x1\": {\"choices\": [1, 2]}, \"x2\": {\"low\": 0, \"high\": 15}}", &err);
	CHECK(PtObjectiveValidateSpace(obj, s, NULL, &err) == PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "objective \"branin\": parameter \"x1\" must be float or int, not categorical") == 0,
		  "categorical x1: %s", err.message);
	PtSpaceFree(s);
	PtObjectiveFree(obj);
}

/* The quadratic. */
static void
test_quadratic(void)
{
	PtError		err;
	PtObjective *obj = PtObjectiveCreate(PtObjectiveLookup("quadratic"), NULL, NULL, &err);
	PtEvaluation ev;
	PtSpace    *s;

	CHECK(obj != NULL, "quadratic created");
	if (obj == NULL)
		return;
	CHECK(eval(obj, "{\"x\": 2}", &ev, &err) == PT_OK && ev.score == 0, "quadratic at 2 is 0");
	PtEvaluationClear(&ev);
	CHECK(eval(obj, "{\"x\": 5, \"y\": 0.5, \"n\": 2, \"c\": \"red\", \"b\": true}", &ev, &err) == PT_OK &&
		  ev.score == -(9 + 2.25), "quadratic -(9 + 2.25) = %g", ev.score);
	CHECK(ev.report_json != NULL &&
		  strcmp(ev.report_json, "{\"objective\":\"quadratic\",\"value\":11.25,\"score\":-11.25,\"n\":3}") == 0,
		  "report: %s", ev.report_json);
	CHECK(ev.summary != NULL &&
		  strcmp(ev.summary, "The sum of (v - 2)^2 over 3 numeric parameters is 11.25 (minimum 0, at every v = 2).") == 0,
		  "summary: %s", ev.summary);
	PtEvaluationClear(&ev);
	CHECK(eval(obj, "{\"c\": \"red\"}", &ev, &err) == PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "objective \"quadratic\": the parameter set has no numeric value") == 0,
		  "no numeric value: %s", err.message);

	s = PtSpaceParse("{\"c\": {\"choices\": [1, 2]}, \"b\": {\"type\": \"bool\"}}", &err);
	CHECK(PtObjectiveValidateSpace(obj, s, NULL, &err) == PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "objective \"quadratic\" needs at least one float or int parameter") == 0,
		  "no numeric parameter: %s", err.message);
	CHECK(PtObjectiveValidateSpace(obj, s, "{\"z\": 1}", &err) == PT_OK, "a fixed number counts");
	CHECK(PtObjectiveValidateSpace(obj, s, "[1]", &err) == PT_ERR_INVALID_PARAMETER, "fixed not an object");
	PtSpaceFree(s);
	PtObjectiveFree(obj);
}

/* Stop flag for the cancel test. */
static bool
always_stop(void *arg)
{
	return true;
}

/* Run every check and print the TAP plan. */
int
main(void)
{
	long		live0 = PtAllocLive();
	PtError		err;
	PtObjective *obj;
	PtEvaluation ev;
	PtStop		stop = {always_stop, NULL};

	CHECK(PtObjectiveLookup("branin") == &PtBraninObjective, "lookup branin");
	CHECK(PtObjectiveLookup("quadratic") == &PtQuadraticObjective, "lookup quadratic");
	CHECK(PtObjectiveLookup("rosenbrock") == NULL && PtObjectiveLookup(NULL) == NULL, "unknown names give NULL");
	CHECK(PtObjectiveCreate(NULL, NULL, NULL, &err) == NULL && err.code == PT_ERR_INTERNAL, "NULL ops");
	test_branin();
	test_quadratic();

	obj = PtObjectiveCreate(&PtQuadraticObjective, NULL, NULL, &err);
	CHECK(PtObjectiveEvaluate(obj, "{\"x\": 1}", &ev, &stop, &err) == PT_ERR_CANCELLED &&
		  ev.report_json == NULL, "a stop request cancels before evaluating");
	PtObjectiveFree(obj);
	PtObjectiveFree(NULL);
	PtEvaluationClear(NULL);

	CHECK(PtAllocLive() == live0, "no allocation left live (%ld)", PtAllocLive() - live0);
	return UnitDone();
}
