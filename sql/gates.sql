-- Hard gates: every family refused before a run row exists, in every spelling and place.
SET ptopt.progress_notices = off;

SELECT * FROM ptopt_hard_gates() ORDER BY family;

CREATE TEMP TABLE runs_before AS SELECT count(*) AS n FROM ptopt.runs;

-- Flat keys, one per family.
SELECT f.family, try(format($q$SELECT ptopt_run('{"%s.x": {"type": "float", "low": 1, "high": 9}}', 'random', 3)$q$, f.family))
  FROM ptopt_hard_gates() f ORDER BY f.family;

-- The example of the design: no type, a real setting.
SELECT try($$SELECT ptopt_run('{"risk.killswitch.max_loss_pusd": {"low": 1, "high": 9}}', 'random')$$);

-- Nested objects, upper and mixed case.
SELECT try($$SELECT ptopt_run('{"risk": {"killswitch": {"max_loss_pusd": {"low": 1, "high": 9}}}}', 'random', 3)$$);
SELECT try($$SELECT ptopt_run('{"RISK.KILLSWITCH.MAX_LOSS_PUSD": {"low": 1, "high": 9}}', 'random', 3)$$);
SELECT try($$SELECT ptopt_run('{"Sec": {"Signer.EIP712_domain_version": {"type": "categorical", "choices": ["1", "2"]}}}', 'random', 3)$$);
SELECT try($$SELECT ptopt_run('{"risk.ExposureGuard": {"max_notional_pusd": {"low": 1, "high": 9}}}', 'random', 3)$$);

-- In options: fixed, warm_start, and anywhere else.
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 3, 0,
    '{"objective": "quadratic", "fixed": {"risk.markethaltguard.halt_on_stale_s": 0}}')$$);
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 3, 0,
    '{"objective": "quadratic", "fixed": {"risk": {"compliancegate": {"builder_allowlist": []}}}}')$$);
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 3, 0,
    '{"objective": "quadratic", "warm_start": [{"x": 0.5}, {"x": 0.1, "risk.killswitch.force_trip": true}]}')$$);
SELECT try($$SELECT ptopt_start('{"x": {"low": 0, "high": 1}}', 'random', 3, 0,
    '{"objective": "quadratic", "warm_start": [{"sec.signer.builder_code": "x"}]}')$$);

-- Nothing was written by any refused call.
SELECT (SELECT count(*) FROM ptopt.runs) - n AS new_runs FROM runs_before;

-- Not gates: a longer segment, and a sibling family.
SELECT ptopt_gated_key('{"risk.killswitchx": 1}') IS NULL AS killswitchx_not_gated,
       ptopt_gated_key('{"risk.inventory.q_soft_frac": 0.5}') IS NULL AS q_soft_frac_not_gated,
       ptopt_gated_key('{"a": [{"b": {"risk.killswitch": 1}}]}') AS in_array;
SELECT r.iterations, r.status
  FROM ptopt_run('{"risk.inventory.q_soft_frac": {"type": "float", "low": 0.2, "high": 1}}',
                 'random', 3, 0, '{"objective": "quadratic"}') r;

-- The trigger: a hand-written INSERT or UPDATE carrying a gated key is refused.
INSERT INTO ptopt.runs (strategy, objective, space, budget)
VALUES ('random', 'quadratic', '{"risk.killswitch.cooldown_s": {"low": 0, "high": 10}}', 5);
INSERT INTO ptopt.runs (strategy, objective, space, options, budget)
VALUES ('random', 'quadratic', '{}', '{"fixed": {"sec.signer.signature_type": 2}}', 5);
INSERT INTO ptopt.runs (strategy, objective, space, budget)
VALUES ('random', 'quadratic', '{"x": {"low": 0, "high": 1}}', 5) RETURNING strategy, status;
UPDATE ptopt.runs SET best_params = '{"risk.exposureguard.per_market_cap_pusd": 1e9}'
 WHERE space = '{"x": {"low": 0, "high": 1}}' AND budget = 5;
INSERT INTO ptopt.trajectory (run_id, iter, params, source, status)
SELECT run_id, 1, '{"x": 0.5, "Risk": {"MarketHaltGuard": {"halt_sources": []}}}', 'random', 'ok'
  FROM ptopt.runs WHERE space = '{"x": {"low": 0, "high": 1}}' AND budget = 5;
INSERT INTO ptopt.trajectory (run_id, iter, params, source, status)
SELECT run_id, 1, '{"x": 0.5}', 'random', 'ok'
  FROM ptopt.runs WHERE space = '{"x": {"low": 0, "high": 1}}' AND budget = 5;
UPDATE ptopt.trajectory SET params = params || '{"sec.signer.eip712_domain_version": "1"}'
 WHERE params = '{"x": 0.5}';
SELECT count(*) AS hand_rows FROM ptopt.trajectory WHERE params = '{"x": 0.5}';
DELETE FROM ptopt.runs WHERE space = '{"x": {"low": 0, "high": 1}}' AND budget = 5;

-- The policy table holds only gated settings, and changes carry a review reference.
SELECT count(*) > 0 AS has_defaults, bool_and(ptopt_gated_key(jsonb_build_object(key, 0)) IS NOT NULL) AS all_gated
  FROM ptopt.policy;
SELECT split_part(try($$INSERT INTO ptopt.policy (key, value, review_ref) VALUES ('mm.c_vol', '1', 'CR-1')$$), E'\n', 1);
SELECT split_part(try($$UPDATE ptopt.policy SET value = '100', review_ref = ' ' WHERE key = 'risk.killswitch.max_loss_pusd'$$), E'\n', 1);
SELECT try($$UPDATE ptopt.policy SET value = '100' WHERE key = 'risk.killswitch.max_loss_pusd'$$);
SELECT try($$UPDATE ptopt.policy SET value = '100', review_ref = 'CR-42' WHERE key = 'risk.killswitch.max_loss_pusd'$$);
SELECT value, review_ref, changed_by = current_user AS stamped FROM ptopt.policy WHERE key = 'risk.killswitch.max_loss_pusd';
UPDATE ptopt.policy SET value = '250', review_ref = 'CR-43 (revert CR-42)' WHERE key = 'risk.killswitch.max_loss_pusd';

-- Any valid jsonb, however deep, is accepted, and its gated keys are found at any depth
-- (the gate check and the trigger refused nesting deeper than 32 as "not valid JSON").
CREATE FUNCTION nest(depth int, leaf jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT (repeat('{"a": ', depth) || leaf::text || repeat('}', depth))::jsonb
$$;
SELECT ptopt_gated_key(nest(100, '{"risk": {"killswitch": {"max_loss_pusd": 1}}}'))
       = repeat('a.', 100) || 'risk.killswitch' AS found_at_100;
SELECT left(ptopt_gated_key(nest(2000, '{"sec.signer": 1}')), 6) AS found_at_2000,
       ptopt_gated_key(nest(2000, '{"x": 1}')) IS NULL AS ungated_2000;
INSERT INTO ptopt.runs (strategy, objective, space, options, budget)
VALUES ('random', 'quadratic', '{"x": {"low": 0, "high": 1}}', nest(2000, '{"x": 1}'), 7)
RETURNING strategy, status;
DELETE FROM ptopt.runs WHERE budget = 7 AND strategy = 'random' AND objective = 'quadratic';
SELECT left(try(format($$INSERT INTO ptopt.runs (strategy, objective, space, options, budget)
    VALUES ('random', 'quadratic', '{}', %L, 7)$$, nest(100, '{"risk.exposureguard": 1}'))), 50) AS deep_gate;
SELECT try(format($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 1, 0, %L)$$,
    jsonb_build_object('objective', 'quadratic', 'label', 'deep', 'fixed', jsonb_build_object('cfg', nest(2000, '1')))));
SELECT left(try(format($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 1, 0, %L)$$,
    jsonb_build_object('objective', 'quadratic', 'fixed', jsonb_build_object('cfg', nest(2000, '{"sec.signer": 1}'))))), 50);
SELECT left(try(format($$SELECT ptopt_validate('{"x": {"low": 0, "high": 1}}', 'random', 1, 0, %L)$$,
    jsonb_build_object('objective', 'quadratic', 'fixed', jsonb_build_object('cfg', nest(100, '{"sec.signer": 1}'))))), 50);
DROP FUNCTION nest(int, jsonb);
