-- ptopt.backtest_threads: the worlds of a trial played on several threads give what one thread gives.
SET ptopt.progress_notices = off;

-- A direct call: 4 threads first (the worlds are generated, then played at once), then 1, then automatic.
SET ptopt.backtest_threads = 4;
CREATE TEMP TABLE thr AS
SELECT 4 AS threads, ptopt_backtest('{"mm.layers": 3}', '{"holdout_seeds": 8, "per_seed": true}') AS env;
SET ptopt.backtest_threads = 1;
INSERT INTO thr SELECT 1, ptopt_backtest('{"mm.layers": 3}', '{"holdout_seeds": 8, "per_seed": true}');
SET ptopt.backtest_threads = 0;
INSERT INTO thr SELECT 0, ptopt_backtest('{"mm.layers": 3}', '{"holdout_seeds": 8, "per_seed": true}');
SET ptopt.backtest_threads = 3;
INSERT INTO thr SELECT 3, ptopt_backtest('{"mm.layers": 3}', '{"holdout_seeds": 8, "per_seed": true}');
SELECT t.threads, (t.env->>'score')::float8 = (s.env->>'score')::float8 AS same_score,
       (t.env->>'holdout_score')::float8 = (s.env->>'holdout_score')::float8 AS same_holdout_score,
       t.env = s.env AS same_envelope, jsonb_array_length(t.env->'per_seed') AS worlds
  FROM thr t, thr s WHERE s.threads = 1 ORDER BY t.threads;

-- A cancel (statement_timeout) in the middle of a trial on 2 threads: 57014, and the next call is whole.
SET ptopt.backtest_threads = 1;
SELECT (ptopt_backtest('{}', '{"train_seeds": 32, "holdout_seeds": 0}')->>'score')::float8 AS score_32 \gset
SET ptopt.backtest_threads = 2;
SET statement_timeout = '5ms';
SELECT ptopt_backtest('{}', '{"train_seeds": 32, "holdout_seeds": 0}') IS NOT NULL AS finished;
RESET statement_timeout;
SELECT (ptopt_backtest('{}', '{"train_seeds": 32, "holdout_seeds": 0}')->>'score')::float8 = :score_32 AS same_score_after_cancel;

-- A run: the same trajectory and held-out score with 1 and 4 threads.
SET ptopt.backtest_threads = 4;
SELECT status, iterations FROM ptopt_run('{"mm.c_vol": {"low": 0, "high": 2}, "mm.layers": {"type": "int", "low": 1, "high": 5}}',
       'random', 4, 5, '{"label": "threads 4", "backtest": {"train_seeds": 6, "holdout_seeds": 3}}');
SET ptopt.backtest_threads = 1;
SELECT status, iterations FROM ptopt_run('{"mm.c_vol": {"low": 0, "high": 2}, "mm.layers": {"type": "int", "low": 1, "high": 5}}',
       'random', 4, 5, '{"label": "threads 1", "backtest": {"train_seeds": 6, "holdout_seeds": 3}}');
SELECT same_trajectory('threads 4', 'threads 1');
SELECT a.holdout_score = b.holdout_score AS same_holdout_score
  FROM ptopt.runs a, ptopt.runs b WHERE a.label = 'threads 4' AND b.label = 'threads 1';

-- The run worker takes its caller's setting; every process of a parallel run (its run worker too) uses 1 thread.
CREATE FUNCTION threads_seen(p jsonb) RETURNS float8 LANGUAGE sql AS $$
    SELECT current_setting('ptopt.backtest_threads')::float8 + 0 * (p->>'x')::float8
$$;
SET ptopt.backtest_threads = 3;
SELECT best_score FROM ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 2, 1, '{"objective": "threads_seen"}');
SELECT best_score FROM ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 4, 1, '{"objective": "threads_seen", "workers": 2}');
SET ptopt.backtest_threads = 0;
SELECT best_score FROM ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 2, 1, '{"objective": "threads_seen"}');

-- ptopt_evaluate (what a cluster node runs): the same envelope with 4 and 1 threads.
SET ptopt.backtest_threads = 4;
CREATE TEMP TABLE ev AS SELECT 4 AS threads, ptopt_evaluate('{"mm.c_vol": {"low": 0, "high": 2}}', '{"mm.c_vol": 0.7}',
                                                          '{"backtest": {"train_seeds": 5}}') AS env;
SET ptopt.backtest_threads = 1;
INSERT INTO ev SELECT 1, ptopt_evaluate('{"mm.c_vol": {"low": 0, "high": 2}}', '{"mm.c_vol": 0.7}',
                                        '{"backtest": {"train_seeds": 5}}');
SELECT a.env = b.env AS same_envelope, (a.env->>'score')::float8 = (b.env->>'score')::float8 AS same_score
  FROM ev a, ev b WHERE a.threads = 4 AND b.threads = 1;

-- Out of range or not an integer: refused, the setting unchanged.
\set VERBOSITY default
SET ptopt.backtest_threads = -1;
SET ptopt.backtest_threads = 65;
SET ptopt.backtest_threads = 'many';
SHOW ptopt.backtest_threads;
SELECT try($$SELECT set_config('ptopt.backtest_threads', '-1', false)$$);
RESET ptopt.backtest_threads;
SHOW ptopt.backtest_threads;
