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
    '{"objective": "quadratic", "warm_start": [{"y": 0.5}]}')$$);
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 3, 0,
    '{"objective": "quadratic", "warm_start": [{}]}')$$);
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 1, 0,
    '{"objective": "quadratic", "warm_start": [{"x": 0.1}, {"x": 0.2}]}')$$);
