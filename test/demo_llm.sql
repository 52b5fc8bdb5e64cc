-- The llm strategy in the demo: against the configured endpoint, or the stand-in.
\echo '== The llm strategy against' :endpoint '(model name' :model ')'
\echo :label
ALTER SYSTEM SET ptopt.llm_endpoint = :'endpoint';
ALTER SYSTEM SET ptopt.llm_model = :'model';
ALTER SYSTEM SET ptopt.llm_provider = :'provider';
ALTER SYSTEM SET ptopt.llm_api_key_file = :'key_file';
SELECT pg_reload_conf();
SELECT pg_sleep(0.2);
SET ptopt.progress_notices = off;
SELECT run_id, strategy, iterations, round(best_score::numeric, 5) AS best_score, status
  FROM ptopt_run('{"mm.c_vol": {"low": 0, "high": 2}, "mm.layers": {"type": "int", "low": 1, "high": 4}}',
                 'llm', 6, 1, '{"label": "demo llm"}');
SELECT t.iter, round(t.score::numeric, 5) AS score, t.source, t.tokens_in, t.tokens_out, left(t.reasoning, 110) AS reasoning
  FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id)
 WHERE r.label = 'demo llm' ORDER BY t.iter;
\echo '== Why the best iteration is best (ptopt_explain)'
SELECT ptopt_explain(run_id) FROM ptopt.runs WHERE label = 'demo llm';
