-- Clustered runs with workers = 1 and 3 (bench/cluster_batch.sh sets :user, :password, :port).
-- The three nodes: databases n1, n2, n3 of this server, each with ptopt and slow(jsonb).
SELECT format('CREATE DATABASE %I', 'n' || i) FROM generate_series(1, 3) i \gexec
\set node_setup 'CREATE EXTENSION ptopt; CREATE FUNCTION slow(p jsonb) RETURNS float8 LANGUAGE sql AS $$ SELECT pg_sleep(0.05); SELECT -((p->>''x'')::float8 - 0.3) ^ 2 $$;'
\c n1
:node_setup
\c n2
:node_setup
\c n3
:node_setup
\c postgres
:node_setup
CREATE EXTENSION plproxy;
SELECT ptopt_cluster_enable();
SELECT format('CREATE SERVER three FOREIGN DATA WRAPPER plproxy OPTIONS (modular_mapping %L, %s)', '1',
              string_agg(format('p%s %L', i - 1, format('host=127.0.0.1 port=%s dbname=n%s', :'port', i)), ', '))
  FROM generate_series(1, 3) i \gexec
SELECT format('CREATE USER MAPPING FOR PUBLIC SERVER three OPTIONS (user %L, password %L)', :'user', :'password') \gexec
SET ptopt.progress_notices = off;
\pset footer off
-- Each configuration twice, alternating: 30 trials of TPE, seed 1 (their statuses are not shown).
\o /dev/null
SELECT format($q$SELECT status FROM ptopt_run('{"x": {"low": 0, "high": 1}}', 'tpe', 30, 1, %L)$q$,
              jsonb_build_object('objective', 'slow', 'workers', w, 'label', label)
                || CASE WHEN c THEN '{"cluster": "three"}'::jsonb ELSE '{}'::jsonb END)
  FROM generate_series(1, 2) rep,
       (VALUES (1, true, 'cluster of 3, workers 1'), (3, true, 'cluster of 3, workers 3'),
               (3, false, 'local, workers 3')) AS v(w, c, label)
 ORDER BY rep \gexec
\o
SELECT r.label, count(*) AS runs,
       string_agg(round(extract(epoch FROM r.elapsed)::numeric, 2)::text, ' / ' ORDER BY r.run_id) AS wall_s,
       string_agg(r.iterations::text, ' / ' ORDER BY r.run_id) AS iterations
  FROM ptopt.runs r GROUP BY r.label ORDER BY min(r.run_id);
-- The clustered runs with workers 3 have the trajectory of the local ones: 2 x 2 pairs of 30 rows = 120.
SELECT count(*) AS same_rows
  FROM ptopt.trajectory b JOIN ptopt.runs rb USING (run_id)
  JOIN ptopt.trajectory l ON l.iter = b.iter
  JOIN ptopt.runs rl ON rl.run_id = l.run_id
 WHERE rb.label = 'cluster of 3, workers 3' AND rl.label = 'local, workers 3'
   AND b.params = l.params AND b.score = l.score;
