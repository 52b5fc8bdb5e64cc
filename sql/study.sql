-- Study controls: options.direction and options.time_limit.
SET ptopt.progress_notices = off;
\set space '{"x": {"type": "float", "low": -5, "high": 5}, "y": {"type": "int", "low": -5, "high": 5}}'

-- The quadratic negated, as a SQL objective to minimise: sum((v - 2)^2).
CREATE FUNCTION neg_quadratic(p jsonb) RETURNS float8 LANGUAGE sql AS $$
    SELECT ((p->>'x')::float8 - 2) ^ 2 + ((p->>'y')::float8 - 2) ^ 2
$$;

-- minimize on the negated quadratic gives the trajectory of maximize on the quadratic.
SELECT status FROM ptopt_run(:'space', 'tpe', 30, 4, '{"objective": "quadratic", "label": "max"}');
SELECT status FROM ptopt_run(:'space', 'tpe', 30, 4,
    '{"objective": "neg_quadratic", "direction": "minimize", "label": "min"}');
SELECT count(*) AS iterations,
       count(*) FILTER (WHERE a.params IS DISTINCT FROM b.params) AS params_differ,
       count(*) FILTER (WHERE abs(a.score + b.score) > 1e-9) AS scores_not_negated
  FROM ptopt.trajectory a JOIN ptopt.runs ra ON ra.run_id = a.run_id AND ra.label = 'max'
  JOIN ptopt.trajectory b ON b.iter = a.iter
  JOIN ptopt.runs rb ON rb.run_id = b.run_id AND rb.label = 'min';
-- The minimised run's best is its lowest score, and the summary says so.
SELECT r.label, r.best_score = (SELECT min(score) FROM ptopt.trajectory t WHERE t.run_id = r.run_id) AS best_is_lowest,
       r.best_score = -m.best_score AS mirrors_max
  FROM ptopt.runs r, ptopt.runs m WHERE r.label = 'min' AND m.label = 'max';
SELECT strategy, runs, best_mean >= 0 AS reported_as_is
  FROM ptopt_compare(:'space', '{random}', 10, 2, '{"objective": "neg_quadratic", "direction": "minimize"}');
SELECT try($$SELECT ptopt_validate('{"x": {"low": 0, "high": 1}}', 'random', 5, 0, '{"direction": "down"}')$$);

-- time_limit: the run ends done after the iteration that reached the limit.
CREATE FUNCTION slowish(p jsonb) RETURNS float8 LANGUAGE sql AS $$
    SELECT pg_sleep(0.05); SELECT -abs((p->>'x')::float8)
$$;
SELECT s.status, s.iterations < 1000 AS stopped_early, s.iterations >= 5 AS ran_a_while
  FROM ptopt_run(:'space', 'random', 1000, 1,
                 '{"objective": "slowish", "time_limit": "0.6 seconds", "label": "limited"}') s;
-- Within one iteration of the limit: the last one started before it, and it ended at most one iteration after.
SELECT extract(epoch FROM r.elapsed) >= 0.6 AS reached_limit,
       extract(epoch FROM r.elapsed) - 0.6 <= (SELECT max(elapsed_ms) / 1000 + 0.25 FROM ptopt.trajectory t WHERE t.run_id = r.run_id)
           AS within_one_iteration,
       r.error IS NULL AS no_error
  FROM ptopt.runs r WHERE r.label = 'limited';
SELECT try($$SELECT ptopt_validate('{"x": {"low": 0, "high": 1}}', 'random', 5, 0, '{"objective": "quadratic", "time_limit": "soon"}')$$);
SELECT try($$SELECT ptopt_validate('{"x": {"low": 0, "high": 1}}', 'random', 5, 0, '{"objective": "quadratic", "time_limit": "-5 minutes"}')$$);
SELECT try($$SELECT ptopt_validate('{"x": {"low": 0, "high": 1}}', 'random', 5, 0, '{"time_limit": 60}')$$);

-- ptopt_explain follows the direction: the minimised run's best is its lowest score.
SELECT ptopt_explain(run_id) LIKE format('%% is iteration %s with score %%', best_iter) AS names_the_best,
       best_score = (SELECT min(score) FROM ptopt.trajectory t WHERE t.run_id = r.run_id) AS which_is_the_lowest,
       ptopt_explain(run_id) LIKE '%By fANOVA importance%' AS says_what_matters
  FROM ptopt.runs r WHERE label = 'min';
