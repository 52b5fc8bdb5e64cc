-- bench/run_overhead.sql — per-iteration overhead of the run machinery (BENCHMARKS.md "Run machinery overhead").
-- Run in a database with ptopt installed: psql -X -f bench/run_overhead.sql.  First a 5,000-iteration
-- random search on the quadratic (mean elapsed_ms, propose_ms, wall ms per iteration), then 40 default
-- CLOB iterations (the same, and the share of wall time outside the evaluation).
SET ptopt.progress_notices = off;
\timing on
SELECT run_id, iterations, status FROM ptopt_run('{"x":{"type":"float","low":-5,"high":5},"y":{"type":"float","low":-5,"high":5}}','random',5000,1,'{"objective":"quadratic"}');
\timing off
SELECT round(avg(elapsed_ms)::numeric,4) AS mean_elapsed_ms, round(avg(propose_ms)::numeric,4) AS mean_propose_ms,
       round((extract(epoch FROM max(created_at)-min(created_at))*1000/ (count(*)-1))::numeric,4) AS wall_ms_per_iter
  FROM ptopt.trajectory WHERE run_id=(SELECT max(run_id) FROM ptopt.runs);
\timing on
SELECT run_id, iterations, status FROM ptopt_run(ptopt_default_space(),'random',40,1);
\timing off
SELECT round(avg(elapsed_ms)::numeric,3) AS mean_elapsed_ms, round(avg(propose_ms)::numeric,4) AS mean_propose_ms,
       round((extract(epoch FROM max(created_at)-min(created_at))*1000/ (count(*)-1))::numeric,3) AS wall_ms_per_iter,
       round((1 - avg(elapsed_ms - propose_ms) FILTER (WHERE iter > 1) / (extract(epoch FROM max(created_at)-min(created_at))*1000/(count(*)-1)))::numeric * 100, 2) AS pct_outside_evaluate
  FROM ptopt.trajectory WHERE run_id=(SELECT max(run_id) FROM ptopt.runs);
