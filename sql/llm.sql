-- The LLM strategies' settings and privileges, and ptopt_explain from the data.
-- (Runs against a model, over HTTP, are in t/005_llm.pl with the stand-in.)
-- The library is loaded first, so the ptopt.llm_* settings are real, not placeholders.
LOAD 'ptopt';
SET ptopt.progress_notices = off;
\set VERBOSITY default
CREATE ROLE ptopt_llm_carol LOGIN IN ROLE ptopt_llm_user;
CREATE ROLE ptopt_llm_dave LOGIN;

-- The extension script created the role, with no login.
SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = 'ptopt_llm_user';

-- Settings: the endpoint and the key file are a superuser's; SHOW of the key file is refused to others.
SELECT name, context, vartype, setting FROM pg_settings WHERE name LIKE 'ptopt.llm%' ORDER BY name;
SELECT try($$SET ptopt.llm_endpoint = 'ftp://example.com/'$$) AS ftp_endpoint;
SET ROLE ptopt_llm_carol;
SELECT try($$SET ptopt.llm_endpoint = 'http://169.254.169.254/'$$) AS member_sets_endpoint;
SELECT try($$SET ptopt.llm_api_key_file = '/tmp/k'$$) AS member_sets_key_file;
SELECT try($$SHOW ptopt.llm_api_key_file$$) AS member_shows_key_file;
SELECT try($$SET ptopt.llm_model = 'llama3'$$) AS member_sets_model;
SELECT try($$SET ptopt.llm_timeout_ms = 50$$) AS too_short_timeout;
RESET ROLE;

-- A role outside ptopt_llm_user cannot run an LLM strategy, nor call a function that reaches the network.
SET ROLE ptopt_llm_dave;
SELECT try($$SELECT * FROM ptopt_run('{"x": {"low": -1, "high": 1}}', 'llm', 3, 0, '{"objective": "quadratic"}')$$)
    AS dave_runs_llm;
SELECT try($$SELECT * FROM ptopt_run('{"x": {"low": -1, "high": 1}}', 'llm_tpe', 3, 0, '{"objective": "quadratic"}')$$)
    AS dave_runs_llm_tpe;
SELECT try($$SELECT ptopt_llm_ping()$$) AS dave_pings;
RESET ROLE;

-- A member can, once a superuser has set an endpoint: without one, PT005.
SET ROLE ptopt_llm_carol;
SELECT try($$SELECT * FROM ptopt_run('{"x": {"low": -1, "high": 1}}', 'llm', 3, 0, '{"objective": "quadratic"}')$$)
    AS carol_runs_llm_unconfigured;
SELECT try($$SELECT ptopt_llm_ping()$$) AS carol_pings_unconfigured;
-- options.llm is checked before a run starts.
RESET ROLE;
SET ptopt.llm_endpoint = 'http://127.0.0.1:9/v1/chat/completions';
SET ptopt.llm_model = 'stub';
SELECT try($$SELECT * FROM ptopt_run('{"x": {"low": -1, "high": 1}}', 'llm', 3, 0,
                                     '{"objective": "quadratic", "llm": {"candidates": 99}}')$$) AS bad_candidates;
SELECT try($$SELECT * FROM ptopt_run('{"x": {"low": -1, "high": 1}}', 'llm', 3, 0,
                                     '{"objective": "quadratic", "llm": {"colour": "red"}}')$$) AS unknown_llm_key;
RESET ptopt.llm_endpoint;
RESET ptopt.llm_model;

-- ptopt_explain from the data, for any strategy's run (no endpoint configured here).
SET ROLE ptopt_llm_dave;
SELECT r.iterations FROM ptopt_run('{"x": {"low": -2, "high": 2}, "y": {"low": -2, "high": 2}, "n": {"type": "int", "low": 1, "high": 9}}',
                                   'random', 40, 7, '{"objective": "quadratic", "label": "explain me"}') r;
SELECT run_id AS explain_run FROM ptopt.runs WHERE label = 'explain me' \gset
SELECT ptopt_explain(:explain_run);
SELECT explanation IS NOT NULL AS stored FROM ptopt.runs WHERE run_id = :explain_run;
SELECT try('SELECT ptopt_explain(-1)') AS no_such_run;
RESET ROLE;
SET ROLE ptopt_llm_carol;
SELECT try(format('SELECT ptopt_explain(%s)', :explain_run)) LIKE '22023 run % does not exist%' AS carol_cannot_explain_dave_run;
RESET ROLE;

-- The strategies are listed.
SELECT try($$SELECT * FROM ptopt_run('{"x": {"low": -1, "high": 1}}', 'llm_nope', 3)$$) AS unknown_strategy;

DELETE FROM ptopt.runs WHERE owner IN ('ptopt_llm_carol', 'ptopt_llm_dave');
DROP ROLE ptopt_llm_carol;
DROP ROLE ptopt_llm_dave;
