-- The score chart and the best-parameters view.
SET ptopt.progress_notices = off;

SELECT r.iterations
  FROM ptopt_run('{"x": {"type": "float", "low": -4, "high": 4}, "n": {"type": "int", "low": 1, "high": 9}}',
                 'random', 50, 3, '{"objective": "quadratic", "label": "plot 50"}') r;
SELECT ptopt_plot(run_id) FROM ptopt.runs WHERE label = 'plot 50';
SELECT ptopt_plot(run_id, 40, 6) FROM ptopt.runs WHERE label = 'plot 50';

-- Long runs are bucketed into columns: the chart keeps its size.
SELECT r.iterations
  FROM ptopt_run('{"x": {"type": "float", "low": -4, "high": 4}}',
                 'tpe', 2000, 3, '{"objective": "quadratic", "label": "plot 2000"}') r;
SELECT max(length(line)) <= 90 AS fits, count(*) AS lines
  FROM ptopt.runs r, regexp_split_to_table(ptopt_plot(r.run_id), E'\n') line
 WHERE r.label = 'plot 2000';

SELECT try($$SELECT ptopt_plot(-1)$$);
SELECT try($$SELECT ptopt_plot(1, 5, 5)$$);

-- ptopt.best: one row per parameter, joinable.
SELECT b.param, b.value = r.best_params -> b.param AS matches, jsonb_typeof(b.value) AS kind
  FROM ptopt.best b JOIN ptopt.runs r USING (run_id)
 WHERE b.label = 'plot 50' ORDER BY b.param;
