-- Writes the pages the browser test opens: a run report, a comparison report, and what they must show.
-- psql variable "out": the folder to write into.
CREATE EXTENSION ptopt;
SET ptopt.progress_notices = off;
SET client_min_messages = warning;

SELECT r.run_id AS run_id
  FROM ptopt_run('{"x": {"type": "float", "low": -4, "high": 4}, "n": {"type": "int", "low": 1, "high": 9},
                   "mode": {"type": "categorical", "choices": ["fast", "slow"]}}',
                 'tpe', 60, 7, '{"objective": "quadratic", "label": "browser <b>test</b>"}') r \gset
-- A model's reasoning is hostile: it must show as text and never run.
UPDATE ptopt.trajectory SET reasoning = '<script>alert(1)</script>' WHERE run_id = :run_id AND iter = 2;
UPDATE ptopt.trajectory SET reasoning = '<img src=x onerror=alert(2)>' WHERE run_id = :run_id AND iter = 3;

CREATE TEMP TABLE cmp AS
SELECT c.run_ids FROM ptopt_compare('{"x": {"type": "float", "low": -4, "high": 4}}', '{random,tpe}', 25, 3,
                                    '{"objective": "quadratic", "label": "browser cmp"}') c;

\o :out/run.html
SELECT ptopt_report(:run_id);
\o :out/compare.html
SELECT ptopt_report((SELECT array_agg(x ORDER BY x) FROM cmp, unnest(cmp.run_ids) x));
\o :out/expect.json
SELECT json_build_object('best_score', r.best_score, 'iterations', r.iterations,
                         'hostile', '<script>alert(1)</script>', 'hostile_img', '<img src=x onerror=alert(2)>',
                         'strategies', 2, 'compare_runs', (SELECT sum(cardinality(run_ids)) FROM cmp))
  FROM ptopt.runs r WHERE r.run_id = :run_id;
\o
