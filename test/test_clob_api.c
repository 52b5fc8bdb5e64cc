/*
 * test_clob_api.c — the public face of the CLOB V2 backtest: parameter and
 * option errors, the tables, the score formula, the envelope, determinism,
 * cancellation, and the "clob_v2" objective.
 */
#include <math.h>
#include <string.h>

#include <json-c/json.h>

#include "clob.h"
#include "clob_internal.h"
#include "gates.h"
#include "objective.h"
#include "objective_clob.h"
#include "objective_open.h"
#include "run_plan.h"
#include "rng.h"
#include "pt_alloc.h"
#include "space.h"
#include "unit.h"

#define SMALL "{\"train_seeds\": 2, \"holdout_seeds\": 1}"

/* ClobCheckParams: the code and, when given, the exact message. */
static void
check_params(const char *json, int code, const char *message)
{
	PtError		err;
	int			rc;

	PtErrorClear(&err);
	rc = ClobCheckParams(json, &err);
	CHECK(rc == code && (message == NULL || strcmp(err.message, message) == 0),
		  "params %s -> %s (%s)", json, PtErrorCodeName((PtErrorCode) rc), err.message);
}

/* ClobSessionCreate refuses options or a policy with a code. */
static void
check_session(const char *options, const char *policy, int code, const char *needle)
{
	PtError		err;
	ClobSession *s;

	PtErrorClear(&err);
	s = ClobSessionCreate(options, policy, &err);
	CHECK(s == NULL && (int) err.code == code && (needle == NULL || strstr(err.message, needle) != NULL),
		  "session(%s, %s) refused: %s", options ? options : "NULL", policy ? policy : "NULL",
		  err.message);
	ClobSessionFree(s);
}

/* Unknown, mistyped and out-of-range parameters, options and policy settings. */
static void
test_errors(void)
{
	check_params("{}", PT_OK, NULL);
	check_params("{\"mm.layers\": 3, \"mm.c_vol\": 0.5, \"mm.post_only\": false}", PT_OK, NULL);
	check_params("{\"mm.foo\": 1}", PT_ERR_INVALID_PARAMETER, "unknown backtest parameter \"mm.foo\"");
	check_params("{\"mm.layers\": 2.5}", PT_ERR_INVALID_PARAMETER, "parameter \"mm.layers\" must be an integer");
	check_params("{\"mm.layers\": \"2\"}", PT_ERR_INVALID_PARAMETER, "parameter \"mm.layers\" must be an integer");
	check_params("{\"mm.c_vol\": 7}", PT_ERR_INVALID_PARAMETER, "parameter \"mm.c_vol\" = 7 is out of range [0, 2]");
	check_params("{\"mm.base_size_pusd\": 4.9999999999999991}", PT_OK, NULL);	/* rounding at a bound */
	check_params("{\"mm.base_size_pusd\": 4.99}", PT_ERR_INVALID_PARAMETER,
				 "parameter \"mm.base_size_pusd\" = 4.99 is out of range [5, 500]");
	check_params("{\"mm.layers\": 0}", PT_ERR_INVALID_PARAMETER, "parameter \"mm.layers\" = 0 is out of range [1, 5]");
	check_params("{\"mm.post_only\": 1}", PT_ERR_INVALID_PARAMETER, "parameter \"mm.post_only\" must be a boolean");
	check_params("{\"mm.c_vol\": true}", PT_ERR_INVALID_PARAMETER, "parameter \"mm.c_vol\" must be a number");
	check_params("{\"risk.killswitch.max_loss_pusd\": 1}", PT_ERR_HARD_GATE, NULL);
	check_params("{\"risk\": {\"killswitch\": {\"cooldown_s\": 1}}}", PT_ERR_HARD_GATE, NULL);
	check_params("{\"sec.signer.eip712_domain_version\": \"1\"}", PT_ERR_HARD_GATE, NULL);
	check_params("{\"risk.inventory.q_soft_frac\": 0.5}", PT_OK, NULL);
	check_params("{\"mm.layers\": ", PT_ERR_INVALID_TEXT, NULL);
	check_params("[1, 2]", PT_ERR_INVALID_PARAMETER, NULL);

	check_session("{\"scenario\": \"nope\"}", NULL, PT_ERR_INVALID_PARAMETER, "unknown backtest scenario \"nope\"");
	check_session("{\"flavour\": 1}", NULL, PT_ERR_INVALID_PARAMETER, "unknown backtest option \"flavour\"");
	check_session("{\"train_seeds\": 0}", NULL, PT_ERR_INVALID_PARAMETER, "out of range");
	check_session("{\"train_seeds\": \"8\"}", NULL, PT_ERR_INVALID_PARAMETER, "must be an integer");
	check_session("{\"overrides\": {\"nope\": 1}}", NULL, PT_ERR_INVALID_PARAMETER, "unknown scenario setting \"nope\"");
	check_session("{\"overrides\": {\"fee_rate\": 2}}", NULL, PT_ERR_INVALID_PARAMETER, "out of range");
	check_session("{\"train_seeds\": 64, \"holdout_seeds\": 64, \"overrides\": {\"window_s\": 172800}}", NULL,
				  PT_ERR_INVALID_PARAMETER, "more than the limit");
	check_session("{\"per_seed\": 1}", NULL, PT_ERR_INVALID_PARAMETER, "must be a boolean");
	check_session("{oops", NULL, PT_ERR_INVALID_TEXT, NULL);
	check_session(NULL, "{\"risk.killswitch.nope\": 1}", PT_ERR_INVALID_PARAMETER, "unknown policy setting");
	check_session(NULL, "{\"mm.layers\": 1}", PT_ERR_INVALID_PARAMETER, "unknown policy setting");
	check_session(NULL, "{\"risk.killswitch.max_loss_pusd\": \"x\"}", PT_ERR_INVALID_PARAMETER, "must be a number");
	check_session(NULL, "{\"risk.killswitch.force_trip\": 1}", PT_ERR_INVALID_PARAMETER, "must be a boolean");
	check_session(NULL, "{\"risk.markethaltguard.halt_sources\": [\"moon\"]}", PT_ERR_INVALID_PARAMETER, "unknown halt source");
	check_session(NULL, "{\"risk.compliancegate.builder_allowlist\": \"ptopt\"}", PT_ERR_INVALID_PARAMETER, "array of strings");
}

/* The tunable and gated tables are consistent. */
static void
test_tables(void)
{
	int			n;
	int			i;
	int			j;
	const ClobParamInfo *p = ClobTunableParams(&n);
	const ClobGatedInfo *g;
	bool		ok = true;

	CHECK(n == 27, "27 tunable parameters");
	for (i = 0; i < n; i++)
	{
		if (p[i].default_value < p[i].low || p[i].default_value > p[i].high ||
			p[i].description == NULL || strlen(p[i].description) < 10 || PtGateMatchKey(p[i].name) != NULL)
			ok = false;
		if (p[i].kind == CLOB_PARAM_INT && (p[i].step != 1 || p[i].default_value != floor(p[i].default_value)))
			ok = false;
		for (j = 0; j < i; j++)
			if (strcmp(p[i].name, p[j].name) == 0)
				ok = false;
	}
	CHECK(ok, "defaults lie in their ranges; names unique, ungated and described");
	CHECK(strcmp(p[ClobParamIndex("mm.base_size_pusd")].name, "mm.base_size_pusd") == 0 &&
		  p[ClobParamIndex("mm.base_size_pusd")].log, "mm.base_size_pusd is searched on a log scale");
	g = ClobGatedSettings(&n);
	ok = n == 14;
	for (i = 0; i < n; i++)
	{
		struct json_object *v = json_tokener_parse(g[i].default_json);

		if (v == NULL || PtGateMatchKey(g[i].name) == NULL)
			ok = false;
		json_object_put(v);
	}
	CHECK(ok, "14 gated settings, each in a gate family, defaults are JSON");
}

/* The score (docs/backtest.md, "The score") on hand-made metrics. */
static void
test_score(void)
{
	ClobSeedMetrics m[5];
	ClobScoreParts parts;
	double		r[5] = {0.1, -0.2, 0.05, 0.0, 0.3};
	double		dd[5] = {10, 50, 20, 0, 40};
	double		adv[5] = {5, -3, 0, 12, 1};
	int			fills[5] = {10, 0, 5, 20, 5};
	double		mean = 0.05;
	double		sd;
	double		expect;
	double		score;
	int			i;

	memset(m, 0, sizeof(m));
	for (i = 0; i < 5; i++)
	{
		m[i].start_cash = 1000;
		m[i].net_pnl = r[i] * 1000;
		m[i].max_drawdown = dd[i];
		m[i].adverse_selection_cost = adv[i];
		m[i].fills_maker = fills[i];
		m[i].kill_trips = i == 1 ? 2 : 0;
	}
	sd = sqrt(((0.05 * 0.05) + (0.25 * 0.25) + 0 + (0.05 * 0.05) + (0.25 * 0.25)) / 5);
	/* one risk term (std across worlds) and 0.02 per kill trip: 2 trips over 5 seeds */
	expect = mean - 0.5 * sd - 0.02 * (2.0 / 5);
	score = ClobScore(m, 5, &parts);
	CHECK_NEAR(score, expect, 1e-12, "score %.12f equals the formula %.12f", score, expect);
	CHECK_NEAR(parts.kill_trips, 0.4, 1e-15, "kill trips per seed");
	CHECK_NEAR(parts.stderr_r, sd * sqrt(5.0 / 4.0) / sqrt(5.0), 1e-15,
			   "standard error: sample std over sqrt(n)");
	{
		ClobSeedMetrics idle[3];

		memset(idle, 0, sizeof(idle));
		for (i = 0; i < 3; i++)
			idle[i].start_cash = 1000;
		score = ClobScore(idle, 3, &parts);
		CHECK(score == 0.0, "no trades, no trips: the score is exactly 0 (got %.17g)", score);
	}
	/* Drawdown, adverse selection and fill counts are not charged again. */
	for (i = 0; i < 5; i++)
	{
		m[i].max_drawdown *= 10;
		m[i].adverse_selection_cost *= 10;
		m[i].fills_maker = 0;
	}
	CHECK_NEAR(ClobScore(m, 5, &parts), expect, 1e-12, "losses are counted once: drawdown and adverse selection add no term");
	m[3].invalid = true;
	m[3].invalid_reason = "cash went negative";
	score = ClobScore(m, 5, &parts);
	CHECK(score == -1e9 && parts.invalid_reason != NULL && strcmp(parts.invalid_reason, "cash went negative") == 0,
		  "an invalid seed scores -1e9 and says why");
}

/* A member of the envelope by dotted path. */
static struct json_object *
path(struct json_object *o, const char *dotted)
{
	char		buf[256];
	char	   *save = NULL;
	char	   *tok;

	snprintf(buf, sizeof(buf), "%s", dotted);
	for (tok = strtok_r(buf, ".", &save); tok != NULL && o != NULL; tok = strtok_r(NULL, ".", &save))
	{
		struct json_object *next = NULL;

		if (!json_object_object_get_ex(o, tok, &next))
			return NULL;
		o = next;
	}
	return o;
}

/* Run one trial in a fresh session; the envelope text (PtMalloc'd) or NULL. */
static char *
run_once(const char *options, const char *policy, const char *params, double *score)
{
	PtError		err;
	ClobResult	res;
	ClobSession *s = ClobSessionCreate(options, policy, &err);
	char	   *env = NULL;

	if (s == NULL)
		return NULL;
	if (ClobSessionRun(s, params, NULL, &res, &err) == PT_OK)
	{
		env = res.envelope_json;
		res.envelope_json = NULL;
		if (score != NULL)
			*score = res.score;
		ClobResultClear(&res);
	}
	ClobSessionFree(s);
	return env;
}

/* The envelope's contents, and byte-identical repeats. */
static void
test_envelope_and_determinism(void)
{
	double		score = 0;
	char	   *a = run_once(NULL, NULL, NULL, &score);
	char	   *b = run_once(NULL, NULL, NULL, NULL);
	char	   *c = run_once("{\"seed\": 7}", NULL, NULL, NULL);
	char	   *d = run_once(NULL, NULL, "{\"mm.half_spread_min_ticks\": 3}", NULL);
	char	   *e = run_once("{\"scenario\": \"calm\", \"train_seeds\": 2, \"holdout_seeds\": 0, \"per_seed\": true}",
							 NULL, NULL, NULL);
	struct json_object *env = a ? json_tokener_parse(a) : NULL;
	struct json_object *env_e = e ? json_tokener_parse(e) : NULL;
	struct json_object *v;
	const char *keys[] = {
		"metrics.net_pnl", "metrics.edge_pnl", "metrics.inventory_pnl", "metrics.fees_paid",
		"metrics.rebates", "metrics.volume.maker", "metrics.volume.taker", "metrics.orders",
		"metrics.cancels", "metrics.rejects", "metrics.fills.maker", "metrics.fills.taker",
		"metrics.fill_rate", "metrics.quote_uptime", "metrics.markouts.1s", "metrics.markouts.10s",
		"metrics.markouts.60s", "metrics.markouts.300s", "metrics.adverse_selection_cost",
		"metrics.inventory.mean", "metrics.inventory.max", "metrics.inventory.time_at_cap",
		"metrics.max_drawdown", "metrics.sharpe", "metrics.sortino", "metrics.return_over_mdd",
		"metrics.kill.triggered", "metrics.kill.time_s", "metrics.kill.reason", "metrics.halts_seen",
		"metrics.exit_cost", "params", "policy", "scenario", "seeds.train", "score", "score_stderr",
		"score_parts.std_return", "score_parts.kill_charge", "summary"
	};
	bool		all = true;
	size_t		i;

	CHECK(a != NULL && b != NULL && c != NULL && d != NULL && e != NULL, "default trials run");
	CHECK(a && b && strcmp(a, b) == 0, "same params, scenario and seeds: byte-identical envelope (%zu bytes)",
		  a ? strlen(a) : 0);
	CHECK(a && c && strcmp(a, c) != 0, "another base seed gives another envelope");
	CHECK(a && d && strcmp(a, d) != 0, "other params give another envelope");
	CHECK(env != NULL, "the envelope is JSON");
	for (i = 0; env != NULL && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (path(env, keys[i]) == NULL &&
			strcmp(keys[i], "metrics.kill.time_s") != 0 && strcmp(keys[i], "metrics.kill.reason") != 0)
		{
			all = false;
			printf("# missing %s\n", keys[i]);
		}
	CHECK(all, "every metric of the envelope (src/clob/README.md) is in it");
	v = path(env, "engine");
	CHECK(v && strcmp(json_object_get_string(v), "clob_v2_synth") == 0, "engine clob_v2_synth");
	v = path(env, "synthetic");
	CHECK(v && json_object_get_boolean(v), "synthetic: true");
	v = path(env, "disclaimer");
	CHECK(v && strstr(json_object_get_string(v), "Not a forecast") != NULL, "the disclaimer says not a forecast");
	v = path(env, "envelope_version");
	CHECK(v && json_object_get_int(v) == 1, "envelope_version 1");
	v = path(env, "score");
	CHECK(v && json_object_get_double(v) == score, "the envelope's score reads back exactly (%.17g)", score);
	v = path(env, "params.mm.layers");
	CHECK(v == NULL && path(env, "params") != NULL &&
		  json_object_object_get_ex(path(env, "params"), "mm.layers", &v) && json_object_get_int(v) == 2,
		  "params carry every default (mm.layers = 2)");
	v = path(env, "seeds.train");
	CHECK(v && json_object_array_length(v) == 8 && path(env, "seeds.holdout") == NULL &&
		  path(env, "holdout_score") == NULL && path(env, "holdout_metrics") == NULL,
		  "8 training seeds by default; no held-out figure unless the options ask for one");
	v = path(env, "summary");
	CHECK(v && strstr(json_object_get_string(v), "Synthetic replay") != NULL &&
		  strstr(json_object_get_string(v), "held-out") == NULL &&
		  strstr(json_object_get_string(v), "standard error") != NULL, "summary: %s",
		  v ? json_object_get_string(v) : "(none)");
	CHECK(path(env, "per_seed") == NULL, "no per-seed rows unless asked");
	v = path(env_e, "per_seed");
	CHECK(v && json_object_array_length(v) == 2 && path(env_e, "holdout_score") == NULL,
		  "per_seed rows on request; no holdout_score without held-out seeds");
	{
		char	   *h = run_once("{\"scenario\": \"calm\", \"train_seeds\": 2, \"holdout_seeds\": 2}",
								 NULL, NULL, NULL);
		struct json_object *env_h = h ? json_tokener_parse(h) : NULL;

		CHECK(env_h && path(env_h, "holdout_score") && path(env_h, "holdout_score_stderr") &&
			  json_object_array_length(path(env_h, "seeds.holdout")) == 2,
			  "a direct call that names holdout_seeds gets holdout_score");
		json_object_put(env_h);
		PtFree(h);
	}
	json_object_put(env);
	json_object_put(env_e);
	PtFree(a);
	PtFree(b);
	PtFree(c);
	PtFree(d);
	PtFree(e);
}

/* A stop callback that fires at once. */
static bool
stop_now(void *arg)
{
	(void) arg;
	return true;
}

/* A stop request cancels a trial. */
static void
test_cancel(void)
{
	PtError		err;
	ClobResult	res;
	PtStop		stop = {stop_now, NULL};
	ClobSession *s = ClobSessionCreate(SMALL, NULL, &err);
	int			rc = ClobSessionRun(s, NULL, &stop, &res, &err);

	CHECK(rc == PT_ERR_CANCELLED && res.envelope_json == NULL, "a stop request cancels the trial");
	ClobSessionFree(s);
}

/* The clob_v2 objective: init checks and maps the evaluation space, evaluate takes a point. */
static void
test_objective(void)
{
	const PtObjectiveOps *ops;
	PtObjective *obj;
	PtRunPlan  *plan;
	PtEvaluation ev;
	PtError		err;
	double		x[8];
	int			rc;

	PtObjectiveRegister(&PtClobObjective);
	ops = PtObjectiveLookup("clob_v2");
	CHECK(ops == &PtClobObjective, "clob_v2 is a registered objective");
	rc = open_objective("clob_v2",
						"{\"mm.c_vol\": {\"type\": \"float\", \"low\": 0, \"high\": 2},"
						" \"mm.layers\": {\"type\": \"int\", \"low\": 1, \"high\": 4},"
						" \"mm.post_only\": {\"type\": \"categorical\", \"choices\": [true, false]},"
						" \"exec.allow_taker_exit\": {\"type\": \"bool\"}}",
						"{\"backtest\": " SMALL ", \"fixed\": {\"mm.reprice_ticks\": 1}}", &plan, &obj, &err);
	CHECK(rc == PT_OK, "a space over tunable parameters opens, with options.backtest and fixed (%s)", err.message);
	close_objective(plan, obj);

	rc = open_objective("clob_v2",
						"{\"mm.c_vol\": {\"type\": \"float\", \"low\": 0, \"high\": 7}}", NULL, &plan, &obj, &err);
	CHECK(rc == PT_ERR_INVALID_PARAMETER && strstr(err.message, "outside the parameter's range"),
		  "a range beyond the parameter's is refused: %s", err.message);
	close_objective(plan, obj);
	rc = open_objective("clob_v2",
						"{\"mm.layers\": {\"type\": \"float\", \"low\": 1, \"high\": 3}}", NULL, &plan, &obj, &err);
	CHECK(rc == PT_ERR_INVALID_PARAMETER && strstr(err.message, "must be searched as int"),
		  "an int searched as float is refused: %s", err.message);
	close_objective(plan, obj);
	rc = open_objective("clob_v2",
						"{\"mm.nope\": {\"type\": \"float\", \"low\": 1, \"high\": 3}}", NULL, &plan, &obj, &err);
	CHECK(rc == PT_ERR_INVALID_PARAMETER && strstr(err.message, "unknown backtest parameter"),
		  "an unknown parameter is refused: %s", err.message);
	close_objective(plan, obj);
	rc = open_objective("clob_v2",
						"{\"risk.killswitch.max_loss_pusd\": {\"type\": \"float\", \"low\": 1, \"high\": 9}}", NULL,
						&plan, &obj, &err);
	CHECK(rc == PT_ERR_HARD_GATE, "a gated key is refused as a hard gate: %s", err.message);
	close_objective(plan, obj);
	rc = open_objective("clob_v2",
						"{\"mm.c_vol\": {\"type\": \"float\", \"low\": 0, \"high\": 2}}", "{\"fixed\": {\"mm.layers\": 9}}",
						&plan, &obj, &err);
	CHECK(rc == PT_ERR_INVALID_PARAMETER, "fixed values are checked: %s", err.message);
	close_objective(plan, obj);
	rc = open_objective("clob_v2",
						"{\"mm.c_vol\": {\"type\": \"float\", \"low\": 0, \"high\": 2}}",
						"{\"warm_start\": [{\"mm.c_vol\": 1, \"mm.layers\": 9}]}", &plan, &obj, &err);
	CHECK(rc == PT_ERR_INVALID_PARAMETER && strstr(err.message, "options.warm_start[0]: ") == err.message,
		  "a warm-start value outside the space is checked and located: %s", err.message);
	close_objective(plan, obj);

	rc = open_objective("clob_v2",
						"{\"mm.c_vol\": {\"type\": \"float\", \"low\": 0, \"high\": 2}}",
						"{\"backtest\": " SMALL ", \"warm_start\": [{\"mm.c_vol\": 1, \"mm.layers\": 2}]}",
						&plan, &obj, &err);
	CHECK(rc == PT_OK && plan->eval_space->n_params == 2, "a warm-start point may set a parameter outside the space (%s)",
		  err.message);
	if (rc != PT_OK)
	{
		close_objective(plan, obj);
		return;
	}
	x[0] = 0.8;
	PtRunPlanEvalPoint(plan, x, x);
	CHECK(isnan(x[1]), "outside its warm-start point the extra dimension is unset");
	rc = PtObjectiveEvaluate(obj, x, &ev, NULL, &err);
	CHECK(rc == PT_OK && ev.report_json != NULL && strstr(ev.report_json, "\"mm.c_vol\":0.8") != NULL &&
		  ev.summary != NULL && isfinite(ev.score) && strstr(ev.report_json, "holdout") == NULL,
		  "evaluate fills score %.4f, report and summary, and no held-out figure", ev.score);
	{
		double		h = NAN;

		CHECK(PtObjectiveHasHoldout(obj) &&
			  PtObjectiveEvaluateHoldout(obj, x, &h, NULL, &err) == PT_OK && isfinite(h),
			  "the held-out score of the same point comes apart: %.4f (%s)", h, err.message);
	}
	PtEvaluationClear(&ev);
	rc = PtObjectiveEvaluate(obj, PtRunPlanWarmPoint(plan, 0), &ev, NULL, &err);
	CHECK(rc == PT_OK && strstr(ev.report_json, "\"mm.layers\":2") != NULL,
		  "the warm-start point is evaluated with its own mm.layers");
	PtEvaluationClear(&ev);
	close_objective(plan, obj);
	rc = open_objective("clob_v2",
						"{\"mm.c_vol\": {\"type\": \"float\", \"low\": 0, \"high\": 2}}", "{\"backtest\": 3}",
						&plan, &obj, &err);
	CHECK(rc == PT_ERR_INVALID_PARAMETER, "options.backtest must be an object");
	close_objective(plan, obj);
}

/* Random parameter sets (ends of the ranges included) run, stay valid and repeat exactly. */
static void
test_random_params(void)
{
	PtError		err;
	PtRng		rng;
	ClobSession *s = ClobSessionCreate("{\"train_seeds\": 6, \"holdout_seeds\": 0}", NULL, &err);
	int			n;
	const ClobParamInfo *info = ClobTunableParams(&n);
	int			trial;
	int			ran = 0;
	int			valid = 0;
	int			repeat = 0;

	PtRngSeed(&rng, 99);
	for (trial = 0; trial < 24 && s != NULL; trial++)
	{
		char		buf[4096];
		size_t		used = 0;
		ClobResult	r1;
		ClobResult	r2;
		int			i;

		used += snprintf(buf + used, sizeof(buf) - used, "{");
		for (i = 0; i < n; i++)
		{
			const ClobParamInfo *p = &info[i];
			double		u = PtRngUniform(&rng);
			double		v;

			if (trial % 3 == 1)
				u = u < 0.5 ? 0 : 1;	/* the ends of every range */
			if (p->log)
				v = exp(log(p->low) + u * (log(p->high) - log(p->low)));
			else
				v = p->low + u * (p->high - p->low);
			if (v > p->high)
				v = p->high;
			if (p->kind == CLOB_PARAM_BOOL)
				used += snprintf(buf + used, sizeof(buf) - used, "%s\"%s\": %s", i ? ", " : "",
								 p->name, u < 0.5 ? "false" : "true");
			else if (p->kind == CLOB_PARAM_INT)
				used += snprintf(buf + used, sizeof(buf) - used, "%s\"%s\": %d", i ? ", " : "",
								 p->name, (int) floor(v + 0.5 > p->high ? p->high : v + 0.5));
			else
				used += snprintf(buf + used, sizeof(buf) - used, "%s\"%s\": %.17g", i ? ", " : "",
								 p->name, v);
		}
		snprintf(buf + used, sizeof(buf) - used, "}");
		if (ClobSessionRun(s, buf, NULL, &r1, &err) != PT_OK)
		{
			printf("# %s: %s\n", buf, err.message);
			continue;
		}
		ran++;
		if (isfinite(r1.score) && r1.score > -1e9)
			valid++;
		if (ClobSessionRun(s, buf, NULL, &r2, &err) == PT_OK && strcmp(r1.envelope_json, r2.envelope_json) == 0)
			repeat++;
		ClobResultClear(&r1);
		ClobResultClear(&r2);
	}
	CHECK(ran == 24, "24 random parameter sets ran (%d)", ran);
	CHECK(valid == 24, "every one scored a finite, valid score (%d)", valid);
	CHECK(repeat == 24, "every one repeats byte for byte in the same session (%d)", repeat);
	ClobSessionFree(s);
}

/* Run every check and print the TAP plan. */
int
main(void)
{
	test_errors();
	test_tables();
	test_score();
	test_envelope_and_determinism();
	test_cancel();
	test_objective();
	test_random_params();
	CHECK(PtAllocLive() == 0, "no allocation leaked (%ld live)", PtAllocLive());
	return UnitDone();
}
