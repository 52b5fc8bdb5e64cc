-- Per-trial overhead of options.cluster (bench/cluster_overhead.sh sets :user, :password, :port).
CREATE EXTENSION ptopt;
CREATE EXTENSION plproxy;
SELECT ptopt_cluster_enable();
SELECT format('CREATE SERVER self FOREIGN DATA WRAPPER plproxy OPTIONS (p0 %L)',
              format('host=127.0.0.1 port=%s dbname=%s', :'port', current_database())) \gexec
SELECT format('CREATE USER MAPPING FOR PUBLIC SERVER self OPTIONS (user %L, password %L)', :'user', :'password') \gexec
SET ptopt.progress_notices = off;
\pset footer off
SELECT status FROM ptopt_run('{"x": {"low": 0, "high": 1}, "y": {"low": 0, "high": 1}}', 'random', 500, 1,
                 '{"objective": "quadratic", "label": "local worker"}') ;
SELECT status FROM ptopt_run('{"x": {"low": 0, "high": 1}, "y": {"low": 0, "high": 1}}', 'random', 500, 1,
                 '{"objective": "quadratic", "label": "cluster: 1 node over TCP loopback", "cluster": "self"}') ;
SELECT r.label, r.iterations,
       round((extract(epoch FROM r.elapsed) * 1000 / r.iterations)::numeric, 3) AS ms_per_trial_wall,
       round(avg(t.elapsed_ms)::numeric, 3) AS ms_per_trial_eval
  FROM ptopt.runs r JOIN ptopt.trajectory t USING (run_id)
 WHERE r.objective = 'quadratic'
 GROUP BY r.run_id ORDER BY r.run_id;
-- The backtest (default scenario, 8 + 4 seeds): 40 trials each way.
SELECT status FROM ptopt_run(ptopt_default_space(), 'random', 40, 1, '{"label": "clob_v2 local worker"}');
SELECT status FROM ptopt_run(ptopt_default_space(), 'random', 40, 1,
                             '{"label": "clob_v2 cluster: 1 node over TCP loopback", "cluster": "self"}');
SELECT r.label, r.iterations,
       round((extract(epoch FROM r.elapsed) * 1000 / r.iterations)::numeric, 1) AS ms_per_trial_wall,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY t.elapsed_ms))::numeric, 1) AS median_ms_per_trial_eval,
       count(*) FILTER (WHERE t.status = 'ok') AS ok
  FROM ptopt.runs r JOIN ptopt.trajectory t USING (run_id)
 WHERE r.label LIKE 'clob_v2%'
 GROUP BY r.run_id ORDER BY r.run_id;
