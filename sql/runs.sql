-- The run machinery: NULL arguments, snapshot isolation, resume, elapsed, the orphan sweep.
SET ptopt.progress_notices = off;
\set space '{"x": {"type": "float", "low": -5, "high": 5}, "y": {"type": "float", "low": -5, "high": 5}}'

-- A NULL argument is an error that names the argument (22004), never a row of NULLs.
SELECT try($$SELECT ptopt_run(NULL)$$);
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'tpe', NULL)$$);
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 5, NULL)$$);
SELECT try($$SELECT ptopt_start('{"x": {"low": 0, "high": 1}}', NULL)$$);
SELECT try($$SELECT ptopt_validate('{"x": {"low": 0, "high": 1}}', 'random', 5, 0, NULL)$$);
SELECT try($$SELECT ptopt_cancel(NULL)$$);
SELECT try($$SELECT ptopt_wait(NULL)$$);
SELECT try($$SELECT ptopt_resume(NULL)$$);
SELECT try($$SELECT ptopt_resume(1, NULL)$$);
SELECT try($$SELECT * FROM ptopt_compare('{"x": {"low": 0, "high": 1}}', NULL)$$);
SELECT try($$SELECT ptopt_backtest(NULL)$$);
SELECT try($$SELECT ptopt_plot(1, NULL)$$);

-- REPEATABLE READ cannot see what the worker commits: refused before the run starts.
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 3, 0, '{"objective": "quadratic", "label": "rr"}')$$);
ROLLBACK;
SELECT count(*) AS rr_runs FROM ptopt.runs WHERE label = 'rr';

-- elapsed is a column, kept current, and the summary's elapsed is the same.
CREATE TABLE summary AS
SELECT * FROM ptopt_run(:'space', 'random', 20, 7, '{"objective": "quadratic", "label": "elapsed"}');
SELECT s.status, s.elapsed > '0' AS took_time, s.elapsed = r.elapsed AS same_elapsed,
       abs(extract(epoch FROM r.elapsed - (r.finished_at - r.started_at))) < 1 AS near_wall_time
  FROM summary s JOIN ptopt.runs r USING (run_id);

-- Resume: a run cut short and resumed to its budget has the trajectory of the uninterrupted run.
-- (The cut is made by hand here: the TAP tests cut real runs by cancel and by a server crash.)
CREATE FUNCTION cut_run(label text, keep integer) RETURNS void LANGUAGE sql AS $$
    DELETE FROM ptopt.trajectory t USING ptopt.runs r
     WHERE r.run_id = t.run_id AND r.label = cut_run.label AND t.iter > keep;
    UPDATE ptopt.runs SET status = 'cancelled', iterations = keep WHERE label = cut_run.label;
$$;

SELECT status FROM ptopt_run(:'space', 'random', 30, 11, '{"objective": "quadratic", "label": "random whole"}');
SELECT status FROM ptopt_run(:'space', 'random', 30, 11, '{"objective": "quadratic", "label": "random cut"}');
SELECT cut_run('random cut', 12);
SELECT s.status, s.iterations FROM ptopt_resume((SELECT run_id FROM ptopt.runs WHERE label = 'random cut')) s;
SELECT same_trajectory('random whole', 'random cut');

SELECT status FROM ptopt_run(:'space', 'tpe', 40, 5, '{"objective": "quadratic", "label": "tpe whole"}');
SELECT status FROM ptopt_run(:'space', 'tpe', 40, 5, '{"objective": "quadratic", "label": "tpe cut"}');
SELECT cut_run('tpe cut', 17);
SELECT s.status, s.iterations, s.best_score = w.best_score AS same_best
  FROM ptopt_resume((SELECT run_id FROM ptopt.runs WHERE label = 'tpe cut')) s,
       ptopt.runs w WHERE w.label = 'tpe whole';
SELECT same_trajectory('tpe whole', 'tpe cut');

-- Warm-start points are part of the stored trajectory: a resume after them goes on from there.
SELECT status FROM ptopt_run(:'space', 'tpe', 15, 3,
    '{"objective": "quadratic", "label": "warm whole", "warm_start": [{"x": 1, "y": 1}, {"x": -1, "y": 2}]}');
SELECT status FROM ptopt_run(:'space', 'tpe', 15, 3,
    '{"objective": "quadratic", "label": "warm cut", "warm_start": [{"x": 1, "y": 1}, {"x": -1, "y": 2}]}');
SELECT cut_run('warm cut', 1);
SELECT s.status, s.iterations FROM ptopt_resume((SELECT run_id FROM ptopt.runs WHERE label = 'warm cut')) s;
SELECT same_trajectory('warm whole', 'warm cut');

-- extra_budget runs more iterations; a done run needs it.
SELECT regexp_replace(try($$SELECT ptopt_resume((SELECT run_id FROM ptopt.runs WHERE label = 'random whole'))$$),
                      'run \d+', 'run N');
SELECT s.status, s.iterations
  FROM ptopt_resume((SELECT run_id FROM ptopt.runs WHERE label = 'random whole'), 5) s;
SELECT budget FROM ptopt.runs WHERE label = 'random whole';
SELECT try($$SELECT ptopt_resume((SELECT run_id FROM ptopt.runs WHERE label = 'random whole'), -1)$$);
SELECT try($$SELECT ptopt_resume(-42)$$);

-- A run left running by a worker that is gone is swept to failed, with the reason, and resumable.
UPDATE ptopt.runs SET status = 'running', worker_pid = 999999, finished_at = NULL
 WHERE label = 'random cut';
SELECT ptopt.sweep_orphans() AS swept;
SELECT status, error LIKE 'the ptopt worker (PID 999999) stopped before the run ended%' AS reason_given
  FROM ptopt.runs WHERE label = 'random cut';
SELECT s.status, s.iterations
  FROM ptopt_resume((SELECT run_id FROM ptopt.runs WHERE label = 'random cut'), 2) s;
