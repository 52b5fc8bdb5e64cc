/*
 * test_objectives.c — unit tests of the closed-form objectives and the objective vtable.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "objective.h"
#include "objective_open.h"
#include "pt_alloc.h"
#include "pt_error.h"
#include "run_plan.h"
#include "space.h"
#include "unit.h"

#define BRANIN_MIN 0.397887357729738

/* Evaluate the search point x (completed with the plan's fixed values). */
static int
eval(PtRunPlan *plan, PtObjective *obj, const double *x, PtEvaluation *ev, PtError *err)
{
	double		point[PT_EVAL_MAX_PARAMS];

	PtRunPlanEvalPoint(plan, x, point);
	return PtObjectiveEvaluate(obj, point, ev, NULL, err);
}

#define BRANIN_SPACE "{\"x1\": {\"low\": -5, \"high\": 10}, \"x2\": {\"low\": 0, \"high\": 15}}"

/* Branin at its three minima and elsewhere. */
static void
test_branin(void)
{
	PtError		err;
	PtRunPlan  *plan;
	PtObjective *obj;
	PtEvaluation ev;
	static const double minima[3][2] = {{-M_PI, 12.275}, {M_PI, 2.275}, {9.42478, 2.475}};
	double		x[2];
	int			i;

	CHECK(open_objective("branin", BRANIN_SPACE, NULL, &plan, &obj, &err) == PT_OK &&
		  strcmp(obj->ops->name, "branin") == 0, "branin created, x1 and x2 searched");
	if (obj == NULL)
		return;
	for (i = 0; i < 3; i++)
	{
		CHECK(eval(plan, obj, minima[i], &ev, &err) == PT_OK, "branin minimum %d evaluates: %s", i, err.message);
		CHECK_NEAR(ev.score, -BRANIN_MIN, 1e-5, "branin minimum %d score %.8f near -0.397887", i, ev.score);
		CHECK(ev.report_json != NULL && strstr(ev.report_json, "{\"objective\":\"branin\",\"value\":0.3978") ==
			  ev.report_json, "report: %s", ev.report_json);
		CHECK(ev.summary != NULL && strncmp(ev.summary, "Branin at x1 = ", 15) == 0, "summary: %s", ev.summary);
		PtEvaluationClear(&ev);
	}
	/* f(0, 0) = (-6)^2 + 10 (1 - 1/(8 pi)) cos 0 + 10 = 55.602112642270262 */
	x[0] = x[1] = 0;
	CHECK(eval(plan, obj, x, &ev, &err) == PT_OK &&
		  fabs(ev.score + 55.602112642270262) < 1e-9, "branin(0, 0) = 55.6021 (%.12f)", -ev.score);
	CHECK(ev.report_json != NULL &&
		  strcmp(ev.report_json, "{\"objective\":\"branin\",\"value\":55.602112642270264,"
				 "\"score\":-55.602112642270264,\"x1\":0,\"x2\":0}") == 0, "report exact: %s", ev.report_json);
	CHECK(ev.summary != NULL &&
		  strcmp(ev.summary, "Branin at x1 = 0, x2 = 0 is 55.6021, 55.2 above its minimum 0.397887.") == 0,
		  "summary exact: %s", ev.summary);
	PtEvaluationClear(&ev);
	PtEvaluationClear(&ev);
	x[1] = NAN;
	CHECK(eval(plan, obj, x, &ev, &err) == PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "objective \"branin\": parameter \"x2\" must be a finite number") == 0 &&
		  ev.report_json == NULL, "unset x2: %s", err.message);
	{
		PtStop		stop = {NULL, NULL};

		x[1] = 2;
		CHECK(PtObjectiveEvaluate(obj, x, &ev, &stop, &err) == PT_OK, "a stop without callback never stops");
		PtEvaluationClear(&ev);
	}
	close_objective(plan, obj);

	/* what init accepts */
	CHECK(open_objective("branin", "{\"x1\": {\"type\": \"int\", \"low\": -5, \"high\": 10}}",
						 "{\"fixed\": {\"x2\": 3.5, \"other\": \"ignored\"}}", &plan, &obj, &err) == PT_OK,
		  "x2 fixed: ok (%s)", err.message);
	if (obj != NULL)
	{
		x[0] = 0;
		CHECK(eval(plan, obj, x, &ev, &err) == PT_OK && strstr(ev.report_json, "\"x2\":3.5") != NULL,
			  "the fixed x2 is evaluated: %s", ev.report_json);
		PtEvaluationClear(&ev);
	}
	close_objective(plan, obj);
	CHECK(open_objective("branin", "{\"x1\": {\"type\": \"int\", \"low\": -5, \"high\": 10}}",
						 "{\"fixed\": {\"x2\": \"3.5\"}}", &plan, &obj, &err) == PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "objective \"branin\": options.fixed value of \"x2\" must be a finite number") == 0,
		  "x2 fixed to a string: %s", err.message);
	close_objective(plan, obj);
	CHECK(open_objective("branin", "{\"x1\": {\"type\": \"int\", \"low\": -5, \"high\": 10}}", NULL,
						 &plan, &obj, &err) == PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "objective \"branin\" needs parameter \"x2\" in the search space or in options.fixed") == 0 &&
		  strcmp(err.hint, "Search x1 in [-5, 10] and x2 in [0, 15].") == 0, "x2 missing: %s", err.message);
	close_objective(plan, obj);
	CHECK(open_objective("branin", "{\"x1\": {\"choices\": [1, 2]}, \"x2\": {\"low\": 0, \"high\": 15}}", NULL,
						 &plan, &obj, &err) == PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "objective \"branin\": parameter \"x1\" must be float or int, not categorical") == 0,
		  "categorical x1: %s", err.message);
	close_objective(plan, obj);
}

/* The quadratic. */
static void
test_quadratic(void)
{
	PtError		err;
	PtRunPlan  *plan;
	PtObjective *obj;
	PtEvaluation ev;
	double		x[8];

	CHECK(open_objective("quadratic", "{\"x\": {\"low\": -10, \"high\": 10}}", NULL, &plan, &obj, &err) == PT_OK,
		  "quadratic created");
	if (obj == NULL)
		return;
	x[0] = 2;
	CHECK(eval(plan, obj, x, &ev, &err) == PT_OK && ev.score == 0, "quadratic at 2 is 0");
	PtEvaluationClear(&ev);
	close_objective(plan, obj);

	CHECK(open_objective("quadratic",
						 "{\"x\": {\"low\": -10, \"high\": 10}, \"y\": {\"low\": 0, \"high\": 1},"
						 " \"n\": {\"type\": \"int\", \"low\": 0, \"high\": 5},"
						 " \"c\": {\"choices\": [\"red\", \"blue\"]}, \"b\": {\"type\": \"bool\"}}",
						 NULL, &plan, &obj, &err) == PT_OK, "a mixed space opens");
	x[0] = 5;
	x[1] = 0.5;
	x[2] = 2;
	x[3] = 0;
	x[4] = 1;
	CHECK(eval(plan, obj, x, &ev, &err) == PT_OK && ev.score == -(9 + 2.25), "quadratic -(9 + 2.25) = %g", ev.score);
	CHECK(ev.report_json != NULL &&
		  strcmp(ev.report_json, "{\"objective\":\"quadratic\",\"value\":11.25,\"score\":-11.25,\"n\":3}") == 0,
		  "report: %s", ev.report_json);
	CHECK(ev.summary != NULL &&
		  strcmp(ev.summary, "The sum of (v - 2)^2 over 3 numeric parameters is 11.25 (minimum 0, at every v = 2).") == 0,
		  "summary: %s", ev.summary);
	PtEvaluationClear(&ev);
	x[0] = x[1] = x[2] = NAN;
	CHECK(eval(plan, obj, x, &ev, &err) == PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "objective \"quadratic\": the parameter set has no numeric value") == 0,
		  "no numeric value: %s", err.message);
	close_objective(plan, obj);

	CHECK(open_objective("quadratic", "{\"c\": {\"choices\": [1, 2]}, \"b\": {\"type\": \"bool\"}}", NULL,
						 &plan, &obj, &err) == PT_ERR_INVALID_PARAMETER &&
		  strcmp(err.message, "objective \"quadratic\" needs at least one float or int parameter") == 0,
		  "no numeric parameter: %s", err.message);
	close_objective(plan, obj);
	CHECK(open_objective("quadratic", "{\"c\": {\"choices\": [1, 2]}, \"b\": {\"type\": \"bool\"}}",
						 "{\"fixed\": {\"z\": 1}}", &plan, &obj, &err) == PT_OK, "a fixed number counts");
	if (obj != NULL)
	{
		x[0] = 1;
		x[1] = 0;
		CHECK(eval(plan, obj, x, &ev, &err) == PT_OK && ev.score == -(0 + 1),
			  "the choice 2 and the fixed z = 1 count: %g", ev.score);
		PtEvaluationClear(&ev);
	}
	close_objective(plan, obj);
	CHECK(open_objective("quadratic", "{\"x\": {\"low\": 0, \"high\": 1}}", "{\"fixed\": [1]}",
						 &plan, &obj, &err) == PT_ERR_INVALID_PARAMETER, "fixed not an object");
	close_objective(plan, obj);
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
	PtRunPlan  *plan;
	PtEvaluation ev;
	PtStop		stop = {always_stop, NULL};
	double		x[1] = {1};

	CHECK(PtObjectiveLookup("branin") == &PtBraninObjective, "lookup branin");
	CHECK(PtObjectiveLookup("quadratic") == &PtQuadraticObjective, "lookup quadratic");
	CHECK(PtObjectiveLookup("rosenbrock") == NULL && PtObjectiveLookup(NULL) == NULL, "unknown names give NULL");
	CHECK(PtObjectiveCreate(NULL, NULL, &err) == NULL && err.code == PT_ERR_INTERNAL, "NULL ops");
	test_branin();
	test_quadratic();

	open_objective("quadratic", "{\"x\": {\"low\": 0, \"high\": 1}}", NULL, &plan, &obj, &err);
	CHECK(PtObjectiveEvaluate(obj, x, &ev, &stop, &err) == PT_ERR_CANCELLED &&
		  ev.report_json == NULL, "a stop request cancels before evaluating");
	CHECK(!PtObjectiveHasHoldout(obj) &&
		  PtObjectiveEvaluateHoldout(obj, x, &ev.score, NULL, &err) == PT_ERR_INTERNAL,
		  "a closed-form objective has no held-out evaluation");
	close_objective(plan, obj);
	PtObjectiveFree(NULL);
	PtEvaluationClear(NULL);

	CHECK(PtAllocLive() == live0, "no allocation left live (%ld)", PtAllocLive() - live0);
	return UnitDone();
}
