-- Ask and tell (runs evaluated outside the database), warm starts from earlier runs,
-- ptopt_evaluate, and options.cluster without PL/Proxy.
SET ptopt.progress_notices = off;
-- try_on(sql, run): try(format(sql, run)) with the run id (from a sequence other tests share) shown as <run>.
CREATE FUNCTION try_on(sql text, run bigint) RETURNS text LANGUAGE sql AS $$
    SELECT replace(try(format(sql, run)), run::text, '<run>')
$$;

-- An external run: ptopt_start writes its row and starts no worker.
SELECT ptopt_start('{"x": {"low": 0, "high": 1}, "k": {"type": "int", "low": 1, "high": 3}}',
                   'random', 6, 3, '{"objective": "external", "label": "ext"}') AS ext \gset
SELECT status, worker_pid IS NULL AS no_worker, objective, iterations FROM ptopt.runs WHERE run_id = :ext;

-- Two asks: stored at once as pending rows; the run row counts told iterations only.
SELECT iter, params FROM ptopt_ask(:ext, 2);
SELECT iter, status, score, source FROM ptopt.trajectory WHERE run_id = :ext ORDER BY iter;
SELECT iterations, best_iter FROM ptopt.runs WHERE run_id = :ext;

-- Random search hands out the points a worker's run with the same seed evaluates.
SELECT run_id AS same_seed FROM ptopt_run('{"x": {"low": 0, "high": 1}, "k": {"type": "int", "low": 1, "high": 3}}',
                                          'random', 2, 3, '{"objective": "quadratic"}') \gset
SELECT (SELECT array_agg(params ORDER BY iter) FROM ptopt.trajectory WHERE run_id = :ext)
     = (SELECT array_agg(params ORDER BY iter) FROM ptopt.trajectory WHERE run_id = :same_seed) AS same_points;

-- Tells: a score, and a ReportEnvelope.
SELECT ptopt_tell(:ext, 1, '0.5');
SELECT ptopt_tell(:ext, 2, '{"score": 0.75, "summary": "from outside", "pnl": 3, "holdout_score": 0.5}');
SELECT iter, status, score, holdout_score, report, elapsed_ms >= 0 AS timed FROM ptopt.trajectory WHERE run_id = :ext ORDER BY iter;
SELECT status, iterations, best_iter, best_score, holdout_score FROM ptopt.runs WHERE run_id = :ext;

-- Bad tells and asks.
\set VERBOSITY default
SELECT try_on('SELECT ptopt_tell(%s, 1, ''0.1'')', :ext);
SELECT try_on('SELECT ptopt_tell(%s, 3, ''0.1'')', :ext);
SELECT try_on('SELECT ptopt_tell(%s, 0, ''0.1'')', :ext);
SELECT try_on('SELECT ptopt_tell(%s, 3, ''0.1'')', -1);
SELECT iter FROM ptopt_ask(:ext, 1);
SELECT try_on('SELECT ptopt_tell(%s, 3, ''"high"'')', :ext);
SELECT try_on('SELECT ptopt_tell(%s, 3, ''{"pnl": 3}'')', :ext);
SELECT try_on('SELECT ptopt_tell(%s, 3, ''{"score": "0.3"}'')', :ext);
SELECT try_on('SELECT ptopt_tell(%s, 3, ''{"score": 1, "params": {"risk.killswitch.max_loss_pusd": 9}}'')', :ext);
SELECT try_on('SELECT ptopt_tell(%s, 3, NULL)', :ext);
SELECT try_on('SELECT ptopt_ask(%s, 0)', :ext);
SELECT try_on('SELECT ptopt_ask(%s, NULL)', :ext);
SELECT try('SELECT ptopt_ask(-1)');

-- The hard-gate trigger sees every stored point, pending ones included.
SELECT try_on($$UPDATE ptopt.trajectory SET params = params || '{"risk.killswitch.max_loss_pusd": 9}'
                  WHERE run_id = %s AND iter = 3$$, :ext);

-- A failure told by the evaluator; an ask never told expires (and cannot be told after).
SELECT ptopt_tell(:ext, 3, '{"error": "backtester crashed"}');
SELECT iter FROM ptopt_ask(:ext, 10);
SELECT count(*) AS nothing_left_to_ask FROM ptopt_ask(:ext);
SELECT ptopt_expire(:ext, '1 hour') AS expired_none, ptopt_expire(:ext, '0 s') AS expired;
SELECT try_on('SELECT ptopt_tell(%s, 4, ''0.1'')', :ext);
SELECT iter, status, report FROM ptopt.trajectory WHERE run_id = :ext ORDER BY iter;

-- The budget is all accounted for: the run is done, and takes nothing more.
SELECT status, iterations, best_iter, best_score FROM ptopt.runs WHERE run_id = :ext;
SELECT count(*) AS nothing_to_ask FROM ptopt_ask(:ext);
SELECT try_on('SELECT ptopt_tell(%s, 6, ''0.1'')', :ext);

-- Runs that are not external, and what external runs refuse.
SELECT run_id AS worker_run FROM ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 2, 0, '{"objective": "quadratic"}') \gset
SELECT try_on('SELECT ptopt_ask(%s)', :worker_run);
SELECT try_on('SELECT ptopt_tell(%s, 1, ''1'')', :worker_run);
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 2, 0, '{"objective": "external"}')$$);
SELECT try_on('SELECT ptopt_resume(%s, 2)', :ext);

-- options.direction = 'minimize': the lowest told score is the best.
SELECT ptopt_start('{"x": {"low": 0, "high": 1}}', 'tpe', 2, 0,
                   '{"objective": "external", "direction": "minimize"}') AS low \gset
SELECT count(*) FROM (SELECT ptopt_tell(:low, a.iter, to_jsonb(10 - a.iter)) FROM ptopt_ask(:low, 2) a) t;
SELECT status, best_iter, best_score FROM ptopt.runs WHERE run_id = :low;

-- An external run has no workers; a clustered run may have them (here refused only for want of PL/Proxy).
SELECT try($$SELECT ptopt_start('{"x": {"low": 0, "high": 1}}', 'random', 2, 0, '{"objective": "external", "workers": 2}')$$);
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 2, 0, '{"objective": "quadratic", "cluster": "trials", "workers": 2}')$$);

-- Another role sees no external run of this one: it cannot ask, tell, expire or cancel it.
CREATE ROLE ptopt_asktell_other LOGIN;
SELECT ptopt_start('{"x": {"low": 0, "high": 1}}', 'random', 3, 0, '{"objective": "external"}') AS mine \gset
SELECT count(*) FROM ptopt_ask(:mine, 1);
SET ROLE ptopt_asktell_other;
SELECT try_on('SELECT ptopt_ask(%s)', :mine);
SELECT try_on('SELECT ptopt_tell(%s, 1, ''1'')', :mine);
SELECT try_on('SELECT ptopt_expire(%s, ''0 s'')', :mine);
SELECT try_on('SELECT ptopt_cancel(%s)', :mine);
RESET ROLE;
SELECT status, (SELECT count(*) FROM ptopt.trajectory WHERE run_id = :mine AND status = 'pending') AS pending
  FROM ptopt.runs WHERE run_id = :mine;
SELECT ptopt_cancel(:mine);
DROP ROLE ptopt_asktell_other;

-- Pending points count as bad ones (constant liar): with iteration 4 pending, TPE proposes
-- iteration 5 elsewhere than with iteration 4 failed (which TPE leaves out).
SELECT ptopt_start('{"x": {"low": 0, "high": 1}}', 'tpe', 10, 5,
                   '{"objective": "external", "tpe": {"n_startup_trials": 3}}') AS liar1 \gset
SELECT ptopt_start('{"x": {"low": 0, "high": 1}}', 'tpe', 10, 5,
                   '{"objective": "external", "tpe": {"n_startup_trials": 3}}') AS liar2 \gset
SELECT count(*) FROM (SELECT ptopt_tell(:liar1, a.iter, to_jsonb(-((a.params->>'x')::float8 - 0.3) ^ 2))
                        FROM ptopt_ask(:liar1, 3) a) t;
SELECT count(*) FROM (SELECT ptopt_tell(:liar2, a.iter, to_jsonb(-((a.params->>'x')::float8 - 0.3) ^ 2))
                        FROM ptopt_ask(:liar2, 3) a) t;
SELECT count(*) FROM ptopt_ask(:liar1, 1);
SELECT ptopt_expire(:liar1, '0 s');
SELECT try_on('SELECT ptopt_tell(%s, 4, ''0.1'')', :liar1);
SELECT count(*) FROM ptopt_ask(:liar1, 1);
SELECT count(*) FROM ptopt_ask(:liar2, 2);
SELECT (SELECT params FROM ptopt.trajectory WHERE run_id = :liar1 AND iter = 4)
     = (SELECT params FROM ptopt.trajectory WHERE run_id = :liar2 AND iter = 4) AS same_iter_4,
       (SELECT params FROM ptopt.trajectory WHERE run_id = :liar1 AND iter = 5)
     = (SELECT params FROM ptopt.trajectory WHERE run_id = :liar2 AND iter = 5) AS same_iter_5;
SELECT ptopt_cancel(:liar1), ptopt_cancel(:liar2);
SELECT try_on('SELECT ptopt_ask(%s)', :liar1);

-- warm_start_from: TPE starts from the ok iterations of earlier runs of the same study,
-- without evaluating them again or copying them.
SELECT iterations FROM ptopt_run('{"x1": {"low": -5, "high": 10}, "x2": {"low": 0, "high": 15}}',
                                 'random', 8, 1, '{"objective": "branin", "label": "ws study"}');
SELECT iterations FROM ptopt_run('{"x2": {"high": 15, "low": 0.0}, "x1": {"low": -5, "high": 10}}',
                                 'tpe', 3, 2, '{"objective": "branin", "label": "ws warm", "warm_start_from": "ws study",
                                                "tpe": {"n_startup_trials": 8}}');
SELECT iterations FROM ptopt_run('{"x1": {"low": -5, "high": 10}, "x2": {"low": 0, "high": 15}}',
                                 'tpe', 3, 2, '{"objective": "branin", "label": "ws cold", "tpe": {"n_startup_trials": 8}}');
SELECT r.label, t.iter, t.source, t.reasoning
  FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id)
 WHERE r.label IN ('ws warm', 'ws cold') ORDER BY r.label, t.iter;
-- An external run warm-starts too (by run_id here), on each ask: from the ok iterations 1 and 2
-- of the first external run, TPE with two start-up trials proposes from its model at once.
SELECT ptopt_start('{"x": {"low": 0, "high": 1}, "k": {"type": "int", "low": 1, "high": 3}}', 'tpe', 2, 2,
                   format('{"objective": "external", "warm_start_from": %s, "tpe": {"n_startup_trials": 2}}', :ext)::jsonb)
       AS warm_ext \gset
SELECT count(*) FROM ptopt_ask(:warm_ext, 1);
SELECT iter, status, source, reasoning FROM ptopt.trajectory WHERE run_id = :warm_ext;
SELECT ptopt_cancel(:warm_ext);

-- Bad warm starts, refused before the run starts.
SELECT run_id AS study FROM ptopt.runs WHERE label = 'ws study' \gset
SELECT try($$SELECT ptopt_run('{"x1": {"low": -5, "high": 10}, "x2": {"low": 0, "high": 15}}', 'tpe', 2, 0,
    '{"objective": "branin", "warm_start_from": "no such label"}')$$);
SELECT try($$SELECT ptopt_run('{"x1": {"low": -5, "high": 10}, "x2": {"low": 0, "high": 15}}', 'tpe', 2, 0,
    '{"objective": "branin", "warm_start_from": 999999999}')$$);
SELECT replace(try($$SELECT ptopt_run('{"x1": {"low": -5, "high": 10}, "x2": {"low": 0, "high": 14}}', 'tpe', 2, 0,
    '{"objective": "branin", "warm_start_from": "ws study"}')$$), :'study', '<run>');
SELECT replace(try($$SELECT ptopt_run('{"x1": {"low": -5, "high": 10}, "x2": {"low": 0, "high": 15}}', 'tpe', 2, 0,
    '{"objective": "quadratic", "warm_start_from": "ws study"}')$$), :'study', '<run>');
SELECT try($$SELECT ptopt_run('{"x1": {"low": -5, "high": 10}, "x2": {"low": 0, "high": 15}}', 'tpe', 2, 0,
    '{"objective": "branin", "warm_start_from": ["ws study"]}')$$);
SELECT count(*) AS runs_written_by_refusals FROM ptopt.runs WHERE options ? 'warm_start_from' AND label IS NULL;

-- ptopt_evaluate: the evaluation a cluster's node makes.
SELECT ptopt_evaluate('{"x1": {"low": -5, "high": 10}, "x2": {"low": 0, "high": 15}}',
                      '{"x1": 3.14159, "x2": 2.275}', '{"objective": "branin"}');
CREATE FUNCTION fails_on_big(p jsonb) RETURNS float8 LANGUAGE plpgsql AS $$
BEGIN
    IF (p->>'x')::float8 > 0.5 THEN
        RAISE EXCEPTION 'x is too big' USING ERRCODE = 'numeric_value_out_of_range', HINT = 'Keep x small.';
    END IF;
    RETURN (p->>'x')::float8;
END $$;
SELECT ptopt_evaluate('{"x": {"low": 0, "high": 1}}', '{"x": 0.25}', '{"objective": "fails_on_big"}');
SELECT try($$SELECT ptopt_evaluate('{"x": {"low": 0, "high": 1}}', '{"x": 0.75}', '{"objective": "fails_on_big"}')$$);
SELECT try($$SELECT ptopt_evaluate('{"x": {"low": 0, "high": 1}}', '{"x": 2}', '{"objective": "fails_on_big"}')$$);

-- ptopt_evaluate_batch: a node's share of a batch; an objective's error fails its row only.
SELECT iter, result, error, elapsed_ms >= 0 AS timed
  FROM ptopt_evaluate_batch('{"x": {"low": 0, "high": 1}}', '{4, 7, 10}',
                            ARRAY['{"x": 0.25}', '{"x": 0.75}', '{"x": 0.5}']::jsonb[],
                            '{"objective": "fails_on_big"}');
SELECT count(*) FROM ptopt_evaluate_batch('{"x": {"low": 0, "high": 1}}', '{}', '{}', '{"objective": "fails_on_big"}');
SELECT try($$SELECT ptopt_evaluate_batch('{"x": {"low": 0, "high": 1}}', '{1, 2}', ARRAY['{"x": 0.25}']::jsonb[], '{"objective": "fails_on_big"}')$$);

-- options.cluster needs PL/Proxy; the error names the package.
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 2, 0, '{"objective": "quadratic", "cluster": "trials"}')$$);
SELECT try($$SELECT ptopt_start('{"x": {"low": 0, "high": 1}}', 'random', 2, 0, '{"objective": "external", "cluster": "trials"}')$$);
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 2, 0, '{"objective": "quadratic", "cluster": 3}')$$);
SELECT try('SELECT ptopt_cluster_enable()');
