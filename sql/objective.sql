-- User objectives: any SQL function of jsonb returning float8 or jsonb.
SET ptopt.progress_notices = off;

CREATE FUNCTION my_score(p jsonb) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
    SELECT -((p->>'a')::float8 - 3) ^ 2 - ((p->>'b')::float8 + 1) ^ 2
$$;
CREATE FUNCTION my_report(p jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('score', -abs((p->>'a')::float8 - 1), 'summary', 'distance to 1', 'a', p->'a')
$$;
CREATE FUNCTION my_flaky(p jsonb) RETURNS float8 LANGUAGE plpgsql AS $$
BEGIN
    IF (p->>'a')::float8 > 5 THEN
        RAISE EXCEPTION 'strategy blew up at a = %', p->>'a';
    END IF;
    RETURN (p->>'a')::float8;
END
$$;
CREATE FUNCTION my_text(p jsonb) RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$;
CREATE FUNCTION my_noscore(p jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{"pnl": 1}'::jsonb $$;

SELECT r.iterations, r.status, r.best_score > -20 AS found_something
  FROM ptopt_run('{"a": {"low": 0, "high": 6}, "b": {"low": -3, "high": 3}}', 'random', 20, 3,
                 '{"objective": "my_score", "label": "sql float8"}') r;
SELECT r.objective FROM ptopt.runs r WHERE r.label = 'sql float8';

SELECT r.iterations, r.status
  FROM ptopt_run('{"a": {"low": 0, "high": 2}}', 'random', 5, 3,
                 '{"objective": "public.my_report", "label": "sql jsonb"}') r;
SELECT t.iter, t.score = -abs((t.params->>'a')::float8 - 1) AS score_from_report,
       t.report->>'summary' AS summary
  FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id) WHERE r.label = 'sql jsonb' ORDER BY t.iter;

-- An objective that errors fails that iteration only; the run goes on.
SELECT r.iterations, r.status, r.best_score <= 5 AS best_from_ok_rows
  FROM ptopt_run('{"a": {"low": 0, "high": 10}}', 'random', 20, 11,
                 '{"objective": "my_flaky", "label": "sql flaky"}') r;
SELECT t.status, count(*) > 0 AS some, bool_and(t.score IS NULL) AS no_score,
       bool_and(CASE WHEN t.status = 'failed' THEN t.report#>>'{error,message}' LIKE 'strategy blew up at a = %' ELSE t.report IS NULL END) AS message_kept
  FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id) WHERE r.label = 'sql flaky'
 GROUP BY t.status ORDER BY t.status;

-- Functions that are not objectives.
SELECT try($$SELECT ptopt_run('{"a": {"low": 0, "high": 1}}', 'random', 3, 0, '{"objective": "my_text"}')$$);
SELECT try($$SELECT ptopt_run('{"a": {"low": 0, "high": 1}}', 'random', 3, 0, '{"objective": "my_missing"}')$$);
SELECT try($$SELECT ptopt_run('{"a": {"low": 0, "high": 1}}', 'random', 3, 0, '{"objective": "bad name!"}')$$);
-- A run whose every iteration failed ends failed, with the reason, and ptopt_run says so.
SELECT try($$SELECT ptopt_run('{"a": {"low": 0, "high": 1}}', 'random', 3, 0, '{"objective": "my_noscore", "label": "sql noscore"}')$$);
SELECT r.iterations, r.status, r.best_score IS NULL AS no_best, r.error
  FROM ptopt.runs r WHERE r.label = 'sql noscore';
SELECT DISTINCT t.status, t.report->>'error' AS error
  FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id) WHERE r.label = 'sql noscore';

-- A failed iteration keeps the objective's own SQLSTATE, message, detail and hint.
CREATE FUNCTION my_denied(p jsonb) RETURNS float8 LANGUAGE plpgsql AS $$
BEGIN
    IF (p->>'a')::float8 > 0.5 THEN
        RAISE EXCEPTION 'no access to the price table' USING ERRCODE = '42501',
            DETAIL = 'Role has no SELECT on prices.', HINT = 'GRANT SELECT ON prices.';
    END IF;
    RETURN (p->>'a')::float8;
END
$$;
SELECT r.status FROM ptopt_run('{"a": {"low": 0, "high": 1}}', 'random', 8, 2, '{"objective": "my_denied", "label": "sql denied"}') r;
SELECT DISTINCT t.status, t.report->'error' AS error
  FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id) WHERE r.label = 'sql denied' AND t.status = 'failed';

-- Fixed values reach the objective without being searched.
CREATE FUNCTION my_fixed(p jsonb) RETURNS float8 LANGUAGE sql AS $$
    SELECT CASE WHEN p->>'mode' = 'fast' THEN (p->>'a')::float8 ELSE -100 END
$$;
SELECT r.best_score > -100 AS fixed_seen
  FROM ptopt_run('{"a": {"low": 0, "high": 1}}', 'random', 4, 0,
                 '{"objective": "my_fixed", "fixed": {"mode": "fast"}, "label": "sql fixed"}') r;
SELECT bool_and(t.params->>'mode' = 'fast') AS fixed_stored
  FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id) WHERE r.label = 'sql fixed';
