-- Warm start: known parameter sets are evaluated first, then the strategy takes over.
SET ptopt.progress_notices = off;

CREATE TABLE my_strategies (name text PRIMARY KEY, params jsonb);
INSERT INTO my_strategies VALUES
    ('house', '{"x1": 3.14159, "x2": 2.275}'),
    ('old',   '{"x1": -5, "x2": 15}'),
    ('half',  '{"x1": 2.5}');

SELECT r.iterations, r.best_iter, round(r.best_score::numeric, 4) AS best_score, r.status
  FROM ptopt_run('{"x1": {"type": "float", "low": -5, "high": 10},
                   "x2": {"type": "float", "low": 0, "high": 15, "default": 7.5}}',
                 'random', 8, 0,
                 jsonb_build_object('objective', 'branin', 'label', 'warm',
                                    'warm_start', (SELECT jsonb_agg(params ORDER BY name DESC) FROM my_strategies))) r;
SELECT t.iter, t.source, t.params
  FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id)
 WHERE r.label = 'warm' ORDER BY t.iter LIMIT 4;

-- Joining a run's trajectory back to one's own table.
SELECT s.name, round(t.score::numeric, 4) AS score
  FROM my_strategies s
  JOIN ptopt.trajectory t ON t.params @> s.params
  JOIN ptopt.runs r ON r.run_id = t.run_id AND r.label = 'warm'
 ORDER BY t.score DESC;

-- Bad warm starts.
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 3, 0,
    '{"objective": "quadratic", "warm_start": {"x": 0.5}}')$$);
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 3, 0,
    '{"objective": "quadratic", "warm_start": [{"x": 2}]}')$$);
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 3, 0,
    '{"objective": "quadratic", "warm_start": [{}]}')$$);
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 1, 0,
    '{"objective": "quadratic", "warm_start": [{"x": 0.1}, {"x": 0.2}]}')$$);

-- A warm-start value that options.fixed contradicts is an error (it was silently overridden).
SELECT try($$SELECT ptopt_run('{"x1": {"type": "float", "low": -5, "high": 10}}', 'random', 3, 0,
    '{"objective": "branin", "fixed": {"x2": 7.5}, "warm_start": [{"x1": 1, "x2": 7.5}, {"x1": 1, "x2": 2}]}')$$);
-- Agreeing with it is fine.
SELECT r.iterations, r.status
  FROM ptopt_run('{"x1": {"type": "float", "low": -5, "high": 10}}', 'random', 2, 0,
                 '{"objective": "branin", "label": "warm-fixed", "fixed": {"x2": 7.5}, "warm_start": [{"x1": 1, "x2": 7.5}]}') r;
SELECT t.iter, t.source, t.params FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id)
 WHERE r.label = 'warm-fixed' AND t.iter = 1;

-- A warm-start point may set parameters outside the space: evaluated as given and recorded.
SELECT r.iterations, r.status
  FROM ptopt_run('{"x": {"low": 0, "high": 4}}', 'random', 3, 0,
                 '{"objective": "quadratic", "label": "warm-extra", "warm_start": [{"x": 2, "y": 5}, {"x": 3}]}') r;
SELECT t.iter, t.source, t.params, t.score FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id)
 WHERE r.label = 'warm-extra' AND t.iter <= 2 ORDER BY t.iter;
-- The backtest checks such values as it checks any parameter set, and says which point set them.
SELECT try($$SELECT ptopt_run('{"mm.c_vol": {"low": 0, "high": 2}}', 'random', 2, 0,
    '{"warm_start": [{"mm.c_vol": 1, "mm.layers": 99}]}')$$);
SELECT try($$SELECT ptopt_run('{"mm.c_vol": {"low": 0, "high": 2}}', 'random', 2, 0,
    '{"warm_start": [{"mm.c_vol": 1, "mm.nope": 1}]}')$$);
