/*
 * clob_session.c — sessions, trials, the score and the ReportEnvelope.
 *
 * A session fixes the scenario, the seeds and the policy; each seed's world
 * is generated the first time a trial needs it and kept, so every trial of a
 * run replays the same worlds.  A trial plays the training worlds and writes
 * the envelope of src/clob/README.md, "Accounting and metrics" (ClobSessionRunValues, the run's
 * path); held-out worlds, in the training mix with seeds derived from the
 * run seed, are scored apart (ClobSessionRunHoldout) or, for a direct call
 * whose options name holdout_seeds, added to the envelope (ClobSessionRun).
 * With more than one thread (ClobSessionSetThreads) the worlds of a trial
 * are played at once (clob_parallel.c), each thread on a sim of its own that
 * the session keeps; the results are those of the serial replay.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "clob_internal.h"
#include "clob_parallel.h"
#include "pt_alloc.h"
#include "rng.h"

#define ENVELOPE_VERSION 1
#define SUMMARY_MAX 2048
#define DISCLAIMER "Synthetic replay only. Not a forecast: these numbers measure the strategy's " \
	"behaviour against generated worlds, never a live market."

struct ClobSession
{
	char		scenario[CLOB_SCENARIO_NAME_MAX];
	int			n_train;
	int			n_hold;
	int64_t		base_seed;
	bool		holdout_asked;	/* options named holdout_seeds: ClobSessionRun reports them */
	bool		have_run_seed;
	uint64_t	run_seed;		/* held-out worlds derive from it (ClobSessionSetRunSeed) */
	bool		per_seed;
	char	   *overrides_json;
	char	   *policy_json;
	char	   *jurisdiction;
	ClobPolicy	policy;
	ClobScenario sc[2 * CLOB_MAX_SEEDS];
	uint64_t	seed[2 * CLOB_MAX_SEEDS];
	ClobTape	tape[2 * CLOB_MAX_SEEDS];
	bool		have[2 * CLOB_MAX_SEEDS];
	ClobSeedMetrics metrics[2 * CLOB_MAX_SEEDS];
	ClobSim    *sim;
	int			threads_setting;	/* ClobSessionSetThreads: CLOB_THREADS_AUTO or a count */
	int			threads_used;	/* by the last trial */
	ClobThread	thread[CLOB_MAX_THREADS];	/* thread[0] plays on sim; the others' sims made on first use */
};

/* A JSON number in its shortest form that reads back exactly; null when not finite. */
static struct json_object *
num(double v)
{
	char		buf[40];
	int			prec;

	if (!isfinite(v))
		return NULL;
	if (v == 0)
		v = 0;					/* no "-0" */
	for (prec = 15; prec < 17; prec++)
	{
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (prec == 17)
		snprintf(buf, sizeof(buf), "%.17g", v);
	return json_object_new_double_s(v, buf);
}

/* Apply options.overrides to a scenario; validates names and ranges. */
static int
apply_overrides(struct json_object *over, ClobScenario *sc, PtError *err)
{
	int			n;
	const ClobSettingInfo *info = ClobScenarioSettings(&n);

	json_object_object_foreach(over, key, val)
	{
		int			i;
		double		v;

		for (i = 0; i < n; i++)
			if (strcmp(info[i].name, key) == 0)
				break;
		if (i == n)
		{
			PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "unknown scenario setting \"%s\"", key);
			PtErrorHint(err, "BENCHMARKS.md (section CLOB V2 backtest) lists the scenario settings.");
			return PT_ERR_INVALID_PARAMETER;
		}
		if (!json_object_is_type(val, json_type_int) && !json_object_is_type(val, json_type_double))
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "scenario setting \"%s\" must be a number", key);
		v = json_object_get_double(val);
		if (!isfinite(v) || v < info[i].low || v > info[i].high)
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "scenario setting \"%s\" = %.15g is out of range [%.15g, %.15g]",
							  key, v, info[i].low, info[i].high);
		*(double *) ((char *) sc + info[i].offset) = v;
	}
	return PT_OK;
}

/* Read an integer option within bounds. */
static int
int_option(struct json_object *val, const char *key, int64_t lo, int64_t hi, int64_t *out,
		   PtError *err)
{
	if (!json_object_is_type(val, json_type_int))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "backtest option \"%s\" must be an integer", key);
	*out = json_object_get_int64(val);
	if (*out < lo || *out > hi)
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
						  "backtest option \"%s\" = %" PRId64 " is out of range [%" PRId64 ", %" PRId64 "]",
						  key, *out, lo, hi);
	return PT_OK;
}

/*
 * Seed the held-out worlds from a root: fresh 64-bit seeds, never equal to a
 * training seed (training seeds are base + i), and drop cached held-out
 * tapes whose seed changed.
 */
static void
holdout_seeds(ClobSession *s, uint64_t root)
{
	int			i;
	int			j;

	for (i = s->n_train; i < s->n_train + s->n_hold; i++)
	{
		uint64_t	seed;
		uint64_t	stream = (uint64_t) (i - s->n_train);
		bool		clash;

		do
		{
			seed = PtRngDerive(root, stream);
			stream += CLOB_MAX_SEEDS;
			clash = false;
			for (j = 0; j < s->n_train; j++)
				if (s->seed[j] == seed)
					clash = true;
		} while (clash);
		if (s->have[i] && s->seed[i] != seed)
		{
			ClobTapeFree(&s->tape[i]);
			s->have[i] = false;
		}
		s->seed[i] = seed;
	}
}

/* Derive the held-out worlds from a run's seed (reproducible, fresh per run). */
void
ClobSessionSetRunSeed(ClobSession *s, uint64_t run_seed)
{
	s->have_run_seed = true;
	s->run_seed = run_seed;
	holdout_seeds(s, PtRngDerive(run_seed, CLOB_HOLDOUT_STREAM));
}

/* Create a session. */
ClobSession *
ClobSessionCreate(const char *options_json, const char *policy_json, PtError *err)
{
	ClobSession *s = PtCalloc(1, sizeof(ClobSession));
	struct json_object *opts = NULL;
	struct json_object *over = NULL;
	ClobScenario probe;
	int64_t		iv;
	int			i;
	int			rc = PT_OK;

	if (s == NULL)
	{
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	strcpy(s->scenario, "mixed");
	s->n_train = CLOB_DEFAULT_TRAIN_SEEDS;
	s->n_hold = -1;				/* default: as many as training */
	s->base_seed = CLOB_DEFAULT_SEED;
	s->threads_setting = 1;

	if (options_json != NULL)
	{
		enum json_tokener_error jerr;

		opts = json_tokener_parse_verbose(options_json, &jerr);
		if (opts == NULL)
		{
			PtErrorSet(err, PT_ERR_INVALID_TEXT, "invalid JSON in the backtest options: %s",
					   json_tokener_error_desc(jerr));
			goto fail;
		}
		if (!json_object_is_type(opts, json_type_object))
		{
			PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "the backtest options must be a JSON object");
			goto fail;
		}
		json_object_object_foreach(opts, key, val)
		{
			if (strcmp(key, "scenario") == 0)
			{
				const char *name;

				if (!json_object_is_type(val, json_type_string))
				{
					PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "backtest option \"scenario\" must be a string");
					goto fail;
				}
				name = json_object_get_string(val);
				if (strcmp(name, "mixed") != 0 && !ClobScenarioPreset(name, &probe))
				{
					PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "unknown backtest scenario \"%s\"", name);
					PtErrorHint(err, "The scenarios are mixed, calm, news, toxic, thin, closing and restart.");
					goto fail;
				}
				snprintf(s->scenario, sizeof(s->scenario), "%s", name);
			}
			else if (strcmp(key, "train_seeds") == 0)
			{
				if (int_option(val, key, 1, CLOB_MAX_SEEDS, &iv, err) != PT_OK)
					goto fail;
				s->n_train = (int) iv;
			}
			else if (strcmp(key, "holdout_seeds") == 0)
			{
				if (int_option(val, key, 0, CLOB_MAX_SEEDS, &iv, err) != PT_OK)
					goto fail;
				s->n_hold = (int) iv;
				s->holdout_asked = iv > 0;
			}
			else if (strcmp(key, "seed") == 0)
			{
				if (int_option(val, key, 0, INT64_MAX / 2, &iv, err) != PT_OK)
					goto fail;
				s->base_seed = iv;
			}
			else if (strcmp(key, "per_seed") == 0)
			{
				if (!json_object_is_type(val, json_type_boolean))
				{
					PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "backtest option \"per_seed\" must be a boolean");
					goto fail;
				}
				s->per_seed = json_object_get_boolean(val);
			}
			else if (strcmp(key, "jurisdiction") == 0)
			{
				if (!json_object_is_type(val, json_type_string))
				{
					PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "backtest option \"jurisdiction\" must be a string");
					goto fail;
				}
				s->jurisdiction = PtStrdup(json_object_get_string(val));
			}
			else if (strcmp(key, "overrides") == 0)
			{
				if (!json_object_is_type(val, json_type_object))
				{
					PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "backtest option \"overrides\" must be an object");
					goto fail;
				}
				over = val;
			}
			else
			{
				PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "unknown backtest option \"%s\"", key);
				PtErrorHint(err, "The backtest options are scenario, train_seeds, holdout_seeds, seed, overrides, per_seed and jurisdiction.");
				goto fail;
			}
		}
	}
	if (s->jurisdiction == NULL)
		s->jurisdiction = PtStrdup("intl");
	s->overrides_json = PtStrdup(over != NULL
								 ? json_object_to_json_string_ext(over, JSON_C_TO_STRING_PLAIN)
								 : "{}");
	if (s->jurisdiction == NULL || s->overrides_json == NULL)
	{
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
		goto fail;
	}

	if (s->n_hold < 0)
		s->n_hold = s->n_train;
	for (i = 0; i < s->n_train + s->n_hold; i++)
	{
		const char *name = s->scenario;
		int			k = i < s->n_train ? i : i - s->n_train;

		/* The held-out set plays the same scenario mix as training. */
		if (strcmp(name, "mixed") == 0)
			name = ClobPresetName(k % CLOB_N_PRESETS);
		(void) ClobScenarioPreset(name, &s->sc[i]);
		if (over != NULL && apply_overrides(over, &s->sc[i], err) != PT_OK)
			goto fail;
		if (i < s->n_train)
			s->seed[i] = (uint64_t) s->base_seed + (uint64_t) i;
	}
	holdout_seeds(s, PtRngDerive((uint64_t) s->base_seed, CLOB_HOLDOUT_STREAM));

	/* Refuse sessions whose cached worlds would not fit a backend's memory. */
	{
		double		bytes = 0;

		for (i = 0; i < s->n_train + s->n_hold; i++)
		{
			const ClobScenario *c = &s->sc[i];
			double		per_s = 4.0 * c->bg_rate + c->noise_rate + c->inf_rate +
				c->jump_rate_h / 3600.0 * c->inf_burst;

			bytes += c->window_s * per_s * sizeof(ClobEvent) +
				c->window_s / (c->grid_ms / 1000.0) * sizeof(float);
		}
		if (bytes > CLOB_MAX_TAPE_BYTES)
		{
			PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
					   "the backtest worlds would need about %.0f MB, more than the limit of %.0f MB",
					   bytes / 1048576.0, CLOB_MAX_TAPE_BYTES / 1048576.0);
			PtErrorHint(err, "Use fewer seeds, a shorter window_s or lower agent rates.");
			goto fail;
		}
	}

	rc = ClobPolicyParse(policy_json, s->jurisdiction, &s->policy, &s->policy_json, err);
	if (rc != PT_OK)
		goto fail;
	s->sim = ClobSimCreate(1, 0);
	if (s->sim == NULL)
	{
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory");
		goto fail;
	}
	if (opts != NULL)
		json_object_put(opts);
	return s;

fail:
	if (opts != NULL)
		json_object_put(opts);
	ClobSessionFree(s);
	return NULL;
}

/* Free a session. */
void
ClobSessionFree(ClobSession *s)
{
	int			i;

	if (s == NULL)
		return;
	for (i = 0; i < 2 * CLOB_MAX_SEEDS; i++)
		if (s->have[i])
			ClobTapeFree(&s->tape[i]);
	ClobSimFree(s->sim);
	for (i = 1; i < CLOB_MAX_THREADS; i++)
		ClobSimFree(s->thread[i].sim);
	PtFree(s->overrides_json);
	PtFree(s->policy_json);
	PtFree(s->jurisdiction);
	PtFree(s);
}

/* Play the worlds of later trials on at most this many threads (CLOB_THREADS_AUTO: the free cores). */
void
ClobSessionSetThreads(ClobSession *s, int threads)
{
	if (threads < 0)
		threads = 1;
	s->threads_setting = threads > CLOB_MAX_THREADS ? CLOB_MAX_THREADS : threads;
}

/* Threads the last trial played its worlds on. */
int
ClobSessionThreadsUsed(const ClobSession *s)
{
	return s->threads_used;
}

/* The last trial's per-seed metrics. */
int
ClobSessionSeedMetrics(const ClobSession *s, const ClobSeedMetrics **metrics, int *n_train)
{
	*metrics = s->metrics;
	*n_train = s->n_train;
	return s->n_train + s->n_hold;
}

/* World i's seed and scenario. */
bool
ClobSessionWorld(const ClobSession *s, int i, uint64_t *seed, const char **scenario)
{
	if (i < 0 || i >= s->n_train + s->n_hold)
		return false;
	*seed = s->seed[i];
	*scenario = s->sc[i].name;
	return true;
}

/* Bytes held by the cached tapes. */
size_t
ClobSessionTapeBytes(const ClobSession *s, int *n_tapes)
{
	size_t		total = 0;
	int			i;

	*n_tapes = 0;
	for (i = 0; i < 2 * CLOB_MAX_SEEDS; i++)
		if (s->have[i])
		{
			total += ClobTapeBytes(&s->tape[i]);
			(*n_tapes)++;
		}
	return total;
}

/* Free what a result holds. */
void
ClobResultClear(ClobResult *result)
{
	if (result == NULL)
		return;
	PtFree(result->envelope_json);
	PtFree(result->summary);
	result->envelope_json = NULL;
	result->summary = NULL;
}

/* Add a number member. */
static void
add_num(struct json_object *o, const char *key, double v)
{
	json_object_object_add(o, key, num(v));
}

/* Aggregate n seeds' metrics (means per seed; kill counts over seeds). */
static struct json_object *
metrics_json(const ClobSeedMetrics *m, int n)
{
	struct json_object *o = json_object_new_object();
	struct json_object *sub;
	double		a[40] = {0};
	double		rej[CLOB_REJ_COUNT] = {0};
	double		mk[CLOB_N_MARKOUTS] = {0};
	int			reasons[4] = {0};
	int			seeds_killed = 0;
	int			trips = 0;
	double		first_kill = -1;
	int64_t		events = 0;
	int			i;
	int			k;

	for (i = 0; i < n; i++)
	{
		const ClobSeedMetrics *x = &m[i];

		a[0] += x->net_pnl;
		a[1] += x->edge_pnl;
		a[2] += x->inventory_pnl;
		a[3] += x->fees_paid;
		a[4] += x->rebates;
		a[5] += x->volume_maker;
		a[6] += x->volume_taker;
		a[7] += (double) x->orders;
		a[8] += (double) x->cancels;
		a[9] += (double) x->fills_maker;
		a[10] += (double) x->fills_taker;
		a[11] += x->fill_rate;
		a[12] += x->quote_uptime;
		a[13] += x->adverse_selection_cost;
		a[14] += x->inventory_mean;
		a[15] += x->inventory_max;
		a[16] += x->time_at_cap;
		a[17] += x->max_drawdown;
		a[18] += x->sharpe;
		a[19] += x->sortino;
		a[20] += x->return_over_mdd;
		a[21] += x->halts_seen;
		a[22] += x->start_cash;
		a[23] += x->end_inventory_shares;
		a[24] += (double) x->kill_cancelled;
		a[25] += x->killed_s;
		a[26] += x->exit_cost;
		for (k = 0; k < CLOB_REJ_COUNT; k++)
			rej[k] += (double) x->rejects[k];
		for (k = 0; k < CLOB_N_MARKOUTS; k++)
			mk[k] += x->markout[k];
		if (x->kill_trips > 0)
		{
			seeds_killed++;
			reasons[x->kill_reason]++;
			if (first_kill < 0 || x->kill_time_s < first_kill)
				first_kill = x->kill_time_s;
		}
		trips += x->kill_trips;
		events += x->events;
	}
	for (k = 0; k < 40; k++)
		a[k] /= n;

	add_num(o, "net_pnl", a[0]);
	add_num(o, "edge_pnl", a[1]);
	add_num(o, "inventory_pnl", a[2]);
	add_num(o, "fees_paid", a[3]);
	add_num(o, "rebates", a[4]);
	sub = json_object_new_object();
	add_num(sub, "maker", a[5]);
	add_num(sub, "taker", a[6]);
	json_object_object_add(o, "volume", sub);
	add_num(o, "orders", a[7]);
	add_num(o, "cancels", a[8]);
	sub = json_object_new_object();
	for (k = 1; k < CLOB_REJ_COUNT; k++)
		if (rej[k] > 0)
			add_num(sub, ClobRejectName((ClobReject) k), rej[k] / n);
	json_object_object_add(o, "rejects", sub);
	sub = json_object_new_object();
	add_num(sub, "maker", a[9]);
	add_num(sub, "taker", a[10]);
	json_object_object_add(o, "fills", sub);
	add_num(o, "fill_rate", a[11]);
	add_num(o, "quote_uptime", a[12]);
	sub = json_object_new_object();
	add_num(sub, "1s", mk[0] / n);
	add_num(sub, "10s", mk[1] / n);
	add_num(sub, "60s", mk[2] / n);
	add_num(sub, "300s", mk[3] / n);
	json_object_object_add(o, "markouts", sub);
	add_num(o, "adverse_selection_cost", a[13]);
	sub = json_object_new_object();
	add_num(sub, "mean", a[14]);
	add_num(sub, "max", a[15]);
	add_num(sub, "time_at_cap", a[16]);
	add_num(sub, "end_shares", a[23]);
	json_object_object_add(o, "inventory", sub);
	add_num(o, "exit_cost", a[26]);
	add_num(o, "max_drawdown", a[17]);
	add_num(o, "sharpe", a[18]);
	add_num(o, "sortino", a[19]);
	add_num(o, "return_over_mdd", a[20]);
	sub = json_object_new_object();
	json_object_object_add(sub, "triggered", json_object_new_boolean(seeds_killed > 0));
	json_object_object_add(sub, "seeds", json_object_new_int(seeds_killed));
	add_num(sub, "rate", (double) seeds_killed / n);
	json_object_object_add(sub, "trips", json_object_new_int(trips));
	add_num(sub, "orders_cancelled", a[24]);
	add_num(sub, "off_s", a[25]);
	json_object_object_add(sub, "time_s", first_kill >= 0 ? num(first_kill) : NULL);
	if (seeds_killed > 0)
	{
		int			best = 1;

		for (k = 2; k < 4; k++)
			if (reasons[k] > reasons[best])
				best = k;
		json_object_object_add(sub, "reason",
							   json_object_new_string(ClobKillReasonName((ClobKillReason) best)));
	}
	else
		json_object_object_add(sub, "reason", NULL);
	json_object_object_add(o, "kill", sub);
	add_num(o, "halts_seen", a[21]);
	add_num(o, "start_cash", a[22]);
	json_object_object_add(o, "events", json_object_new_int64(events));
	return o;
}

/* The score's terms. */
static struct json_object *
parts_json(const ClobScoreParts *p)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "formula", json_object_new_string(
		"mean_return - risk_lambda * std_return - kill_charge * kill_trips_per_seed"));
	add_num(o, "mean_return", p->mean_r);
	add_num(o, "std_return", p->std_r);
	add_num(o, "risk_lambda", p->risk_lambda);
	add_num(o, "kill_trips_per_seed", p->kill_trips);
	add_num(o, "kill_charge", p->kill_charge);
	add_num(o, "stderr", p->stderr_r);
	add_num(o, "mean_maker_fills", p->mean_maker_fills);
	if (p->invalid_reason != NULL)
		json_object_object_add(o, "invalid_reason", json_object_new_string(p->invalid_reason));
	return o;
}

/* The parameters as JSON, with their types. */
static struct json_object *
params_to_json(const double *v)
{
	int			n;
	const ClobParamInfo *info = ClobTunableParams(&n);
	struct json_object *o = json_object_new_object();
	int			i;

	for (i = 0; i < n; i++)
	{
		if (info[i].kind == CLOB_PARAM_BOOL)
			json_object_object_add(o, info[i].name, json_object_new_boolean(v[i] != 0));
		else if (info[i].kind == CLOB_PARAM_INT)
			json_object_object_add(o, info[i].name, json_object_new_int64((int64_t) v[i]));
		else
			json_object_object_add(o, info[i].name, num(v[i]));
	}
	return o;
}

/* Threads for count worlds: the setting, or the free cores; at most count. */
static int
trial_threads(const ClobSession *s, int count)
{
	int			n = s->threads_setting == CLOB_THREADS_AUTO ? ClobFreeCores() : s->threads_setting;

	return n < count ? n : count;
}

/* Ready world i to play: its tape generated on first use, and no stop requested. */
static int
prepare_world(ClobSession *s, int i, const PtStop *stop, PtError *err)
{
	if (!s->have[i])
	{
		int			rc = ClobWorldGenerate(&s->sc[i], s->seed[i], &s->tape[i], err);

		if (rc != PT_OK)
			return rc;
		s->have[i] = true;
	}
	if (PtStopRequested(stop))
		return PtErrorSet(err, PT_ERR_CANCELLED, "backtest cancelled");
	return PT_OK;
}

/*
 * Play worlds [first, first + count) on n threads: every tape generated and
 * every thread's sim made here first, in the calling thread.
 */
static int
play_parallel(ClobSession *s, int first, int count, int n, const ClobMmParams *mm,
			  const PtStop *stop, PtError *err)
{
	int			i;
	int			rc;

	for (i = first; i < first + count; i++)
	{
		rc = prepare_world(s, i, stop, err);
		if (rc != PT_OK)
			return rc;
	}
	s->thread[0].sim = s->sim;
	for (i = 1; i < n; i++)
		if (s->thread[i].sim == NULL && (s->thread[i].sim = ClobSimCreate(1, 0)) == NULL)
			return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory in the backtest replay");
	return ClobPlayWorlds(s->thread, n, &s->tape[first], &s->metrics[first], count, mm, &s->policy,
						  stop, err);
}

/* Play worlds [first, first + count) with these parameters, generating tapes on first use. */
static int
play_worlds(ClobSession *s, int first, int count, const ClobMmParams *mm, const PtStop *stop,
			PtError *err)
{
	int			i;
	int			rc;
	int			n = trial_threads(s, count);

	s->threads_used = n > 1 ? n : 1;
	if (n > 1)
		return play_parallel(s, first, count, n, mm, stop, err);
	for (i = first; i < first + count; i++)
	{
		rc = prepare_world(s, i, stop, err);
		if (rc != PT_OK)
			return rc;
		rc = ClobSimRun(s->sim, &s->tape[i], mm, &s->policy, stop, &s->metrics[i], err);
		if (rc != PT_OK)
			return rc;
	}
	return PT_OK;
}

static void write_summary(const ClobSession *s, const ClobScoreParts *tp, char *buf, size_t len);

/*
 * One trial: the training worlds, and the held-out ones too when
 * with_holdout (a direct ptopt_backtest call that asked for them).  The
 * envelope and summary hold held-out figures only then.
 */
static int
run_trial(ClobSession *s, const double *values, bool with_holdout, const PtStop *stop,
		  ClobResult *out, PtError *err)
{
	ClobMmParams mm;
	ClobScoreParts tp;
	ClobScoreParts hp;
	struct json_object *env;
	struct json_object *sub;
	char		summary[SUMMARY_MAX];
	int			n;
	int			i;
	int			rc;

	memset(out, 0, sizeof(*out));
	ClobMmParamsFromValues(values, &mm);
	with_holdout = with_holdout && s->n_hold > 0;
	n = s->n_train + (with_holdout ? s->n_hold : 0);
	rc = play_worlds(s, 0, n, &mm, stop, err);
	if (rc != PT_OK)
		return rc;

	out->score = ClobScore(s->metrics, s->n_train, &tp);
	out->has_holdout = with_holdout;
	if (with_holdout)
		out->holdout_score = ClobScore(s->metrics + s->n_train, s->n_hold, &hp);
	else
		memset(&hp, 0, sizeof(hp));

	env = json_object_new_object();
	json_object_object_add(env, "envelope_version", json_object_new_int(ENVELOPE_VERSION));
	json_object_object_add(env, "engine", json_object_new_string("clob_v2_synth"));
	json_object_object_add(env, "synthetic", json_object_new_boolean(true));
	json_object_object_add(env, "disclaimer", json_object_new_string(DISCLAIMER));
	json_object_object_add(env, "params", params_to_json(values));
	json_object_object_add(env, "policy", json_tokener_parse(s->policy_json));
	sub = json_object_new_object();
	json_object_object_add(sub, "name", json_object_new_string(s->scenario));
	json_object_object_add(sub, "overrides", json_tokener_parse(s->overrides_json));
	{
		struct json_object *arr = json_object_new_array();

		for (i = 0; i < n; i++)
			json_object_array_add(arr, json_object_new_string(s->sc[i].name));
		json_object_object_add(sub, "per_seed", arr);
	}
	json_object_object_add(env, "scenario", sub);
	sub = json_object_new_object();
	json_object_object_add(sub, "base", json_object_new_int64(s->base_seed));
	{
		struct json_object *tr = json_object_new_array();

		for (i = 0; i < s->n_train; i++)
			json_object_array_add(tr, json_object_new_int64((int64_t) s->seed[i]));
		json_object_object_add(sub, "train", tr);
		if (with_holdout)
		{
			struct json_object *ho = json_object_new_array();

			/* Held-out seeds are 64-bit: written as text so JSON readers keep them exact. */
			for (i = s->n_train; i < n; i++)
			{
				char		buf[24];

				snprintf(buf, sizeof(buf), "%" PRIu64, s->seed[i]);
				json_object_array_add(ho, json_object_new_string(buf));
			}
			json_object_object_add(sub, "holdout", ho);
		}
	}
	json_object_object_add(env, "seeds", sub);
	json_object_object_add(env, "metrics", metrics_json(s->metrics, s->n_train));
	if (with_holdout)
		json_object_object_add(env, "holdout_metrics", metrics_json(s->metrics + s->n_train, s->n_hold));
	json_object_object_add(env, "score", num(out->score));
	json_object_object_add(env, "score_stderr", num(tp.stderr_r));
	json_object_object_add(env, "score_parts", parts_json(&tp));
	if (with_holdout)
	{
		json_object_object_add(env, "holdout_score", num(out->holdout_score));
		json_object_object_add(env, "holdout_score_stderr", num(hp.stderr_r));
		json_object_object_add(env, "holdout_score_parts", parts_json(&hp));
	}
	if (s->per_seed)
	{
		struct json_object *rows = json_object_new_array();

		for (i = 0; i < n; i++)
		{
			struct json_object *row = json_object_new_object();

			if (i < s->n_train)
				json_object_object_add(row, "seed", json_object_new_int64((int64_t) s->seed[i]));
			else
			{
				char		buf[24];

				snprintf(buf, sizeof(buf), "%" PRIu64, s->seed[i]);
				json_object_object_add(row, "seed", json_object_new_string(buf));
			}
			json_object_object_add(row, "set", json_object_new_string(i < s->n_train ? "train" : "holdout"));
			json_object_object_add(row, "scenario", json_object_new_string(s->sc[i].name));
			add_num(row, "p0", s->metrics[i].p0);
			json_object_object_add(row, "outcome", json_object_new_int(s->metrics[i].outcome));
			add_num(row, "p_end", s->metrics[i].p_end);
			add_num(row, "return", s->metrics[i].net_pnl / s->metrics[i].start_cash);
			json_object_object_add(row, "metrics", metrics_json(&s->metrics[i], 1));
			json_object_array_add(rows, row);
		}
		json_object_object_add(env, "per_seed", rows);
	}
	write_summary(s, &tp, summary, sizeof(summary));
	json_object_object_add(env, "summary", json_object_new_string(summary));

	out->envelope_json = PtStrdup(json_object_to_json_string_ext(env, JSON_C_TO_STRING_PLAIN));
	out->summary = PtStrdup(summary);
	json_object_put(env);
	if (out->envelope_json == NULL || out->summary == NULL)
	{
		ClobResultClear(out);
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory writing the backtest report");
	}
	return PT_OK;
}

/* Plain sentences about a trial: training worlds only, never the held-out set. */
static void
write_summary(const ClobSession *s, const ClobScoreParts *tp, char *buf, size_t len)
{
	const ClobSeedMetrics *m = s->metrics;
	int			n = s->n_train;
	double		pnl = 0;
	double		edge = 0;
	double		inv = 0;
	double		fills = 0;
	double		up = 0;
	double		mk60 = 0;
	double		adv = 0;
	double		dd = 0;
	double		cash = m[0].start_cash;
	int			kills = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		pnl += m[i].net_pnl / n;
		edge += m[i].edge_pnl / n;
		inv += m[i].inventory_pnl / n;
		fills += (double) m[i].fills_maker / n;
		up += m[i].quote_uptime / n;
		mk60 += m[i].markout[2] / n;
		adv += m[i].adverse_selection_cost / n;
		dd += m[i].max_drawdown / n;
		kills += m[i].kill_trips > 0;
	}
	if (tp->invalid_reason != NULL)
	{
		snprintf(buf, len, "Synthetic replay over %d training seeds of the %s scenario. "
				 "The trial is invalid (%s) and scores %.0f.", n, s->scenario,
				 tp->invalid_reason, CLOB_INVALID_SCORE);
		return;
	}
	snprintf(buf, len,
			 "Synthetic replay over %d training seeds of the %s scenario, not a forecast. "
			 "Mean net PnL was %.2f pUSD per seed (%.2f%% of %.0f pUSD start cash): "
			 "%.2f from edge at the fill, %.2f from inventory. "
			 "The maker filled %.1f times per seed and had both sides quoted %.0f%% of the time; "
			 "its 60 s markout was %.4f pUSD per share and adverse selection cost %.2f pUSD. "
			 "Mean max drawdown was %.2f pUSD and the kill switch tripped on %d of %d seeds. "
			 "Score %.4f (standard error across seeds %.4f).",
			 n, s->scenario, pnl, 100.0 * pnl / cash, cash, edge, inv, fills, 100.0 * up,
			 mk60, adv, dd, kills, n, tp->score, tp->stderr_r);
}

/* Run one trial from a parameter set given as JSON object text. */
int
ClobSessionRun(ClobSession *s, const char *params_json, const PtStop *stop, ClobResult *out,
			   PtError *err)
{
	double		values[CLOB_N_PARAMS];
	int			rc;

	memset(out, 0, sizeof(*out));
	rc = ClobParamsParse(params_json, values, err);
	if (rc != PT_OK)
		return rc;
	return run_trial(s, values, s->holdout_asked, stop, out, err);
}

/* Run one trial from checked values: training worlds only. */
int
ClobSessionRunValues(ClobSession *s, const double *values, const PtStop *stop, ClobResult *out,
					 PtError *err)
{
	return run_trial(s, values, false, stop, out, err);
}

/* Score the held-out worlds for a point: no envelope, nothing a strategy reads. */
int
ClobSessionRunHoldout(ClobSession *s, const double *values, const PtStop *stop, double *score,
					  double *stderr_out, PtError *err)
{
	ClobMmParams mm;
	ClobScoreParts hp;
	int			rc;

	if (s->n_hold <= 0)
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "the backtest session has no held-out seeds");
	ClobMmParamsFromValues(values, &mm);
	rc = play_worlds(s, s->n_train, s->n_hold, &mm, stop, err);
	if (rc != PT_OK)
		return rc;
	*score = ClobScore(s->metrics + s->n_train, s->n_hold, &hp);
	if (stderr_out != NULL)
		*stderr_out = hp.stderr_r;
	return PT_OK;
}
