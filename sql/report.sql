-- HTML reports, parameter importance and the progress view.
SET ptopt.progress_notices = off;

-- An objective where x dominates, mode matters a little and y not at all.
CREATE FUNCTION report_obj(p jsonb) RETURNS float8 LANGUAGE sql AS $$
    SELECT -10 * ((p->>'x')::float8 - 1)^2 + CASE WHEN p->>'mode' = 'a' THEN 2 ELSE 0 END $$;
SELECT r.iterations, r.status
  FROM ptopt_run('{"x": {"type": "float", "low": -3, "high": 3}, "y": {"type": "float", "low": 0, "high": 1},
                   "mode": {"type": "categorical", "choices": ["a", "b", "c"]}}',
                 'random', 120, 1, '{"objective": "report_obj", "label": "report a"}') r;

-- ptopt_importance: one row per parameter, most important first, summing to 1; y near 0.
SELECT i.param, i.importance > 0.8 AS dominant, i.importance < 0.02 AS near_zero
  FROM ptopt.runs r, ptopt_importance(r.run_id) i WHERE r.label = 'report a';
SELECT round(sum(i.importance)::numeric, 12) AS total
  FROM ptopt.runs r, ptopt_importance(r.run_id) i WHERE r.label = 'report a';
-- Deterministic: the same run gives the same importances.
SELECT (SELECT array_agg(i.importance ORDER BY i.param) FROM ptopt_importance(r.run_id) i)
     = (SELECT array_agg(i.importance ORDER BY i.param) FROM ptopt_importance(r.run_id) i) AS same
  FROM ptopt.runs r WHERE r.label = 'report a';

-- A model's reasoning is hostile text: it must come out escaped.
UPDATE ptopt.trajectory t SET reasoning = '<script>alert(1)</script> & "quotes" ''too'''
  FROM ptopt.runs r WHERE r.run_id = t.run_id AND r.label = 'report a' AND t.iter = 3;

CREATE TEMP TABLE page AS
SELECT r.run_id, r.iterations, r.best_score, ptopt_report(r.run_id) AS html
  FROM ptopt.runs r WHERE r.label = 'report a';

-- The page's structure: its sections in order, and the chart's point count.
SELECT m[1] AS section FROM page, regexp_matches(html, '<section id="([a-z-]+)"', 'g') m;
SELECT left(html, 15) AS starts, right(html, 8) = E'</html>\n' AS ends,
       (SELECT count(*) FROM regexp_matches(html, '<circle class="pt ', 'g')) = iterations AS one_point_per_iteration,
       (SELECT count(*) FROM regexp_matches(html, '<tr class="(it|best) ', 'g')) = iterations AS one_row_per_iteration,
       (SELECT count(*) FROM regexp_matches(html, 'id="best-row"', 'g')) AS best_rows,
       substring(html FROM '<dd id="best-score">([^<]*)</dd>')::float8 = best_score AS best_score_shown,
       html LIKE '%<th>x</th><th>y</th>%' OR html LIKE '%<th>mode</th>%' AS params_as_columns,
       html LIKE '%id="importance-chart"%' AS importance_bars,
       (SELECT count(*) FROM regexp_matches(html, '<figure class="slice">', 'g')) >= 1 AS slices,
       html NOT LIKE '%http-equiv="refresh"%' AS no_refresh_when_done
  FROM page;

-- Escaping: no script element at all, the hostile text shown as text.
SELECT position('<script' IN html) = 0 AS no_script_tag,
       html LIKE '%&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot; &#39;too&#39;%' AS escaped,
       position('http://' IN replace(html, 'http://www.w3.org/2000/svg', '')) = 0 AS nothing_from_the_network
  FROM page;

-- A running run says so and refreshes itself; an LLM run shows its tokens and model.
INSERT INTO ptopt.runs (label, strategy, objective, space, budget, llm_model, tokens_in, tokens_out)
VALUES ('report running', 'random', 'quadratic', '{"x": {"type": "float", "low": 0, "high": 4}}', 10,
        'test-<model>', 1234, 56);
INSERT INTO ptopt.trajectory (run_id, iter, params, score, source, status, reasoning)
SELECT r.run_id, g, jsonb_build_object('x', g), -(g - 2)^2, 'llm', 'ok', 'try ' || g
  FROM ptopt.runs r, generate_series(1, 3) g WHERE r.label = 'report running';
INSERT INTO ptopt.trajectory (run_id, iter, params, score, source, status, report)
SELECT r.run_id, 4, '{"x": 9}', NULL, 'llm', 'failed', '{"error": "out of range"}'
  FROM ptopt.runs r WHERE r.label = 'report running';
SELECT html LIKE '%<meta http-equiv="refresh" content="5">%' AS refreshes,
       html LIKE '%id="running"%still running%' AS says_running,
       html LIKE '%<dd id="tokens">1234 / 56</dd>%' AS tokens,
       html LIKE '%test-&lt;model&gt;%' AS model_escaped,
       (SELECT count(*) FROM regexp_matches(html, '<circle class="pt ', 'g')) AS points,
       (SELECT count(*) FROM regexp_matches(html, '<circle class="pt fail', 'g')) AS failed_points,
       html LIKE '%<dd id="best-score">&#8211;</dd>%' OR html LIKE '%<dd id="best-score">–</dd>%' AS no_best_yet
  FROM ptopt.runs r, ptopt_report(r.run_id) html WHERE r.label = 'report running';

-- ptopt.progress: per iteration, the best so far and the time since the start.
SELECT p.iter, p.score, p.best_so_far, p.status, p.seconds >= 0 AS timed
  FROM ptopt.progress p WHERE p.label = 'report running' ORDER BY p.iter;
SELECT count(*) = max(r.iterations) AS one_row_per_iteration,
       bool_and(p.best_so_far >= p.score) AS best_is_best,
       bool_and(p.since_start >= '0'::interval) AS since_start
  FROM ptopt.progress p JOIN ptopt.runs r USING (run_id) WHERE r.label = 'report a';

-- A large run: the page stays small, the table shows the best 25 and the latest 25.
SELECT r.iterations
  FROM ptopt_run('{"x": {"type": "float", "low": -4, "high": 4}, "n": {"type": "int", "low": 1, "high": 9}}',
                 'random', 10000, 3, '{"objective": "quadratic", "label": "report large"}') r;
SELECT length(html) < 3000000 AS under_3_mb,
       (SELECT count(*) FROM regexp_matches(html, '<circle class="pt ', 'g')) = 10000 AS one_point_per_iteration,
       (SELECT count(*) FROM regexp_matches(html, '<tr class="(it|best) ', 'g')) AS table_rows,
       substring(html FROM 'id="rows-hidden"><td colspan="[0-9]+">([^;]*);') AS hidden
  FROM ptopt.runs r, ptopt_report(r.run_id) html WHERE r.label = 'report large';

-- The comparison page: ptopt_compare's run_ids, side by side.
CREATE TEMP TABLE cmp AS
SELECT c.strategy, c.run_ids
  FROM ptopt_compare('{"x": {"type": "float", "low": -4, "high": 4}, "n": {"type": "int", "low": 1, "high": 9}}',
                     '{random,tpe}', 30, 3, '{"objective": "quadratic", "label": "report cmp"}') c;
SELECT left(html, 15) AS starts,
       m.sections,
       (SELECT count(*) FROM regexp_matches(html, '<path class="median ', 'g')) AS median_lines,
       (SELECT count(*) FROM regexp_matches(html, '<path class="band ', 'g')) AS bands,
       (SELECT count(*) FROM regexp_matches(html, '<tr class="s-', 'g')) AS summary_rows,
       (SELECT count(*) FROM regexp_matches(html, '<tr><td class="num">', 'g')) AS run_rows
  FROM (SELECT ptopt_report(array_agg(x ORDER BY x)) AS html FROM cmp, unnest(cmp.run_ids) x) p,
       LATERAL (SELECT string_agg(s[1], ' ') AS sections FROM regexp_matches(p.html, '<section id="([a-z-]+)"', 'g') s) m;

-- Errors.
\set VERBOSITY default
SELECT try($$SELECT ptopt_report(-1)$$);
SELECT try($$SELECT * FROM ptopt_importance(-1)$$);
SELECT try($$SELECT ptopt_report('{}'::bigint[])$$);
SELECT try($$SELECT ptopt_report('{-1,-2}'::bigint[])$$);
SELECT try($$SELECT ptopt_report('{1,NULL}'::bigint[])$$);
SELECT try(format('SELECT ptopt_report(ARRAY[%s, -5])', r.run_id)) FROM ptopt.runs r WHERE r.label = 'report a';

-- Importance needs two scored iterations; the page then says why it has none.
INSERT INTO ptopt.runs (label, strategy, objective, space, budget, status)
VALUES ('report one', 'random', 'quadratic', '{"x": {"type": "float", "low": 0, "high": 4}}', 1, 'done');
INSERT INTO ptopt.trajectory (run_id, iter, params, score, source, status)
SELECT r.run_id, 1, '{"x": 1}', -1, 'random', 'ok' FROM ptopt.runs r WHERE r.label = 'report one';
SELECT try(format('SELECT * FROM ptopt_importance(%s)', r.run_id)) FROM ptopt.runs r WHERE r.label = 'report one';
SELECT substring(ptopt_report(r.run_id) FROM '<p class="note" id="importance-note">([^<]*)</p>') AS note
  FROM ptopt.runs r WHERE r.label = 'report one';

-- Row-level security: another role sees neither the report nor the progress rows.
SELECT run_id AS hidden_run FROM page \gset
CREATE ROLE report_other;
SET ROLE report_other;
SELECT try('SELECT ptopt_report(' || :hidden_run || ')') LIKE '22023 run % does not exist%' AS hidden;
SELECT try('SELECT * FROM ptopt_importance(' || :hidden_run || ')') LIKE '22023 run % does not exist%' AS hidden;
SELECT count(*) AS progress_rows FROM ptopt.progress;
RESET ROLE;
DROP ROLE report_other;
