/*
 * tpe_options.c — the "tpe" member of the run options.
 *
 * {"tpe": {"n_startup_trials": 10, "n_ei_candidates": 24, "gamma": 0.1,
 *          "prior_weight": 1.0, "consider_magic_clip": true,
 *          "consider_endpoints": false, "multivariate": false, "seed": 7}}
 * Every key is optional; anything else in the object is an error.  Other
 * members of the options object belong to other modules and are ignored.
 */
#include <json-c/json.h>
#include <math.h>
#include <string.h>

#include "tpe.h"

#define TPE_KEY_LIST "n_startup_trials, n_ei_candidates, gamma, prior_weight, " \
	"consider_magic_clip, consider_endpoints, multivariate, seed"

/* Optuna 3.1's defaults. */
void
TpeOptionsDefault(TpeOptions *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->n_startup_trials = TPE_DEFAULT_N_STARTUP_TRIALS;
	opt->n_ei_candidates = TPE_DEFAULT_N_EI_CANDIDATES;
	opt->gamma = TPE_DEFAULT_GAMMA;
	opt->prior_weight = TPE_DEFAULT_PRIOR_WEIGHT;
	opt->consider_magic_clip = true;
	opt->consider_endpoints = false;
	opt->multivariate = false;
	opt->has_seed = false;
	opt->seed = 0;
}

/* An integer in [lo, hi] or an error naming the key. */
static int
read_int(json_object *v, const char *key, long lo, long hi, const char *what,
		 int *out, PtError *err)
{
	int64_t		i;

	if (json_object_get_type(v) != json_type_int)
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "options.tpe.%s must be %s", key, what);
	i = json_object_get_int64(v);
	if (i < lo || i > hi)
	{
		PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "options.tpe.%s must be %s", key, what);
		PtErrorDetail(err, "The value must be between %ld and %ld; %lld was given.",
					  lo, hi, (long long) i);
		return PT_ERR_INVALID_PARAMETER;
	}
	*out = (int) i;
	return PT_OK;
}

/* A JSON number as a double, or false. */
static bool
read_number(json_object *v, double *out)
{
	enum json_type t = json_object_get_type(v);

	if (t != json_type_int && t != json_type_double)
		return false;
	*out = json_object_get_double(v);
	return isfinite(*out);
}

/* A boolean or an error naming the key. */
static int
read_bool(json_object *v, const char *key, bool *out, PtError *err)
{
	if (json_object_get_type(v) != json_type_boolean)
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "options.tpe.%s must be a boolean", key);
	*out = json_object_get_boolean(v) ? true : false;
	return PT_OK;
}

/* One key of options.tpe. */
static int
read_key(const char *key, json_object *v, TpeOptions *opt, PtError *err)
{
	double		d;

	if (strcmp(key, "n_startup_trials") == 0)
		return read_int(v, key, 0, TPE_MAX_N_STARTUP_TRIALS, "a non-negative integer",
						&opt->n_startup_trials, err);
	if (strcmp(key, "n_ei_candidates") == 0)
		return read_int(v, key, 1, TPE_MAX_N_EI_CANDIDATES, "a positive integer",
						&opt->n_ei_candidates, err);
	if (strcmp(key, "gamma") == 0)
	{
		if (!read_number(v, &d) || !(d > 0.0 && d <= 1.0))
		{
			PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
					   "options.tpe.gamma must be a number in (0, 1]");
			PtErrorDetail(err, "gamma is the fraction f in gamma(n) = min(ceil(f * n), 25), "
						  "the number of good trials; Optuna's default is 0.1.");
			return PT_ERR_INVALID_PARAMETER;
		}
		opt->gamma = d;
		return PT_OK;
	}
	if (strcmp(key, "prior_weight") == 0)
	{
		if (!read_number(v, &d) || !(d > 0.0))
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "options.tpe.prior_weight must be a positive number");
		opt->prior_weight = d;
		return PT_OK;
	}
	if (strcmp(key, "consider_magic_clip") == 0)
		return read_bool(v, key, &opt->consider_magic_clip, err);
	if (strcmp(key, "consider_endpoints") == 0)
		return read_bool(v, key, &opt->consider_endpoints, err);
	if (strcmp(key, "multivariate") == 0)
		return read_bool(v, key, &opt->multivariate, err);
	if (strcmp(key, "seed") == 0)
	{
		if (json_object_get_type(v) != json_type_int)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "options.tpe.seed must be an integer");
		opt->seed = (uint64_t) json_object_get_int64(v);
		opt->has_seed = true;
		return PT_OK;
	}
	PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "unknown key \"%s\" in options.tpe", key);
	PtErrorHint(err, "The keys of options.tpe are %s.", TPE_KEY_LIST);
	return PT_ERR_INVALID_PARAMETER;
}

/* Read the "tpe" member of the parsed run options (NULL is none) into opt. */
int
TpeOptionsRead(const struct json_object *options, TpeOptions *opt, PtError *err)
{
	json_object *tpe;
	int			rc = PT_OK;

	TpeOptionsDefault(opt);
	if (options == NULL)
		return PT_OK;
	if (json_object_get_type(options) != json_type_object)
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "options must be a JSON object");
	if (json_object_object_get_ex(options, "tpe", &tpe) && tpe != NULL)
	{
		if (json_object_get_type(tpe) != json_type_object)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "options.tpe must be a JSON object");
		json_object_object_foreach(tpe, key, val)
		{
			rc = read_key(key, val, opt, err);
			if (rc != PT_OK)
				break;
		}
	}
	return rc;
}

/* Parse the run options' "tpe" member into opt. */
int
TpeOptionsParse(const char *options_json, TpeOptions *opt, PtError *err)
{
	json_object *root;
	enum json_tokener_error jerr = json_tokener_success;
	int			rc;

	TpeOptionsDefault(opt);
	if (options_json == NULL || options_json[strspn(options_json, " \t\r\n")] == '\0')
		return PT_OK;
	root = json_tokener_parse_verbose(options_json, &jerr);
	if (jerr != json_tokener_success)
	{
		PtErrorSet(err, PT_ERR_INVALID_TEXT, "options are not valid JSON");
		PtErrorDetail(err, "%s.", json_tokener_error_desc(jerr));
		return PT_ERR_INVALID_TEXT;
	}
	if (root == NULL)			/* JSON null: no options */
		return PT_OK;
	rc = TpeOptionsRead(root, opt, err);
	json_object_put(root);
	return rc;
}
