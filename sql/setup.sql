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
