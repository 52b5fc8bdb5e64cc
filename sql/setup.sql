-- Helpers shared by the regression tests.
-- try(sql): runs a statement and returns 'ok', or its SQLSTATE, message, detail and hint.
CREATE FUNCTION try(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    d text;
    h text;
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
    RETURN SQLSTATE || ' ' || SQLERRM
        || coalesce(E'\n  DETAIL: ' || nullif(d, ''), '')
        || coalesce(E'\n  HINT: ' || nullif(h, ''), '');
END
$$;

-- same_trajectory(a, b): how many iterations two labelled runs share, and how many differ in
-- params, score or source (resume and parallel runs must equal uninterrupted, serial ones).
CREATE FUNCTION same_trajectory(a text, b text) RETURNS text LANGUAGE sql AS $$
    SELECT format('%s iterations, %s differ', count(*),
                  count(*) FILTER (WHERE ta.params IS DISTINCT FROM tb.params
                                      OR ta.score IS DISTINCT FROM tb.score
                                      OR ta.source IS DISTINCT FROM tb.source))
      FROM ptopt.trajectory ta JOIN ptopt.runs ra ON ra.run_id = ta.run_id AND ra.label = a
      FULL JOIN (SELECT t.* FROM ptopt.trajectory t JOIN ptopt.runs r ON r.run_id = t.run_id AND r.label = b) tb
        ON tb.iter = ta.iter
$$;

-- The extension's objects.
SELECT e.extname, e.extversion FROM pg_extension e WHERE e.extname = 'ptopt';
SELECT c.relname, c.relkind, c.relrowsecurity
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'ptopt' AND c.relkind IN ('r', 'v')
 ORDER BY c.relname;
SELECT p.proname, p.pronargs, p.prorettype::regtype AS returns
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'ptopt'
 ORDER BY p.proname;
