/*
 * fuzz_plan.c — PtRunPlanCreate, then the strategy's proposals (run_plan.c,
 * strategy.c, random_search.c, tpe*.c, history.c, space.c).
 *
 * Input: 12 header bytes, then space 0x01 options.  Header: strategy (byte 0:
 * even random, odd tpe), budget (bytes 1-2, signed: 0 and negatives too),
 * seed (bytes 3-10), proposals (byte 11, up to FUZZ_PLAN_MAX_PROPOSALS).
 * For a plan that validates, the warm-start points and every proposal must
 * lie within bounds, grid and choices and survive PtSpacePointToJson +
 * PtSpacePointFromJson; scores fed back are a deterministic function of the
 * point, with some trials failed and some scores not finite.
 */
#include "fuzz_common.h"
#include "history.h"
#include "run_plan.h"
#include "strategy.h"
#include "tpe.h"

#define FUZZ_PLAN_HEADER 12
#define FUZZ_PLAN_MAX_PROPOSALS 24
#define FUZZ_PLAN_WORK_MAX 4000000.0	/* candidates x params x proposals, to stay fast */

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A score for a point: smooth in x, sometimes not finite, sometimes failed. */
static double
score_of(const PtSpace *space, const double *x, int iter, PtTrialStatus *status)
{
	double		s = 0;
	int			i;

	for (i = 0; i < space->n_params; i++)
		s += sin(x[i] * (i + 1)) - 0.001 * fabs(x[i]);
	*status = (iter % 7 == 6) ? PT_TRIAL_FAILED : PT_TRIAL_OK;
	if (iter % 11 == 10)
		return NAN;
	if (iter % 13 == 12)
		return -INFINITY;
	return s;
}

/*
 * Write an evaluation point as the stored row's JSON, read its search part
 * back (fixed and extra keys skipped, as a resumed run reads its rows), and
 * require the same values.
 */
static void
plan_round_trip(const PtRunPlan *plan, const double *point, const char *what)
{
	PtError		err;
	double		y[PT_SPACE_MAX_PARAMS];
	char	   *json;
	int			rc;
	int			i;

	json = PtRunPlanPointJson(plan, point, &err);
	FUZZ_ASSERT(json != NULL, "%s: PtRunPlanPointJson failed: %s", what, err.message);
	rc = PtSpacePointFromJson(plan->space, json, what, PT_POINT_IGNORE_UNKNOWN, y, &err);
	FUZZ_ASSERT(rc == PT_OK, "%s: %s does not read back: %s", what, json, err.message);
	for (i = 0; i < plan->space->n_params; i++)
		FUZZ_ASSERT(y[i] == point[i], "%s: parameter \"%s\": %.17g came back as %.17g from %s",
					what, plan->space->params[i].name, point[i], y[i], json);
	PtFree(json);
}

/* Fuzz one input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long		live = PtAllocLive();
	char	   *text;
	bool		utf8;
	char	   *parts[FUZZ_MAX_PARTS];
	const char *strategy;
	int			budget;
	uint64_t	seed = 0;
	int			n_prop;
	PtError		err;
	PtRunPlan  *plan;
	PtStrategy *strat;
	PtStrategyInit sinit;
	PtHistory  *history;
	TpeOptions	topt;
	int			i;

	if (size < FUZZ_PLAN_HEADER)
		return 0;
	strategy = (data[0] & 1) ? "tpe" : "random";
	budget = (int16_t) (data[1] | (data[2] << 8));
	for (i = 0; i < 8; i++)
		seed |= (uint64_t) data[3 + i] << (8 * i);
	n_prop = data[11] % (FUZZ_PLAN_MAX_PROPOSALS + 1);
	text = fuzz_text(data + FUZZ_PLAN_HEADER, size - FUZZ_PLAN_HEADER);
	utf8 = fuzz_utf8_valid(text, size - FUZZ_PLAN_HEADER);
	fuzz_split(text, parts, 2);
	if (parts[1] == NULL)
		parts[1] = "{}";

	plan = PtRunPlanCreate(parts[0], strategy, budget, seed, parts[1], &err);
	if (plan == NULL)
	{
		fuzz_check_error(&err, err.code, utf8);
		goto done;
	}
	FUZZ_ASSERT(err.code == PT_OK, "plan created with an error set");
	fuzz_check_space(plan->space);
	FUZZ_ASSERT(plan->n_warm >= 0 && plan->n_warm <= plan->budget, "n_warm %d", plan->n_warm);
	for (i = 0; i < plan->n_warm; i++)
	{
		fuzz_check_point(plan->space, PtRunPlanWarmPoint(plan, i), "warm start");
		plan_round_trip(plan, PtRunPlanWarmPoint(plan, i), "warm start");
	}

	/* Keep each input fast: TPE's work grows with candidates x parameters. */
	if (n_prop > plan->budget)
		n_prop = plan->budget;
	if (TpeOptionsParse(plan->options_json, &topt, &err) == PT_OK && data[0] & 1 &&
		(double) topt.n_ei_candidates * plan->space->n_params * n_prop > FUZZ_PLAN_WORK_MAX)
		n_prop = 0;

	sinit = PtRunPlanStrategyInit(plan);
	strat = PtStrategyCreate(plan->strategy, &sinit, &err);
	FUZZ_ASSERT(strat != NULL, "strategy of a valid plan not created: %s", err.message);
	history = PtHistoryCreate(plan->space, &err);
	FUZZ_ASSERT(history != NULL, "history not created");
	for (i = 0; i < n_prop; i++)
	{
		double		x[PT_SPACE_MAX_PARAMS];
		double		point[PT_EVAL_MAX_PARAMS];
		PtProposal	prop = {0};
		PtTrial		trial = {0};
		int			rc;

		prop.x = x;
		if (i < plan->n_warm)
		{
			memcpy(x, PtRunPlanWarmPoint(plan, i), sizeof(double) * plan->space->n_params);
			prop.source = PT_SOURCE_WARM_START;
		}
		else
		{
			rc = PtStrategyPropose(strat, history, i + 1, &prop, NULL, &err);
			FUZZ_ASSERT(rc == PT_OK, "propose %d failed: %s", i + 1, err.message);
		}
		fuzz_check_point(plan->space, x, plan->strategy);
		if (i < plan->n_warm)
			memcpy(point, PtRunPlanWarmPoint(plan, i), sizeof(double) * plan->eval_space->n_params);
		else
			PtRunPlanEvalPoint(plan, x, point);
		plan_round_trip(plan, point, plan->strategy);
		trial.iter = i + 1;
		trial.x = x;
		trial.source = prop.source;
		trial.score = score_of(plan->space, x, i, &trial.status);
		trial.reasoning = prop.reasoning;
		rc = PtHistoryAppend(history, &trial, &err);
		FUZZ_ASSERT(rc == PT_OK, "append failed");
		PtStrategyObserve(strat, history, &history->trials[history->n - 1]);
		PtFree(prop.reasoning);
	}
	PtHistoryFree(history);
	PtStrategyFree(strat);
	PtRunPlanFree(plan);
done:
	FUZZ_ASSERT(PtAllocLive() == live, "%ld allocations leaked", PtAllocLive() - live);
	free(text);
	return 0;
}
