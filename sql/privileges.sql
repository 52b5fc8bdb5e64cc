-- Row-level security: a role sees, changes and cancels only its own runs.
SET ptopt.progress_notices = off;
CREATE ROLE ptopt_alice LOGIN;
CREATE ROLE ptopt_bob LOGIN;
CREATE ROLE ptopt_nologin NOLOGIN;

SET ROLE ptopt_alice;
SELECT r.iterations, r.status
  FROM ptopt_run('{"x": {"low": -1, "high": 1}}', 'random', 5, 0, '{"objective": "quadratic", "label": "alice"}') r;
SELECT count(*) AS alice_runs FROM ptopt.runs;
SELECT count(*) AS alice_rows FROM ptopt.trajectory;
RESET ROLE;
SELECT run_id AS alice_run FROM ptopt.runs WHERE label = 'alice' \gset

SET ROLE ptopt_bob;
SELECT count(*) AS bob_sees_runs FROM ptopt.runs;
SELECT count(*) AS bob_sees_rows FROM ptopt.trajectory;
UPDATE ptopt.runs SET label = 'stolen' WHERE label = 'alice';
DELETE FROM ptopt.trajectory;
INSERT INTO ptopt.runs (owner, strategy, objective, space, budget)
VALUES ('ptopt_alice', 'random', 'quadratic', '{}', 1);
SELECT try(format('SELECT ptopt_wait(%s)', :alice_run)) LIKE '22023 run % does not exist%' AS bob_cannot_wait,
       try(format('SELECT ptopt_cancel(%s)', :alice_run)) LIKE '22023 run % does not exist%' AS bob_cannot_cancel;
RESET ROLE;

SELECT r.owner, r.label, (SELECT count(*) FROM ptopt.trajectory t WHERE t.run_id = r.run_id) AS rows
  FROM ptopt.runs r WHERE r.owner IN ('ptopt_alice', 'ptopt_bob') ORDER BY r.owner;

-- A superuser sees every run.
SELECT count(*) > 1 AS superuser_sees_all FROM ptopt.runs;

-- The policy is read-only for ordinary roles.
SET ROLE ptopt_bob;
SELECT count(*) > 0 AS bob_reads_policy FROM ptopt.policy;
UPDATE ptopt.policy SET value = '1e9' WHERE key = 'risk.killswitch.max_loss_pusd';
RESET ROLE;

-- A role that cannot log in cannot run searches (the worker connects as the caller).
SET ROLE ptopt_nologin;
SELECT try($$SELECT ptopt_run('{"x": {"low": -1, "high": 1}}', 'random', 2, 0, '{"objective": "quadratic"}')$$);
RESET ROLE;

DELETE FROM ptopt.runs WHERE owner IN ('ptopt_alice', 'ptopt_bob');
DROP ROLE ptopt_alice;
DROP ROLE ptopt_bob;
DROP ROLE ptopt_nologin;
