-- Random search: N iterations write N rows, reproducibly by seed.
SET ptopt.progress_notices = off;

SELECT r.strategy, r.iterations, r.best_iter BETWEEN 1 AND 25 AS best_iter_ok,
       r.best_score < 0 AS score_negated, r.status, r.elapsed > '0'::interval AS took_time
  FROM ptopt_run('{"x1": {"type": "float", "low": -5, "high": 10},
                   "x2": {"type": "float", "low": 0, "high": 15}}',
                 'random', 25, 42, '{"objective": "branin", "label": "random a"}') r;
SELECT r.iterations FROM ptopt_run('{"x1": {"type": "float", "low": -5, "high": 10},
                   "x2": {"type": "float", "low": 0, "high": 15}}',
                 'random', 25, 42, '{"objective": "branin", "label": "random b"}') r;
SELECT r.iterations FROM ptopt_run('{"x1": {"type": "float", "low": -5, "high": 10},
                   "x2": {"type": "float", "low": 0, "high": 15}}',
                 'random', 25, 43, '{"objective": "branin", "label": "random c"}') r;

-- Every iteration is a row, numbered 1..N, ok, from the random strategy, with a report.
SELECT r.label, count(*) AS rows, min(t.iter), max(t.iter), count(DISTINCT t.iter) AS distinct_iters,
       bool_and(t.status = 'ok') AS all_ok, bool_and(t.source = 'random') AS all_random,
       bool_and(t.report ? 'score') AS reports, bool_and(t.elapsed_ms >= 0) AS timed
  FROM ptopt.runs r JOIN ptopt.trajectory t USING (run_id)
 WHERE r.label LIKE 'random _'
 GROUP BY r.label ORDER BY r.label;

-- The same seed gives the same trajectory; another seed does not.
WITH tr AS (
    SELECT r.label, jsonb_agg(t.params ORDER BY t.iter) AS params, jsonb_agg(t.score ORDER BY t.iter) AS scores
      FROM ptopt.runs r JOIN ptopt.trajectory t USING (run_id)
     WHERE r.label LIKE 'random _' GROUP BY r.label)
SELECT (SELECT params FROM tr WHERE label = 'random a') = (SELECT params FROM tr WHERE label = 'random b') AS same_seed_same_params,
       (SELECT scores FROM tr WHERE label = 'random a') = (SELECT scores FROM tr WHERE label = 'random b') AS same_seed_same_scores,
       (SELECT params FROM tr WHERE label = 'random a') = (SELECT params FROM tr WHERE label = 'random c') AS other_seed_same_params;

-- The run row agrees with its trajectory.
SELECT r.best_score = max(t.score) AS best_is_max,
       r.best_params = (array_agg(t.params ORDER BY t.score DESC, t.iter))[1] AS best_params_match,
       r.best_iter = (array_agg(t.iter ORDER BY t.score DESC, t.iter))[1] AS best_iter_match,
       r.finished_at >= r.started_at AS finished, r.owner = current_user AS owned
  FROM ptopt.runs r JOIN ptopt.trajectory t USING (run_id)
 WHERE r.label = 'random a'
 GROUP BY r.run_id;

-- The first draws of seed 42, exactly (the stream is part of the contract: same seed, same run).
SELECT t.iter, t.params, round(t.score::numeric, 6) AS score
  FROM ptopt.runs r JOIN ptopt.trajectory t USING (run_id)
 WHERE r.label = 'random a' AND t.iter <= 3 ORDER BY t.iter;

-- Progress is relayed as NOTICE lines, a bounded number of them.
SET ptopt.progress_notices = on;
SET ptopt.progress_lines = 4;
SELECT setval('ptopt.runs_run_id_seq', 1000) AS pinned_run_id;  -- the notices name the run
SELECT r.iterations FROM ptopt_run('{"x": {"type": "float", "low": -4, "high": 4}}',
                                   'random', 8, 1, '{"objective": "quadratic", "label": "random notices"}') r;
RESET ptopt.progress_lines;
SET ptopt.progress_notices = off;

-- ptopt_start returns at once; ptopt_wait returns the summary.
SELECT ptopt_start('{"x": {"type": "float", "low": -4, "high": 4}}', 'random', 30, 5,
                   '{"objective": "quadratic", "label": "random started"}') > 0 AS started;
SELECT w.iterations, w.status
  FROM ptopt_wait((SELECT run_id FROM ptopt.runs WHERE label = 'random started')) w;
SELECT try($$SELECT ptopt_wait(-1)$$);
SELECT ptopt_cancel((SELECT run_id FROM ptopt.runs WHERE label = 'random started')) AS cancelled_finished_run;
