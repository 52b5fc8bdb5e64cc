-- The clob_v2 backtest from SQL: parameters, the envelope, errors, and as the default objective.
SET ptopt.progress_notices = off;

SELECT name, type, low, high, log, step, choices, "default", gated
  FROM ptopt_params() ORDER BY gated, name;
SELECT count(*) FILTER (WHERE NOT gated) AS tunable, count(*) FILTER (WHERE gated) AS gated,
       bool_and(ptopt_gated_key(jsonb_build_object(name, 0)) IS NOT NULL) FILTER (WHERE gated) AS gated_match_families,
       bool_and(ptopt_gated_key(jsonb_build_object(name, 0)) IS NULL) FILTER (WHERE NOT gated) AS tunable_not_gated,
       bool_and(length(description) > 10) AS described
  FROM ptopt_params();

-- The default space covers every tunable parameter and is a valid clob_v2 search.
SELECT (SELECT count(*) FROM jsonb_object_keys(ptopt_default_space())) AS params_in_space,
       ptopt_validate(ptopt_default_space(), 'tpe', 10) AS objective;

-- One backtest: the envelope's shape.
CREATE TEMP TABLE env AS SELECT ptopt_backtest() AS e;
SELECT e->>'engine' AS engine, e->'synthetic' AS synthetic, e->>'envelope_version' IS NOT NULL AS versioned,
       e ? 'disclaimer' AS disclaimer, e->'scenario'->>'name' AS scenario,
       jsonb_array_length(e->'seeds'->'train') AS train_seeds, jsonb_array_length(e->'seeds'->'holdout') AS holdout_seeds,
       jsonb_typeof(e->'score') AS score, jsonb_typeof(e->'holdout_score') AS holdout,
       length(e->>'summary') > 80 AS summary, e->'policy'->'risk.killswitch.max_loss_pusd' AS max_loss
  FROM env;
SELECT k AS metric FROM env, jsonb_object_keys(e->'metrics') k ORDER BY k;

-- The score's standard error is reported; held-out worlds only when the options ask for them,
-- and never in the summary.
SELECT jsonb_typeof(e->'score_stderr') AS stderr, e->'score_parts'->>'formula' AS formula,
       position('held-out' IN e->>'summary') = 0 AS summary_training_only,
       jsonb_typeof(ptopt_backtest('{}', '{"train_seeds": 2, "holdout_seeds": 2}') -> 'holdout_score') AS holdout_when_asked
  FROM env;

-- Doing nothing scores exactly 0 (every order refused by a gate of the policy).
BEGIN;
UPDATE ptopt.policy SET value = '["nowhere"]', review_ref = 'regression: idle maker'
 WHERE key = 'risk.compliancegate.jurisdiction_allowlist';
SELECT ptopt_backtest('{}', '{"train_seeds": 2, "holdout_seeds": 0}') -> 'score' AS idle_score;
ROLLBACK;

-- The world as a table: the same tape every backtest of (scenario, seed) replays.
SELECT kind, count(*) > 0 AS present, bool_and(t_local_s - t_exchange_s BETWEEN 0.0299 AND 0.0301) AS feed_lag_30ms,
       bool_and(truth > 0 AND truth < 1) AS truth_in_0_1
  FROM ptopt_world('calm', 20260428) GROUP BY kind ORDER BY kind;
SELECT bool_and(t_exchange_s >= prev_t) AS in_time_order, max(t_exchange_s) < 3600 AS within_window,
       bool_and(kind <> 'cancel' OR price IS NULL) AS cancels_name_their_add
  FROM (SELECT w.*, lag(w.t_exchange_s, 1, 0.0) OVER (ORDER BY w.ordinality) AS prev_t
          FROM ptopt_world('calm', 20260428) WITH ORDINALITY w) x;
SELECT (SELECT sum(size) FROM ptopt_world('news', 7)) = (SELECT sum(size) FROM ptopt_world('news', 7)) AS deterministic,
       (SELECT sum(size) FROM ptopt_world('news', 7)) <> (SELECT sum(size) FROM ptopt_world('news', 8)) AS seeds_differ;
SELECT try($$SELECT count(*) FROM ptopt_world('bull', 1)$$);
SELECT try($$SELECT count(*) FROM ptopt_world('calm', -1)$$);

-- Deterministic: the same call gives the same envelope; other seeds differ.
SELECT ptopt_backtest('{"mm.c_vol": 2}') = ptopt_backtest('{"mm.c_vol": 2}') AS same_envelope,
       ptopt_backtest('{"mm.c_vol": 2}') -> 'score' = ptopt_backtest('{"mm.c_vol": 2}', '{"seed": 7}') -> 'score' AS other_seed_same_score;

-- Scenario options, and parameters change the outcome.
SELECT s AS scenario, (ptopt_backtest('{}', jsonb_build_object('scenario', s, 'train_seeds', 2, 'holdout_seeds', 1)) -> 'scenario' ->> 'name') = s AS ran
  FROM unnest(ARRAY['calm', 'news', 'toxic', 'thin', 'closing', 'restart', 'mixed']) s;
SELECT ptopt_backtest('{"mm.half_spread_min_ticks": 1}') -> 'score' <> ptopt_backtest('{"mm.half_spread_min_ticks": 5}') -> 'score' AS spread_matters;

-- Errors: unknown, wrongly typed, out-of-range parameters; gated keys; bad options.
SELECT try($$SELECT ptopt_backtest('{"mm.foo": 1}')$$);
SELECT try($$SELECT ptopt_backtest('{"mm.layers": 2.5}')$$);
SELECT try($$SELECT ptopt_backtest('{"mm.layers": "two"}')$$);
SELECT try($$SELECT ptopt_backtest('{"mm.c_vol": 7}')$$);
SELECT try($$SELECT ptopt_backtest('{"mm.post_only": 1}')$$);
SELECT try($$SELECT ptopt_backtest('{"risk.killswitch.max_loss_pusd": 1e9}')$$);
SELECT try($$SELECT ptopt_backtest('{"risk.killswitchx": 1}')$$);
SELECT try($$SELECT ptopt_backtest('{}', '{"scenario": "bull"}')$$);
SELECT try($$SELECT ptopt_backtest('{}', '{"train_seeds": 0}')$$);
SELECT try($$SELECT ptopt_backtest('{}', '{"colour": 1}')$$);
SELECT try($$SELECT ptopt_backtest('[1]')$$);

-- clob_v2 is the default objective of ptopt_run; space checks know its parameters.
SELECT r.iterations, r.status, r.holdout_score IS NOT NULL AS has_holdout
  FROM ptopt_run('{"mm.half_spread_min_ticks": {"type": "int", "low": 1, "high": 5},
                   "mm.c_vol": {"type": "float", "low": 0, "high": 2}}',
                 'random', 4, 1, '{"label": "bt run", "backtest": {"train_seeds": 2, "holdout_seeds": 1}}') r;
SELECT r.objective, r.policy ? 'risk.killswitch.max_loss_pusd' AS policy_snapshot,
       bool_and(t.report->>'engine' = 'clob_v2_synth') AS envelopes,
       bool_and((t.report->>'score')::float8 = t.score) AS scores_match
  FROM ptopt.runs r JOIN ptopt.trajectory t USING (run_id) WHERE r.label = 'bt run' GROUP BY r.objective, r.policy;
SELECT try($$SELECT ptopt_run('{"mm.c_vol": {"low": 0, "high": 9}}', 'random', 2)$$);
SELECT try($$SELECT ptopt_run('{"mm.layers": {"type": "float", "low": 1, "high": 3}}', 'random', 2)$$);
SELECT try($$SELECT ptopt_run('{"mm.nope": {"low": 0, "high": 1}}', 'random', 2)$$);
SELECT try($$SELECT ptopt_run('{"risk.killswitchx": {"low": 0, "high": 1}}', 'random', 2)$$);
SELECT try($$SELECT ptopt_run('{"mm.c_vol": {"low": 0, "high": 1}}', 'random', 2, 0, '{"fixed": {"mm.layers": 9}}')$$);
SELECT try($$SELECT ptopt_run('{"mm.c_vol": {"low": 0, "high": 1}}', 'random', 2, 0, '{"backtest": {"scenario": "bull"}}')$$);
