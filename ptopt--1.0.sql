-- ptopt 1.0: tables, views, triggers, grants, row-level security and function declarations.
\echo Use "CREATE EXTENSION ptopt" to load this file. \quit

CREATE SCHEMA ptopt;
COMMENT ON SCHEMA ptopt IS 'ptopt: searches, their iterations, and the hard-gated policy';
GRANT USAGE ON SCHEMA ptopt TO PUBLIC;

------------------------------------------------------------------------------
-- Hard gates
------------------------------------------------------------------------------

CREATE FUNCTION ptopt_hard_gates(OUT family text, OUT covers text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ptopt_hard_gates'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ptopt_hard_gates() IS 'the hard-gated families no search may touch';

-- The key path of the first gated key in a JSON value, or NULL.
CREATE FUNCTION ptopt_gated_key(value jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'ptopt_gated_key'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ptopt_gated_key(jsonb) IS 'the first hard-gated key path in a JSON value, or NULL';

-- BEFORE INSERT OR UPDATE trigger: the arguments name the jsonb columns to check.
CREATE FUNCTION ptopt_gate_guard()
RETURNS trigger
AS 'MODULE_PATHNAME', 'ptopt_gate_guard'
LANGUAGE C;

------------------------------------------------------------------------------
-- Tables
------------------------------------------------------------------------------

CREATE TABLE ptopt.policy (
    key         text PRIMARY KEY,
    value       jsonb NOT NULL,
    review_ref  text NOT NULL CHECK (btrim(review_ref) <> ''),
    changed_by  name NOT NULL DEFAULT current_user,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT policy_key_is_gated CHECK (ptopt_gated_key(jsonb_build_object(key, 0)) IS NOT NULL)
);
COMMENT ON TABLE ptopt.policy IS
    'hard-gated settings (kill switch, exposure guard, compliance gate, market-halt guard, signer); changed by its owner with a review reference, snapshotted by every run';

-- Every change to the policy names its review and who made it.  An INSERT of a key
-- that exists (what pg_restore does after CREATE EXTENSION wrote the defaults)
-- updates that row with the restored value, review and stamp.
CREATE FUNCTION ptopt.policy_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND EXISTS (SELECT 1 FROM ptopt.policy p WHERE p.key = NEW.key) THEN
        UPDATE ptopt.policy p
           SET value = NEW.value, review_ref = NEW.review_ref,
               changed_by = NEW.changed_by, changed_at = NEW.changed_at
         WHERE p.key = NEW.key;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.review_ref IS NOT DISTINCT FROM OLD.review_ref THEN
        RAISE EXCEPTION 'a change to ptopt.policy needs a new review reference'
            USING ERRCODE = 'check_violation',
                  DETAIL = format('Setting %s still carries review %s.', OLD.key, OLD.review_ref),
                  HINT = 'Set review_ref to the code review that approved the change.';
    END IF;
    -- A direct change is stamped now; a restored row keeps the stamp it was dumped with.
    IF pg_catalog.pg_trigger_depth() = 1 THEN
        NEW.changed_by := current_user;
        NEW.changed_at := now();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER policy_stamp BEFORE INSERT OR UPDATE ON ptopt.policy
    FOR EACH ROW EXECUTE FUNCTION ptopt.policy_stamp();

-- A plain sequence (not an identity) so that pg_dump keeps its position.
CREATE SEQUENCE ptopt.runs_run_id_seq;
CREATE TABLE ptopt.runs (
    run_id        bigint PRIMARY KEY DEFAULT nextval('ptopt.runs_run_id_seq'),
    owner         name NOT NULL DEFAULT current_user,
    label         text,
    strategy      text NOT NULL,
    objective     text NOT NULL,
    space         jsonb NOT NULL,
    options       jsonb NOT NULL DEFAULT '{}',
    seed          bigint NOT NULL DEFAULT 0,
    budget        integer NOT NULL CHECK (budget > 0),
    status        text NOT NULL DEFAULT 'running'
                  CHECK (status IN ('running', 'done', 'cancelled', 'failed')),
    started_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at   timestamptz,
    iterations    integer NOT NULL DEFAULT 0,
    best_score    double precision,
    best_iter     integer,
    best_params   jsonb,
    holdout_score double precision,
    policy        jsonb NOT NULL DEFAULT '{}',
    llm_model     text,
    tokens_in     bigint NOT NULL DEFAULT 0,
    tokens_out    bigint NOT NULL DEFAULT 0,
    explanation   text,
    error         text,
    elapsed       interval NOT NULL DEFAULT '0',
    worker_pid    integer
);
ALTER SEQUENCE ptopt.runs_run_id_seq OWNED BY ptopt.runs.run_id;
COMMENT ON TABLE ptopt.runs IS 'one row per search: what was searched, how, and how it ended';
CREATE INDEX runs_owner_idx ON ptopt.runs (owner, started_at);
CREATE INDEX runs_status_idx ON ptopt.runs (status);
CREATE INDEX runs_strategy_idx ON ptopt.runs (strategy, objective);
CREATE INDEX runs_label_idx ON ptopt.runs (label) WHERE label IS NOT NULL;
CREATE INDEX runs_best_score_idx ON ptopt.runs (best_score DESC NULLS LAST);

CREATE TABLE ptopt.trajectory (
    run_id      bigint NOT NULL REFERENCES ptopt.runs (run_id) ON DELETE CASCADE,
    iter        integer NOT NULL CHECK (iter > 0),
    params      jsonb NOT NULL,
    score       double precision,
    holdout_score double precision,     -- held-out worlds, for each new best only; no strategy reads it
    report      jsonb,
    reasoning   text,
    source      text NOT NULL
                CHECK (source IN ('random', 'tpe', 'llm', 'llm_fallback', 'warm_start')),
    status      text NOT NULL CHECK (status IN ('ok', 'refused', 'failed', 'pending')),
    elapsed_ms  double precision NOT NULL DEFAULT 0,
    propose_ms  double precision NOT NULL DEFAULT 0,
    tokens_in   integer NOT NULL DEFAULT 0,
    tokens_out  integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (run_id, iter)
);
COMMENT ON TABLE ptopt.trajectory IS 'one row per iteration: params, score, report, reasoning';
CREATE INDEX trajectory_score_idx ON ptopt.trajectory (run_id, score DESC NULLS LAST);
CREATE INDEX trajectory_status_idx ON ptopt.trajectory (status, source);
CREATE INDEX trajectory_params_idx ON ptopt.trajectory USING gin (params jsonb_path_ops);
-- Iterations handed out by ptopt_ask and not yet told (ptopt_expire looks for old ones).
CREATE INDEX trajectory_pending_idx ON ptopt.trajectory (run_id, created_at) WHERE status = 'pending';

CREATE TRIGGER runs_gate_guard
    BEFORE INSERT OR UPDATE ON ptopt.runs
    FOR EACH ROW EXECUTE FUNCTION ptopt_gate_guard('space', 'options', 'best_params');
CREATE TRIGGER trajectory_gate_guard
    BEFORE INSERT OR UPDATE ON ptopt.trajectory
    FOR EACH ROW EXECUTE FUNCTION ptopt_gate_guard('params');

-- pg_dump keeps what users wrote: runs, their iterations, the run id sequence, and the
-- policy rows changed since the defaults (the extension script writes the defaults).
SELECT pg_catalog.pg_extension_config_dump('ptopt.runs', '');
SELECT pg_catalog.pg_extension_config_dump('ptopt.trajectory', '');
SELECT pg_catalog.pg_extension_config_dump('ptopt.runs_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ptopt.policy', $$WHERE review_ref <> 'ptopt 1.0 defaults'$$);

-- Runs left running by a server crash or restart, or by a worker that exited, are marked
-- failed with the reason.  Called by every run, resume, wait and cancel; definer's rights
-- so that it sees every role's runs.
CREATE FUNCTION ptopt.sweep_orphans() RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    WITH swept AS (
        UPDATE ptopt.runs r
           SET status = 'failed', finished_at = clock_timestamp(), worker_pid = NULL,
               error = CASE
                   WHEN coalesce((SELECT max(t.created_at) FROM ptopt.trajectory t WHERE t.run_id = r.run_id),
                                 r.started_at) < pg_postmaster_start_time()
                   THEN 'the server restarted (after a crash or a shutdown) while the run was running'
                   ELSE format('the ptopt worker (PID %s) stopped before the run ended: it was killed, or the server reset every backend after a crash', r.worker_pid)
               END
         WHERE r.status = 'running'
           AND r.objective <> 'external'   -- evaluated outside: no worker (ptopt_ask, ptopt_tell)
           AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                            WHERE a.pid = r.worker_pid AND a.backend_type = 'ptopt worker'
                              AND a.datname = current_database())
        RETURNING 1)
    SELECT count(*)::integer FROM swept
$$;
COMMENT ON FUNCTION ptopt.sweep_orphans() IS
    'marks failed, with the reason, the runs whose worker is gone (server crash or restart, worker exit); external runs have no worker and are left alone';

------------------------------------------------------------------------------
-- Row-level security and grants: a role sees and writes its own runs only
------------------------------------------------------------------------------

ALTER TABLE ptopt.runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE ptopt.trajectory ENABLE ROW LEVEL SECURITY;

CREATE POLICY runs_owner ON ptopt.runs
    USING (owner = current_user)
    WITH CHECK (owner = current_user);
CREATE POLICY trajectory_owner ON ptopt.trajectory
    USING (EXISTS (SELECT 1 FROM ptopt.runs r WHERE r.run_id = trajectory.run_id))
    WITH CHECK (EXISTS (SELECT 1 FROM ptopt.runs r WHERE r.run_id = trajectory.run_id));

GRANT SELECT, INSERT, UPDATE, DELETE ON ptopt.runs, ptopt.trajectory TO PUBLIC;
GRANT USAGE ON SEQUENCE ptopt.runs_run_id_seq TO PUBLIC;
GRANT SELECT ON ptopt.policy TO PUBLIC;

------------------------------------------------------------------------------
-- The backtest
------------------------------------------------------------------------------

CREATE FUNCTION ptopt_params(
    OUT name text, OUT type text, OUT low double precision, OUT high double precision,
    OUT log boolean, OUT step double precision, OUT choices jsonb, OUT "default" jsonb,
    OUT gated boolean, OUT description text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ptopt_params'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ptopt_params() IS 'the tunable and the hard-gated parameters of the clob_v2 backtest';

CREATE FUNCTION ptopt_default_space()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'ptopt_default_space'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ptopt_default_space() IS 'a search space over every tunable backtest parameter';

CREATE FUNCTION ptopt_backtest(params jsonb DEFAULT '{}', options jsonb DEFAULT '{}')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'ptopt_backtest'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ptopt_backtest(jsonb, jsonb) IS 'one clob_v2 backtest, the same the optimizer runs; returns the ReportEnvelope';

-- The defaults shipped with 1.0 (ptopt_params()); later changes carry a review reference.
INSERT INTO ptopt.policy (key, value, review_ref)
SELECT p.name, p."default", 'ptopt 1.0 defaults'
  FROM ptopt_params() p
 WHERE p.gated;

------------------------------------------------------------------------------
-- Searches
------------------------------------------------------------------------------

CREATE TYPE ptopt.run_summary AS (
    run_id        bigint,
    strategy      text,
    iterations    integer,
    best_score    double precision,
    best_iter     integer,
    best_params   jsonb,
    holdout_score double precision,
    elapsed       interval,
    status        text
);

CREATE FUNCTION ptopt_run(space jsonb, strategy text DEFAULT 'tpe', budget integer DEFAULT 50,
                          seed bigint DEFAULT 0, options jsonb DEFAULT '{}')
RETURNS ptopt.run_summary
AS 'MODULE_PATHNAME', 'ptopt_run'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ptopt_run(jsonb, text, integer, bigint, jsonb) IS
    'runs a search in a background worker, relays its progress, and returns its summary';

CREATE FUNCTION ptopt_start(space jsonb, strategy text DEFAULT 'tpe', budget integer DEFAULT 50,
                            seed bigint DEFAULT 0, options jsonb DEFAULT '{}')
RETURNS bigint
AS 'MODULE_PATHNAME', 'ptopt_start'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ptopt_start(jsonb, text, integer, bigint, jsonb) IS
    'starts a search in a background worker and returns its run_id at once';

CREATE FUNCTION ptopt_wait(run_id bigint, timeout interval DEFAULT NULL)
RETURNS ptopt.run_summary
AS 'MODULE_PATHNAME', 'ptopt_wait'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ptopt_wait(bigint, interval) IS
    'waits for a run to end (or the timeout to pass) and returns its summary';

CREATE FUNCTION ptopt_cancel(run_id bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'ptopt_cancel'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ptopt_cancel(bigint) IS
    'asks the worker of a running search to stop; iterations already written stay';

CREATE FUNCTION ptopt_resume(run_id bigint, extra_budget integer DEFAULT 0)
RETURNS ptopt.run_summary
AS 'MODULE_PATHNAME', 'ptopt_resume'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ptopt_resume(bigint, integer) IS
    'continues a cancelled or failed run in place (to its budget plus extra_budget) and returns its summary';

CREATE FUNCTION ptopt_resume_start(run_id bigint, extra_budget integer DEFAULT 0)
RETURNS bigint
AS 'MODULE_PATHNAME', 'ptopt_resume_start'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ptopt_resume_start(bigint, integer) IS
    'continues a stopped run in the background and returns its run_id at once';

CREATE FUNCTION ptopt_validate(space jsonb, strategy text DEFAULT 'tpe', budget integer DEFAULT 50,
                               seed bigint DEFAULT 0, options jsonb DEFAULT '{}')
RETURNS text
AS 'MODULE_PATHNAME', 'ptopt_validate'
LANGUAGE C STABLE;
COMMENT ON FUNCTION ptopt_validate(jsonb, text, integer, bigint, jsonb) IS
    'checks a search as ptopt_run would, without running it; returns the objective it would use';

------------------------------------------------------------------------------
-- Studying searches
------------------------------------------------------------------------------

CREATE FUNCTION ptopt_plot(run_id bigint, width integer DEFAULT 60, height integer DEFAULT 12)
RETURNS text
AS 'MODULE_PATHNAME', 'ptopt_plot'
LANGUAGE C STABLE;
COMMENT ON FUNCTION ptopt_plot(bigint, integer, integer) IS
    'score per iteration and best-so-far of a run, drawn as text for psql';

-- Each run's best parameters, one row per parameter, to JOIN with one's own tables.
CREATE VIEW ptopt.best WITH (security_invoker = true) AS
SELECT r.run_id, r.label, r.strategy, r.objective, r.best_score, r.best_iter,
       p.key AS param, p.value, p.value #>> '{}' AS value_text
  FROM ptopt.runs r
 CROSS JOIN LATERAL jsonb_each(r.best_params) p;
COMMENT ON VIEW ptopt.best IS 'the best parameters of each run, one row per parameter';
GRANT SELECT ON ptopt.best TO PUBLIC;

-- Apples to apples: every strategy on the same objective, budget and seeds (1..repeats).
CREATE FUNCTION ptopt_compare(space jsonb, strategies text[], budget integer DEFAULT 50,
                              repeats integer DEFAULT 5, options jsonb DEFAULT '{}')
RETURNS TABLE (strategy text, runs integer, best_mean double precision, best_sd double precision,
               best_max double precision, reached integer, iters_to_95 double precision,
               ms_per_iter double precision, run_ids bigint[])
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    s text;
    r integer;
    ids bigint[] := '{}';
    base_label text := coalesce(options->>'label', 'compare');
    saved_notices text;
    arg text;
BEGIN
    arg := CASE WHEN space IS NULL THEN 'space' WHEN strategies IS NULL THEN 'strategies'
                WHEN budget IS NULL THEN 'budget' WHEN repeats IS NULL THEN 'repeats'
                WHEN options IS NULL THEN 'options' END;
    IF arg IS NOT NULL THEN
        RAISE EXCEPTION 'argument "%" of ptopt_compare must not be NULL', arg
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Leave the argument out to take its default.';
    END IF;
    IF cardinality(strategies) = 0 OR array_position(strategies, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'strategies must name at least one strategy, and no NULL'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF (SELECT count(DISTINCT x) FROM unnest(strategies) x) <> cardinality(strategies) THEN
        RAISE EXCEPTION 'strategies must not repeat a strategy' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF repeats < 1 OR repeats > 1000 THEN
        RAISE EXCEPTION 'repeats must be between 1 and 1000, not %', repeats
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF jsonb_typeof(options->'label') IS DISTINCT FROM 'string' AND options ? 'label' THEN
        RAISE EXCEPTION 'options.label must be a string' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Every strategy is checked before any run starts.
    FOREACH s IN ARRAY strategies LOOP
        PERFORM @extschema@.ptopt_validate(space, s, budget, 1, options);
    END LOOP;

    -- ptopt_validate has loaded the library, so its settings exist now.
    saved_notices := current_setting('ptopt.progress_notices');
    PERFORM set_config('ptopt.progress_notices', 'off', true);
    FOREACH s IN ARRAY strategies LOOP
        FOR r IN 1 .. repeats LOOP
            ids := ids || (SELECT x.run_id FROM @extschema@.ptopt_run(space, s, budget, r,
                              options || jsonb_build_object('label', format('%s: %s seed %s', base_label, s, r))) x);
        END LOOP;
        RAISE NOTICE 'ptopt_compare: % done (% runs of % iterations)', s, repeats, budget;
    END LOOP;
    PERFORM set_config('ptopt.progress_notices', saved_notices, true);

    -- Scores are compared as "higher is better": a minimised objective's are negated, then shown as they are.
    RETURN QUERY
    WITH sgn AS (SELECT CASE WHEN options->>'direction' = 'minimize' THEN -1.0 ELSE 1.0 END::float8 AS sign),
    tr AS (
        SELECT t.run_id, ru.strategy AS strat, t.iter, sgn.sign * t.score AS score, t.elapsed_ms,
               max(sgn.sign * t.score) OVER (PARTITION BY t.run_id ORDER BY t.iter) AS best_so_far
          FROM ptopt.trajectory t JOIN ptopt.runs ru USING (run_id) CROSS JOIN sgn
         WHERE t.run_id = ANY (ids)),
    lim AS (SELECT max(tr.score) AS hi, min(tr.score) AS lo FROM tr),
    per_run AS (
        SELECT tr.run_id, tr.strat, max(tr.score) AS best, avg(tr.elapsed_ms) AS ms,
               min(tr.iter) FILTER (WHERE tr.best_so_far >= lim.lo + 0.95 * (lim.hi - lim.lo)) AS reach
          FROM tr CROSS JOIN lim
         GROUP BY tr.run_id, tr.strat)
    SELECT p.strat, count(*)::integer, (SELECT sgn.sign FROM sgn) * avg(p.best), stddev_samp(p.best),
           (SELECT sgn.sign FROM sgn) * max(p.best),
           count(p.reach)::integer, avg(p.reach)::double precision, avg(p.ms),
           array_agg(p.run_id ORDER BY p.run_id)
      FROM per_run p
     GROUP BY p.strat
     ORDER BY array_position(strategies, p.strat);
END
$$;
COMMENT ON FUNCTION ptopt_compare(jsonb, text[], integer, integer, jsonb) IS
    'runs each strategy repeats times on the same objective and seeds; one row per strategy';

------------------------------------------------------------------------------
-- Reports, parameter importance and the progress view.
------------------------------------------------------------------------------

CREATE FUNCTION ptopt_importance(run_id bigint)
RETURNS TABLE (param text, importance double precision)
AS 'MODULE_PATHNAME', 'ptopt_importance'
LANGUAGE C STRICT STABLE;
COMMENT ON FUNCTION ptopt_importance(bigint) IS
    'fANOVA importance of each searched parameter over the ok iterations (as Optuna''s default evaluator); sums to 1';

CREATE FUNCTION ptopt_report(run_id bigint)
RETURNS text
AS 'MODULE_PATHNAME', 'ptopt_report_run'
LANGUAGE C STRICT STABLE;
COMMENT ON FUNCTION ptopt_report(bigint) IS
    'a self-contained HTML page of a run: summary, score chart, best parameters, importance, slices, trajectory';

CREATE FUNCTION ptopt_report(run_ids bigint[])
RETURNS text
AS 'MODULE_PATHNAME', 'ptopt_report_compare'
LANGUAGE C STRICT STABLE;
COMMENT ON FUNCTION ptopt_report(bigint[]) IS
    'a self-contained HTML page comparing runs: best so far per strategy, median and spread, summary';

-- One row per iteration with the best score so far and the time since the run started:
-- what a chart tool (Grafana, Metabase) plots with one query.  RLS applies (security_invoker).
CREATE VIEW ptopt.progress WITH (security_invoker = true) AS
SELECT t.run_id, r.label, r.strategy, t.iter, t.score, t.status, t.source,
       CASE WHEN coalesce(r.options->>'direction', 'maximize') = 'minimize'
            THEN min(t.score) FILTER (WHERE t.status = 'ok') OVER w
            ELSE max(t.score) FILTER (WHERE t.status = 'ok') OVER w END AS best_so_far,
       t.created_at,
       t.created_at - r.started_at AS since_start,
       extract(epoch FROM t.created_at - r.started_at)::double precision AS seconds
  FROM ptopt.trajectory t
  JOIN ptopt.runs r USING (run_id)
WINDOW w AS (PARTITION BY t.run_id ORDER BY t.iter);
COMMENT ON VIEW ptopt.progress IS
    'per iteration: score, best score so far and time since the run started, for chart tools';
GRANT SELECT ON ptopt.progress TO PUBLIC;

-- Backtest worlds as a table (issue 9; src/pg/pt_world_sql.c).  Kept in one
-- block at the end so it merges cleanly.
------------------------------------------------------------------------------

CREATE FUNCTION ptopt_world(scenario text, seed bigint,
                            OUT t_exchange_s double precision, OUT t_local_s double precision,
                            OUT kind text, OUT side text, OUT token text,
                            OUT price double precision, OUT sell_price double precision,
                            OUT size double precision, OUT order_id integer,
                            OUT truth double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ptopt_world'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ptopt_world(text, bigint) IS
    'the synthetic market of a backtest scenario and seed: one row per exogenous event (exchange and local time, kind, side, price, size, order id, truth)';

-- LLM strategies: the role that may reach the network, the
-- functions that do, and ptopt_explain.
------------------------------------------------------------------------------

-- Members of ptopt_llm_user may run the llm and llm_tpe strategies and call the
-- functions that reach the LLM endpoint; the endpoint itself is a superuser's choice.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ptopt_llm_user') THEN
        CREATE ROLE ptopt_llm_user NOLOGIN;
    END IF;
END
$$;

CREATE FUNCTION ptopt_explain(run_id bigint)
RETURNS text
AS 'MODULE_PATHNAME', 'ptopt_explain'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION ptopt_explain(bigint) IS
    'why the best iteration is best: from the data, and from the LLM when one is configured and the caller is in ptopt_llm_user';

CREATE FUNCTION ptopt_llm_ping()
RETURNS text
AS 'MODULE_PATHNAME', 'ptopt_llm_ping'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ptopt_llm_ping() IS
    'sends one small request to the configured LLM endpoint and says how it went (members of ptopt_llm_user)';
REVOKE ALL ON FUNCTION ptopt_llm_ping() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ptopt_llm_ping() TO ptopt_llm_user;

------------------------------------------------------------------------------
-- Evaluation outside the database: ask and tell
------------------------------------------------------------------------------

CREATE FUNCTION ptopt_ask(run_id bigint, n integer DEFAULT 1)
RETURNS TABLE (iter integer, params jsonb)
AS 'MODULE_PATHNAME', 'ptopt_ask'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ptopt_ask(bigint, integer) IS
    'hands out the next n iterations (pending until told) of a run whose objective is external';

CREATE FUNCTION ptopt_tell(run_id bigint, iter integer, result jsonb)
RETURNS void
AS 'MODULE_PATHNAME', 'ptopt_tell'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ptopt_tell(bigint, integer, jsonb) IS
    'records the score (a number) or the ReportEnvelope (an object with a numeric score) of an asked iteration';

CREATE FUNCTION ptopt_expire(run_id bigint, older_than interval DEFAULT '1 hour')
RETURNS integer
AS 'MODULE_PATHNAME', 'ptopt_expire'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ptopt_expire(bigint, interval) IS
    'marks failed the iterations of an external run asked longer ago than older_than and never told; returns how many';

------------------------------------------------------------------------------
-- Evaluation on other nodes: PL/Proxy clusters
------------------------------------------------------------------------------

-- One evaluation, as a run would make it: what every node of a cluster runs.
CREATE FUNCTION ptopt_evaluate(space jsonb, params jsonb, options jsonb DEFAULT '{}')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'ptopt_evaluate'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ptopt_evaluate(jsonb, jsonb, jsonb) IS
    'scores one parameter set with the objective of options (built-in or a SQL function); returns {"score": ...} or the ReportEnvelope';

-- Several evaluations on one node, each in a subtransaction of its own: what a node of a
-- cluster runs for its share of a batch (options.workers).  An error of the objective is
-- caught and returned as error {sqlstate, message, detail, hint}, so one trial's error
-- leaves the others of the batch scored; a cancel is not caught.
CREATE FUNCTION ptopt_evaluate_batch(space jsonb, iters integer[], params jsonb[],
                                     options jsonb DEFAULT '{}')
RETURNS TABLE (iter integer, result jsonb, error jsonb, elapsed_ms float8)
LANGUAGE plpgsql VOLATILE
AS $fn$
DECLARE
    i integer;
    started timestamptz;
    e_state text;
    e_message text;
    e_detail text;
    e_hint text;
BEGIN
    IF iters IS NULL OR params IS NULL OR cardinality(iters) <> cardinality(params) THEN
        RAISE EXCEPTION 'iters and params must be arrays of the same length'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Element i of params is the parameter set of iteration iters[i].';
    END IF;
    FOR i IN 1 .. cardinality(iters) LOOP
        iter := iters[i];
        started := pg_catalog.clock_timestamp();
        BEGIN
            result := ptopt_evaluate(space, params[i], options);
            error := NULL;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
                                    e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
            result := NULL;
            error := pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                         'sqlstate', e_state, 'message', e_message,
                         'detail', NULLIF(e_detail, ''), 'hint', NULLIF(e_hint, '')));
        END;
        elapsed_ms := EXTRACT(epoch FROM pg_catalog.clock_timestamp() - started) * 1000;
        RETURN NEXT;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION ptopt_evaluate_batch(jsonb, integer[], jsonb[], jsonb) IS
    'scores several parameter sets as ptopt_evaluate does, one row per iteration; an objective''s error is returned in error, not raised';

-- The cluster name a proxy call runs on (PL/Proxy takes a dynamic name from a function).
CREATE FUNCTION ptopt.cluster_name(cluster text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT $1';

-- Creates ptopt.cluster_evaluate and ptopt.cluster_evaluate_batch, the PL/Proxy functions a run
-- with options.cluster calls (one trial at a time, or a batch of options.workers at once).
-- PL/Proxy is an untrusted language: a superuser runs this once per database, after
-- CREATE EXTENSION plproxy.
CREATE FUNCTION ptopt_cluster_enable() RETURNS void
LANGUAGE plpgsql VOLATILE
AS $fn$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'plproxy') THEN
        RAISE EXCEPTION 'PL/Proxy is not installed in this database'
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions
                                              WHERE name = 'plproxy')
                                THEN 'The plproxy extension is available but was not created here.'
                                ELSE 'The plproxy extension is not available on this server.' END,
                  HINT = 'Install the Debian package postgresql-15-plproxy, then run CREATE EXTENSION plproxy.';
    END IF;
    EXECUTE $sql$
        CREATE OR REPLACE FUNCTION ptopt.cluster_evaluate(cluster text, part integer, space jsonb,
                                                          params jsonb, options jsonb)
        RETURNS jsonb LANGUAGE plproxy AS $$
            CLUSTER ptopt.cluster_name(cluster);
            RUN ON part;
            SELECT ptopt_evaluate(space, params, options);
        $$ $sql$;
    COMMENT ON FUNCTION ptopt.cluster_evaluate(text, integer, jsonb, jsonb, jsonb) IS
        'one evaluation on partition part of a PL/Proxy cluster (created by ptopt_cluster_enable)';
    GRANT EXECUTE ON FUNCTION ptopt.cluster_evaluate(text, integer, jsonb, jsonb, jsonb) TO PUBLIC;
    -- A batch: each partition of parts gets its share of iters and params, all at once.
    EXECUTE $sql$
        CREATE OR REPLACE FUNCTION ptopt.cluster_evaluate_batch(cluster text, parts integer[], space jsonb,
                                                                iters integer[], params jsonb[],
                                                                options jsonb)
        RETURNS TABLE (iter integer, result jsonb, error jsonb, elapsed_ms float8)
        LANGUAGE plproxy AS $$
            CLUSTER ptopt.cluster_name(cluster);
            SPLIT parts, iters, params;
            RUN ON parts;
            SELECT iter, result, error, elapsed_ms FROM ptopt_evaluate_batch(space, iters, params, options);
        $$ $sql$;
    COMMENT ON FUNCTION ptopt.cluster_evaluate_batch(text, integer[], jsonb, integer[], jsonb[], jsonb) IS
        'a batch of evaluations, element i on partition parts[i] of a PL/Proxy cluster, the partitions at once (created by ptopt_cluster_enable)';
    GRANT EXECUTE ON FUNCTION ptopt.cluster_evaluate_batch(text, integer[], jsonb, integer[], jsonb[], jsonb) TO PUBLIC;
END
$fn$;
REVOKE ALL ON FUNCTION ptopt_cluster_enable() FROM PUBLIC;
COMMENT ON FUNCTION ptopt_cluster_enable() IS
    'creates ptopt.cluster_evaluate and ptopt.cluster_evaluate_batch, the PL/Proxy functions behind options.cluster (superuser, after CREATE EXTENSION plproxy)';
