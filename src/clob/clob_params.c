/*
 * clob_params.c — the tunable and gated tables, parsing parameters and the
 * policy snapshot, and the score.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "clob_internal.h"
#include "gates.h"
#include "pt_alloc.h"
#include "pt_json.h"

#define F CLOB_PARAM_FLOAT
#define I CLOB_PARAM_INT
#define B CLOB_PARAM_BOOL

static const ClobParamInfo tunables[CLOB_N_PARAMS] = {
	{"mm.half_spread_min_ticks", I, 1, 5, false, 1, 2, "Smallest half-spread the maker quotes, in ticks."},
	{"mm.c_vol", F, 0, 2, false, 0, 1.2, "Half-spread added per unit of the mid's one-minute volatility."},
	{"mm.c_tox", F, 0, 8, false, 0, 5.0, "Half-spread in ticks per unit of toxicity: taker flow imbalance plus the maker's own adverse markouts in ticks."},
	{"mm.gamma_skew", F, 0, 2, false, 0, 1.0, "Inventory aversion: how far the reservation price moves against inventory."},
	{"mm.base_size_pusd", F, 5, 500, true, 0, 20, "Notional of each quote in pUSD."},
	{"mm.layers", I, 1, 5, false, 1, 2, "Number of price levels quoted on each side."},
	{"mm.layer_step_ticks", I, 1, 10, false, 1, 2, "Ticks between successive quote layers."},
	{"mm.reprice_ticks", I, 0, 10, false, 1, 2, "Ticks the target must move before a quote is replaced on market data."},
	{"mm.resize_frac", F, 0, 1, false, 0, 0.15, "Relative size difference that makes the maker replace a quote."},
	{"mm.min_edge_ticks", I, 0, 5, false, 1, 1, "Least distance in ticks between a quote and fair value."},
	{"mm.requote_interval_ms", I, 50, 60000, true, 1, 5000, "Timer in milliseconds on which every quote is refreshed to its target."},
	{"mm.post_only", B, 0, 1, false, 0, 1, "Send quotes post-only, so a stale quote that would cross is rejected instead of taking."},
	{"signal.vol_hl_short_s", F, 1, 120, true, 0, 10, "Half-life in seconds of the fast volatility estimate."},
	{"signal.vol_hl_long_s", F, 60, 3600, true, 0, 900, "Half-life in seconds of the slow volatility estimate."},
	{"signal.flow_hl_s", F, 10, 600, true, 0, 120, "Half-life in seconds of the taker flow imbalance."},
	{"signal.markout_horizon_s", F, 1, 900, true, 0, 300, "Horizon in seconds at which the maker marks out its own fills (its toxicity signal); the metrics and the score use fixed horizons."},
	{"signal.event_jump_ticks", I, 2, 30, false, 1, 4, "Mid move in ticks within five seconds that counts as a news event."},
	{"signal.event_cooloff_s", F, 0, 300, false, 0, 120, "Seconds the maker stays out of the market after a news event."},
	{"signal.trend_flow_z", F, 0.5, 5, false, 0, 1.5, "Flow imbalance z-score beyond which fair value leans with the flow."},
	{"risk.inventory.q_max_pusd", F, 20, 2000, true, 0, 50, "Inventory cap in pUSD notional."},
	{"risk.inventory.q_soft_frac", F, 0.2, 1, false, 0, 0.6, "Share of the cap beyond which the side that adds inventory shrinks."},
	{"lifecycle.price_band_lo", F, 0.01, 0.5, false, 0, 0.05, "Below this fair value the maker only reduces inventory."},
	{"lifecycle.price_band_hi", F, 0.5, 0.99, false, 0, 0.95, "Above this fair value the maker only reduces inventory."},
	{"lifecycle.reduce_only_s", F, 0, 10800, false, 0, 3600, "Seconds before resolution from which the maker only reduces inventory (the closing scenario's window is 14400 s)."},
	{"lifecycle.halt_before_s", F, 0, 3600, false, 0, 900, "Seconds before resolution from which the maker stops quoting."},
	{"exec.allow_taker_exit", B, 0, 1, false, 0, 0, "Cross the spread to cut inventory back under the soft cap."},
	{"exec.max_orders_per_s", I, 1, 50, false, 1, 10, "Order submissions allowed per second (token bucket)."},
};

static const ClobGatedInfo gated[] = {
	{"risk.killswitch.max_loss_pusd", "float", "250", "Loss from the starting equity at which the kill switch trips."},
	{"risk.killswitch.max_drawdown_pusd", "float", "250", "Fall from peak equity at which the kill switch trips."},
	{"risk.killswitch.cooldown_s", "float", "3600", "Seconds the strategy stays off after a trip."},
	{"risk.killswitch.force_trip", "bool", "false", "Trip the kill switch at the start (a drill)."},
	{"risk.killswitch.flatten_on_trip", "bool", "false", "Send a taker order to flatten inventory when the switch trips."},
	{"risk.exposureguard.max_notional_pusd", "float", "5000", "Cap on position plus open order notional in pUSD."},
	{"risk.exposureguard.per_market_cap_pusd", "float", "800", "Cap on one market's position plus same-side open orders in pUSD."},
	{"risk.compliancegate.jurisdiction_allowlist", "text[]", "[\"*\"]", "Jurisdictions the strategy may trade in; \"*\" allows any."},
	{"risk.compliancegate.builder_allowlist", "text[]", "[\"ptopt\"]", "Builder codes orders may carry; orders with another code are rejected."},
	{"risk.markethaltguard.halt_sources", "text[]", "[\"engine_restart\", \"market_closed\", \"stale_feed\"]", "Conditions that halt quoting: engine_restart, market_closed, stale_feed."},
	{"risk.markethaltguard.halt_on_stale_s", "float", "10", "Seconds without market data after which the feed counts as stale."},
	{"sec.signer.eip712_domain_version", "text", "\"2\"", "EIP-712 domain version orders are signed with; CLOB V2 accepts only \"2\"."},
	{"sec.signer.signature_type", "text", "\"eoa\"", "Signature type: eoa, poly_proxy or poly_gnosis_safe."},
	{"sec.signer.builder_code", "text", "\"ptopt\"", "Builder code attached to every order."},
};

#define N_GATED ((int) (sizeof(gated) / sizeof(gated[0])))

/* The tunable parameters. */
const ClobParamInfo *
ClobTunableParams(int *n)
{
	*n = CLOB_N_PARAMS;
	return tunables;
}

/* Append text as it is. */
static void
append_raw(PtJsonBuf *b, const char *s)
{
	PtJsonBufAppend(b, s, strlen(s));
}

/* A parameter value as JSON: booleans as such, numbers in shortest round-trip form. */
static void
append_value(PtJsonBuf *b, double v, ClobParamKind kind)
{
	if (kind == CLOB_PARAM_BOOL)
		append_raw(b, v != 0 ? "true" : "false");
	else
		PtJsonBufAppendDouble(b, v);
}

/* The space over every tunable parameter at its full range, as JSON text (see clob.h). */
char *
ClobDefaultSpaceJson(bool with_defaults, bool with_descriptions)
{
	PtJsonBuf	b = {0};
	int			i;

	append_raw(&b, "{");
	for (i = 0; i < CLOB_N_PARAMS; i++)
	{
		const ClobParamInfo *p = &tunables[i];
		const char *type = p->kind == CLOB_PARAM_BOOL ? "bool" : p->kind == CLOB_PARAM_INT ? "int" : "float";

		if (i > 0)
			append_raw(&b, ", ");
		PtJsonBufAppendString(&b, p->name);
		append_raw(&b, ": {\"type\": ");
		PtJsonBufAppendString(&b, type);
		if (p->kind != CLOB_PARAM_BOOL)
		{
			append_raw(&b, ", \"low\": ");
			append_value(&b, p->low, p->kind);
			append_raw(&b, ", \"high\": ");
			append_value(&b, p->high, p->kind);
			if (p->log)
				append_raw(&b, ", \"log\": true");
		}
		if (with_defaults)
		{
			append_raw(&b, ", \"default\": ");
			append_value(&b, p->default_value, p->kind);
		}
		if (with_descriptions)
		{
			append_raw(&b, ", \"description\": ");
			PtJsonBufAppendString(&b, p->description);
		}
		append_raw(&b, "}");
	}
	append_raw(&b, "}");
	return PtJsonBufFinish(&b);
}

/* The gated settings. */
const ClobGatedInfo *
ClobGatedSettings(int *n)
{
	*n = N_GATED;
	return gated;
}

/* Index of a tunable parameter. */
int
ClobParamIndex(const char *name)
{
	int			i;

	for (i = 0; i < CLOB_N_PARAMS; i++)
		if (strcmp(tunables[i].name, name) == 0)
			return i;
	return -1;
}

/* Parse JSON text as an object; PT_ERR_INVALID_TEXT otherwise. */
static int
parse_object(const char *text, const char *what, struct json_object **out, PtError *err)
{
	enum json_tokener_error jerr;
	struct json_object *obj = json_tokener_parse_verbose(text, &jerr);

	if (obj == NULL)
		return PtErrorSet(err, PT_ERR_INVALID_TEXT, "invalid JSON in %s: %s", what,
						  json_tokener_error_desc(jerr));
	if (!json_object_is_type(obj, json_type_object))
	{
		json_object_put(obj);
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "%s must be a JSON object", what);
	}
	*out = obj;
	return PT_OK;
}

/* Decode a parameter set into values. */
int
ClobParamsParse(const char *params_json, double *values, PtError *err)
{
	struct json_object *obj;
	int			i;
	int			rc;

	for (i = 0; i < CLOB_N_PARAMS; i++)
		values[i] = tunables[i].default_value;
	if (params_json == NULL)
		return PT_OK;
	rc = PtGateCheckJson(params_json, "", "the backtest parameters", err);
	if (rc != PT_OK)
		return rc;
	rc = parse_object(params_json, "the backtest parameters", &obj, err);
	if (rc != PT_OK)
		return rc;

	json_object_object_foreach(obj, key, val)
	{
		int			idx = ClobParamIndex(key);
		const ClobParamInfo *p;
		double		v;

		if (idx < 0)
		{
			rc = PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "unknown backtest parameter \"%s\"", key);
			PtErrorHint(err, "ptopt_params() lists the tunable parameters.");
			goto done;
		}
		p = &tunables[idx];
		if (p->kind == CLOB_PARAM_BOOL)
		{
			if (!json_object_is_type(val, json_type_boolean))
			{
				rc = PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "parameter \"%s\" must be a boolean", key);
				goto done;
			}
			values[idx] = json_object_get_boolean(val) ? 1 : 0;
			continue;
		}
		if (!json_object_is_type(val, json_type_int) && !json_object_is_type(val, json_type_double))
		{
			rc = PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "parameter \"%s\" must be %s", key,
							p->kind == CLOB_PARAM_INT ? "an integer" : "a number");
			goto done;
		}
		v = json_object_get_double(val);
		if (!isfinite(v))
		{
			rc = PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "parameter \"%s\" must be a finite number", key);
			goto done;
		}
		if (p->kind == CLOB_PARAM_INT && v != floor(v))
		{
			rc = PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "parameter \"%s\" must be an integer", key);
			goto done;
		}
		/* Within rounding of a bound (a log-scale sample of the low end) is the bound. */
		if (v < p->low && v >= p->low - CLOB_RANGE_SLACK * fmax(1.0, fabs(p->low)))
			v = p->low;
		if (v > p->high && v <= p->high + CLOB_RANGE_SLACK * fmax(1.0, fabs(p->high)))
			v = p->high;
		if (v < p->low || v > p->high)
		{
			rc = PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							"parameter \"%s\" = %.15g is out of range [%.15g, %.15g]",
							key, v, p->low, p->high);
			goto done;
		}
		values[idx] = v;
	}
	rc = PT_OK;
done:
	json_object_put(obj);
	return rc;
}

/* Check a parameter set without running it. */
int
ClobCheckParams(const char *params_json, PtError *err)
{
	double		values[CLOB_N_PARAMS];

	return ClobParamsParse(params_json, values, err);
}

/* Index of a gated setting, or -1. */
static int
gated_index(const char *name)
{
	int			i;

	for (i = 0; i < N_GATED; i++)
		if (strcmp(gated[i].name, name) == 0)
			return i;
	return -1;
}

/* True when an array of strings contains s (or "*" when star is true). */
static bool
array_has(struct json_object *arr, const char *s, bool star)
{
	size_t		i;
	size_t		n = json_object_array_length(arr);

	for (i = 0; i < n; i++)
	{
		const char *e = json_object_get_string(json_object_array_get_idx(arr, i));

		if (strcmp(e, s) == 0 || (star && strcmp(e, "*") == 0))
			return true;
	}
	return false;
}

/* Check a policy value against its declared type. */
static int
check_gated_value(const ClobGatedInfo *g, struct json_object *val, PtError *err)
{
	if (strcmp(g->type, "float") == 0)
	{
		double		v;

		if (!json_object_is_type(val, json_type_int) && !json_object_is_type(val, json_type_double))
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "policy setting \"%s\" must be a number", g->name);
		v = json_object_get_double(val);
		if (!isfinite(v) || v < 0)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "policy setting \"%s\" = %.15g must be a finite number >= 0", g->name, v);
	}
	else if (strcmp(g->type, "bool") == 0)
	{
		if (!json_object_is_type(val, json_type_boolean))
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "policy setting \"%s\" must be a boolean", g->name);
	}
	else if (strcmp(g->type, "text") == 0)
	{
		if (!json_object_is_type(val, json_type_string))
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "policy setting \"%s\" must be a string", g->name);
	}
	else
	{
		size_t		i;

		if (!json_object_is_type(val, json_type_array))
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "policy setting \"%s\" must be an array of strings", g->name);
		for (i = 0; i < json_object_array_length(val); i++)
			if (!json_object_is_type(json_object_array_get_idx(val, i), json_type_string))
				return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "policy setting \"%s\" must be an array of strings", g->name);
	}
	return PT_OK;
}

/* Decode a policy snapshot. */
int
ClobPolicyParse(const char *policy_json, const char *jurisdiction, ClobPolicy *pol,
				char **canonical_json, PtError *err)
{
	struct json_object *given = NULL;
	struct json_object *canon = json_object_new_object();
	struct json_object *v;
	const char *builder;
	const char *sigtype;
	size_t		i;
	int			g;
	int			rc = PT_OK;

	*canonical_json = NULL;
	if (canon == NULL)
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
	if (policy_json != NULL)
	{
		rc = parse_object(policy_json, "the policy", &given, err);
		if (rc != PT_OK)
		{
			json_object_put(canon);
			return rc;
		}
		json_object_object_foreach(given, key, val)
		{
			int			idx = gated_index(key);

			if (idx < 0)
			{
				rc = PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "unknown policy setting \"%s\"", key);
				PtErrorHint(err, "ptopt_params() lists the gated settings.");
				goto done;
			}
			rc = check_gated_value(&gated[idx], val, err);
			if (rc != PT_OK)
				goto done;
		}
	}

	/* Canonical snapshot: every setting, the given value or the default. */
	for (g = 0; g < N_GATED; g++)
	{
		struct json_object *val = NULL;

		if (given != NULL && json_object_object_get_ex(given, gated[g].name, &val))
			json_object_object_add(canon, gated[g].name, json_object_get(val));
		else
			json_object_object_add(canon, gated[g].name, json_tokener_parse(gated[g].default_json));
	}

#define GET(name) (json_object_object_get_ex(canon, name, &v), v)
	ClobPolicyDefault(pol);
	pol->max_loss_pusd = json_object_get_double(GET("risk.killswitch.max_loss_pusd"));
	pol->max_drawdown_pusd = json_object_get_double(GET("risk.killswitch.max_drawdown_pusd"));
	pol->cooldown_s = json_object_get_double(GET("risk.killswitch.cooldown_s"));
	pol->force_trip = json_object_get_boolean(GET("risk.killswitch.force_trip"));
	pol->flatten_on_trip = json_object_get_boolean(GET("risk.killswitch.flatten_on_trip"));
	pol->max_notional_pusd = json_object_get_double(GET("risk.exposureguard.max_notional_pusd"));
	pol->per_market_cap_pusd = json_object_get_double(GET("risk.exposureguard.per_market_cap_pusd"));
	pol->halt_on_stale_s = json_object_get_double(GET("risk.markethaltguard.halt_on_stale_s"));
	builder = json_object_get_string(GET("sec.signer.builder_code"));
	pol->builder_ok = array_has(GET("risk.compliancegate.builder_allowlist"), builder, false);
	pol->jurisdiction_ok = array_has(GET("risk.compliancegate.jurisdiction_allowlist"),
									 jurisdiction, true);
	pol->domain_ok = strcmp(json_object_get_string(GET("sec.signer.eip712_domain_version")), "2") == 0;
	sigtype = json_object_get_string(GET("sec.signer.signature_type"));
	pol->signature_type_ok = strcmp(sigtype, "eoa") == 0 || strcmp(sigtype, "poly_proxy") == 0 ||
		strcmp(sigtype, "poly_gnosis_safe") == 0;
	v = GET("risk.markethaltguard.halt_sources");
	pol->halt_on_restart = pol->halt_on_closed = pol->halt_on_stale = false;
	for (i = 0; i < json_object_array_length(v); i++)
	{
		const char *src = json_object_get_string(json_object_array_get_idx(v, i));

		if (strcmp(src, "engine_restart") == 0)
			pol->halt_on_restart = true;
		else if (strcmp(src, "market_closed") == 0)
			pol->halt_on_closed = true;
		else if (strcmp(src, "stale_feed") == 0)
			pol->halt_on_stale = true;
		else
		{
			rc = PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							"unknown halt source \"%s\" in risk.markethaltguard.halt_sources", src);
			PtErrorHint(err, "The halt sources are engine_restart, market_closed and stale_feed.");
			goto done;
		}
	}
#undef GET
	*canonical_json = PtStrdup(json_object_to_json_string_ext(canon, JSON_C_TO_STRING_PLAIN));
	if (*canonical_json == NULL)
		rc = PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
done:
	if (given != NULL)
		json_object_put(given);
	json_object_put(canon);
	return rc;
}

/*
 * The score (docs/backtest.md, "The score", gives the reasons):
 *     score = mean(r) - CLOB_RISK_LAMBDA * std(r) - CLOB_KILL_CHARGE * trips
 * with r_s = net_pnl_s / start_cash_s per world, std the population standard
 * deviation across worlds and trips the kill-switch trips per world.  Doing
 * nothing scores exactly 0.  stderr is the sample standard deviation of r
 * over sqrt(n): the seed noise of the mean return, the score's main term.
 */
double
ClobScore(const ClobSeedMetrics *m, int n, ClobScoreParts *parts)
{
	double		r[CLOB_MAX_SEEDS];
	double		sum = 0;
	double		var = 0;
	double		trips = 0;
	double		fills = 0;
	int			i;

	memset(parts, 0, sizeof(*parts));
	parts->risk_lambda = CLOB_RISK_LAMBDA;
	parts->kill_charge = CLOB_KILL_CHARGE;
	if (n <= 0 || n > CLOB_MAX_SEEDS)
	{
		parts->invalid_reason = "no seeds to score";
		parts->score = CLOB_INVALID_SCORE;
		return parts->score;
	}
	for (i = 0; i < n; i++)
	{
		if (m[i].invalid)
		{
			parts->invalid_reason = m[i].invalid_reason;
			parts->score = CLOB_INVALID_SCORE;
			return parts->score;
		}
		r[i] = m[i].net_pnl / m[i].start_cash;
		sum += r[i];
		trips += m[i].kill_trips;
		fills += (double) m[i].fills_maker;
	}
	parts->mean_r = sum / n;
	for (i = 0; i < n; i++)
		var += (r[i] - parts->mean_r) * (r[i] - parts->mean_r);
	parts->std_r = sqrt(var / n);
	parts->stderr_r = n > 1 ? sqrt(var / (n - 1)) / sqrt((double) n) : 0;
	parts->kill_trips = trips / n;
	parts->mean_maker_fills = fills / n;
	parts->score = parts->mean_r - CLOB_RISK_LAMBDA * parts->std_r
		- CLOB_KILL_CHARGE * parts->kill_trips;
	if (!isfinite(parts->score))
	{
		parts->invalid_reason = "the score is not a number";
		parts->score = CLOB_INVALID_SCORE;
	}
	return parts->score;
}
