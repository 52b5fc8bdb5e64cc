-- Parallel trials (options.workers): reproducible whatever the timing, errors before anything starts.
SET ptopt.progress_notices = off;
\set space '{"x": {"type": "float", "low": -5, "high": 5}, "y": {"type": "int", "low": -5, "high": 5}, "m": {"type": "categorical", "choices": ["a", "b", "c"]}}'

-- An objective that takes longer for some points, so trials finish out of order.
CREATE FUNCTION jittery(p jsonb) RETURNS float8 LANGUAGE sql AS $$
    SELECT pg_sleep(CASE WHEN (p->>'x')::float8 > 0 THEN 0.02 ELSE 0 END);
    SELECT -((p->>'x')::float8 - 1) ^ 2 - ((p->>'y')::float8 + 2) ^ 2 - CASE p->>'m' WHEN 'b' THEN 0 ELSE 3 END
$$;

-- Random search draws the same points whatever the number of workers.
SELECT w, (SELECT status || ' ' || iterations
             FROM ptopt_run(:'space', 'random', 24, 3,
                            jsonb_build_object('objective', 'jittery', 'workers', w, 'label', 'random w' || w)))
  FROM unnest(ARRAY[1, 2, 4]) w;
SELECT same_trajectory('random w1', 'random w2') AS w1_w2, same_trajectory('random w1', 'random w4') AS w1_w4;

-- options.workers = 2 evaluates each batch in one trial worker and in the run worker itself (each
-- claims the batch's next trial when it is free): an objective that takes 10 ms and notes which kind
-- of process evaluates each point sees both.
CREATE TABLE evaluated_by (x float8, backend_type text);
CREATE FUNCTION noting(p jsonb) RETURNS float8 LANGUAGE sql AS $$
    SELECT pg_sleep(0.01);
    INSERT INTO evaluated_by SELECT (p->>'x')::float8, backend_type FROM pg_stat_activity WHERE pid = pg_backend_pid();
    SELECT -((p->>'x')::float8 - 1) ^ 2
$$;
SELECT status, iterations FROM ptopt_run(:'space', 'random', 24, 3, '{"objective": "noting", "workers": 2, "label": "noting w2"}');
SELECT DISTINCT backend_type FROM evaluated_by ORDER BY backend_type;
SELECT count(*) AS evaluations, count(DISTINCT x) AS points FROM evaluated_by;
-- Random search: the points are those of the serial run, whoever evaluated them.
SELECT count(*) FILTER (WHERE a.params IS DISTINCT FROM b.params) AS params_differ
  FROM ptopt.trajectory a JOIN ptopt.runs ra ON ra.run_id = a.run_id AND ra.label = 'random w1'
  JOIN ptopt.trajectory b ON b.iter = a.iter
  JOIN ptopt.runs rb ON rb.run_id = b.run_id AND rb.label = 'noting w2';

-- TPE with 4 workers (constant liar) gives the same trajectory on two runs with the same seed.
SELECT status, iterations FROM ptopt_run(:'space', 'tpe', 32, 9, '{"objective": "jittery", "workers": 4, "label": "tpe w4 a"}');
SELECT status, iterations FROM ptopt_run(:'space', 'tpe', 32, 9, '{"objective": "jittery", "workers": 4, "label": "tpe w4 b"}');
SELECT same_trajectory('tpe w4 a', 'tpe w4 b');
-- The liar changes proposals: within a batch TPE does not propose one point four times.
SELECT count(DISTINCT params) = count(*) AS distinct_points
  FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id) WHERE r.label = 'tpe w4 a' AND t.iter > 10;
-- The batch run is still a search: its best is near the optimum (x 1, y -2, m b).
SELECT best_score > -1.5 AS found_the_basin FROM ptopt.runs WHERE label = 'tpe w4 a';
-- Each trial was evaluated (by a trial worker or the coordinator) and written once; the run row agrees.
SELECT r.iterations = (SELECT count(*) FROM ptopt.trajectory t WHERE t.run_id = r.run_id) AS rows_match,
       (SELECT count(DISTINCT iter) FROM ptopt.trajectory t WHERE t.run_id = r.run_id) = 32 AS every_iteration_once
  FROM ptopt.runs r WHERE r.label = 'tpe w4 a';

-- A parallel run cut inside a batch and resumed has the trajectory of the uninterrupted run.
SELECT status FROM ptopt_run(:'space', 'tpe', 32, 9, '{"objective": "jittery", "workers": 4, "label": "tpe w4 cut"}');
DELETE FROM ptopt.trajectory t USING ptopt.runs r
 WHERE r.run_id = t.run_id AND r.label = 'tpe w4 cut' AND t.iter IN (14, 16, 17, 18, 19, 20, 25, 30);
UPDATE ptopt.runs SET status = 'cancelled' WHERE label = 'tpe w4 cut';
SELECT status, iterations FROM ptopt_resume((SELECT run_id FROM ptopt.runs WHERE label = 'tpe w4 cut'));
SELECT same_trajectory('tpe w4 a', 'tpe w4 cut');

-- Held-out scores of each new best: the coordinator scores them while the trial workers evaluate the
-- next batch, and they are the serial run's, iteration for iteration (random search: the same points
-- and the same bests; the last batch's new bests are scored before the run ends).
SELECT w, (SELECT status FROM ptopt_run('{"mm.c_vol": {"low": 0, "high": 2}, "mm.layers": {"type": "int", "low": 1, "high": 4}}',
                                         'random', 12, 5,
                                         jsonb_build_object('workers', w, 'label', 'holdout w' || w,
                                                            'backtest', '{"train_seeds": 2, "holdout_seeds": 2}'::jsonb)))
  FROM unnest(ARRAY[1, 3]) w;
SELECT count(*) FILTER (WHERE a.holdout_score IS NOT NULL) AS scored_bests,
       count(*) FILTER (WHERE a.holdout_score IS DISTINCT FROM b.holdout_score) AS differ,
       (SELECT r.holdout_score IS NOT NULL AND r.holdout_score = s.holdout_score
          FROM ptopt.runs r, ptopt.runs s WHERE r.label = 'holdout w1' AND s.label = 'holdout w3') AS run_holdout_same
  FROM ptopt.trajectory a JOIN ptopt.runs ra ON ra.run_id = a.run_id AND ra.label = 'holdout w1'
  JOIN ptopt.trajectory b ON b.iter = a.iter
  JOIN ptopt.runs rb ON rb.run_id = b.run_id AND rb.label = 'holdout w3';

-- Not enough background worker slots: a clear error before anything starts, no run row.
SELECT regexp_replace(try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 8, 0, '{"objective": "quadratic", "workers": 40, "label": "too many"}')$$),
                      'only \d+ are free', 'only N are free');
SELECT count(*) AS runs_made FROM ptopt.runs WHERE label = 'too many';
SELECT try($$SELECT ptopt_validate('{"x": {"low": 0, "high": 1}}', 'random', 8, 0, '{"objective": "quadratic", "workers": 0}')$$);
SELECT try($$SELECT ptopt_validate('{"x": {"low": 0, "high": 1}}', 'random', 8, 0, '{"objective": "quadratic", "workers": "4"}')$$);
-- No trial worker outlives its run (they are stopped as the run ends; give them a moment to go).
CREATE FUNCTION trial_workers_left() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    FOR i IN 1 .. 100 LOOP
        PERFORM pg_stat_clear_snapshot();
        SELECT count(*) INTO n FROM pg_stat_activity WHERE backend_type = 'ptopt trial worker';
        EXIT WHEN n = 0;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN n;
END
$$;
SELECT trial_workers_left();
