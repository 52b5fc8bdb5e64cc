-- bench/run_overhead.sql — per-iteration overhead of the run machinery with a trivial objective.
-- Run in a database with ptopt installed: psql -X -f bench/run_overhead.sql (prints mean elapsed_ms,
-- mean propose_ms and wall ms per iteration of a 5,000-iteration random search on the quadratic).
SET ptopt.progress_notices = off;
\timing on
SELECT run_id, iterations, status FROM ptopt_run('{"x":{"type":"float","low":-5,"high":5},"y":{"type":"float","low":-5,"high":5}}','random',5000,1,'{"objective":"quadratic"}');
\timing off
SELECT round(avg(elapsed_ms)::numeric,4) AS mean_elapsed_ms, round(avg(propose_ms)::numeric,4) AS mean_propose_ms,
       round((extract(epoch FROM max(created_at)-min(created_at))*1000/ (count(*)-1))::numeric,4) AS wall_ms_per_iter
  FROM ptopt.trajectory WHERE run_id=(SELECT max(run_id) FROM ptopt.runs);
\timing on
