-- Search spaces: every malformed space gets a precise error and writes nothing.
SET ptopt.progress_notices = off;
CREATE TEMP TABLE runs_before AS SELECT count(*) AS n FROM ptopt.runs;

CREATE TEMP TABLE bad_spaces (name text, space text);
INSERT INTO bad_spaces VALUES
    ('not an object',          '[1, 2]'),
    ('a scalar',               '3'),
    ('empty',                  '{}'),
    ('spec not an object',     '{"x": 5}'),
    ('unknown type',           '{"x": {"type": "complex", "low": 0, "high": 1}}'),
    ('unknown spec key',       '{"x": {"type": "float", "low": 0, "high": 1, "scale": 2}}'),
    ('missing low',            '{"x": {"type": "float", "high": 1}}'),
    ('missing high',           '{"x": {"type": "int", "low": 0}}'),
    ('string bound',           '{"x": {"type": "float", "low": "0", "high": 1}}'),
    ('null bound',             '{"x": {"type": "float", "low": 0, "high": null}}'),
    ('bool bound',             '{"x": {"type": "float", "low": false, "high": 1}}'),
    ('NaN as text',            '{"x": {"type": "float", "low": "NaN", "high": 1}}'),
    ('overflowing bound',      '{"x": {"type": "float", "low": 0, "high": 1e400}}'),
    ('low equals high',        '{"x": {"type": "float", "low": 1, "high": 1}}'),
    ('low above high',         '{"x": {"type": "int", "low": 5, "high": 1}}'),
    ('log with zero low',      '{"x": {"type": "float", "low": 0, "high": 1, "log": true}}'),
    ('log with negative low',  '{"x": {"type": "int", "low": -3, "high": 10, "log": true}}'),
    ('log not a bool',         '{"x": {"type": "float", "low": 1, "high": 2, "log": "yes"}}'),
    ('zero step',              '{"x": {"type": "float", "low": 0, "high": 1, "step": 0}}'),
    ('negative step',          '{"x": {"type": "int", "low": 0, "high": 10, "step": -1}}'),
    ('step beyond range',      '{"x": {"type": "float", "low": 0, "high": 1, "step": 2}}'),
    ('step with log',          '{"x": {"type": "float", "low": 1, "high": 100, "log": true, "step": 1}}'),
    ('fractional int bound',   '{"x": {"type": "int", "low": 0.5, "high": 10}}'),
    ('fractional int step',    '{"x": {"type": "int", "low": 0, "high": 10, "step": 1.5}}'),
    ('choices not an array',   '{"x": {"type": "categorical", "choices": "a,b"}}'),
    ('empty choices',          '{"x": {"type": "categorical", "choices": []}}'),
    ('duplicate choices',      '{"x": {"type": "categorical", "choices": ["a", "b", "a"]}}'),
    ('object choice',          '{"x": {"type": "categorical", "choices": [1, {"a": 1}]}}'),
    ('bool with bounds',       '{"x": {"type": "bool", "low": 0, "high": 1}}'),
    ('default out of range',   '{"x": {"type": "float", "low": 0, "high": 1, "default": 2}}'),
    ('default off step',       '{"x": {"type": "int", "low": 0, "high": 10, "step": 2, "default": 3}}'),
    ('default not a choice',   '{"x": {"type": "categorical", "choices": ["a", "b"], "default": "c"}}'),
    ('empty name',             '{"": {"type": "float", "low": 0, "high": 1}}'),
    ('long name',              '{"' || repeat('n', 200) || '": {"type": "float", "low": 0, "high": 1}}'),
    ('too many parameters',    (SELECT jsonb_object_agg('p' || i, '{"low": 0, "high": 1}'::jsonb)::text
                                  FROM generate_series(1, 65) i)),
    ('too many choices',       (SELECT jsonb_build_object('x', jsonb_build_object('choices', jsonb_agg(i)))::text
                                  FROM generate_series(1, 300) i));

SELECT name, try(format('SELECT ptopt_run(%L, ''random'', 3, 0, ''{"objective": "quadratic"}'')', space))
  FROM bad_spaces ORDER BY name;

-- Bad calls around a good space.
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'annealing', 3, 0, '{"objective": "quadratic"}')$$);
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 0, 0, '{"objective": "quadratic"}')$$);
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 3, 0, '{"objective": "quadratic", "colour": "red"}')$$);
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 3, 0, '{"objective": "quadratic", "fixed": {"x": 1}}')$$);
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 3, 0, '{"objective": "quadratic", "fixed": [1]}')$$);
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 3, 0, '{"objective": 7}')$$);
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 3, 0, '{"objective": "no_such_function"}')$$);
SELECT try($$SELECT ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 3, 0, '{"objective": "branin"}')$$);

-- None of them wrote anything.
SELECT (SELECT count(*) FROM ptopt.runs) - n AS new_runs FROM runs_before;

-- Good spaces of every kind, run for a few iterations; values respect each spec.
SELECT r.iterations, r.status
  FROM ptopt_run('{"f": {"type": "float", "low": -1, "high": 1},
                   "lf": {"type": "float", "low": 0.001, "high": 1000, "log": true},
                   "sf": {"type": "float", "low": 0, "high": 1, "step": 0.25},
                   "i": {"type": "int", "low": -5, "high": 5},
                   "li": {"type": "int", "low": 1, "high": 4096, "log": true},
                   "si": {"type": "int", "low": 0, "high": 100, "step": 10},
                   "c": {"type": "categorical", "choices": ["a", 2, null, true, 1.5]},
                   "b": {"type": "bool"}}',
                 'random', 40, 7, '{"objective": "quadratic", "label": "space kinds"}') r;
SELECT bool_and((params->>'f')::float8 BETWEEN -1 AND 1) AS f_ok,
       bool_and((params->>'lf')::float8 BETWEEN 0.001 AND 1000) AS lf_ok,
       bool_and((params->>'sf')::float8 IN (0, 0.25, 0.5, 0.75, 1)) AS sf_ok,
       bool_and(jsonb_typeof(params->'i') = 'number' AND (params->>'i')::numeric = round((params->>'i')::numeric)
                AND (params->>'i')::int BETWEEN -5 AND 5) AS i_ok,
       bool_and((params->>'li')::int BETWEEN 1 AND 4096) AS li_ok,
       bool_and((params->>'si')::int % 10 = 0) AS si_ok,
       bool_and(params->'c' IN ('"a"', '2', 'null', 'true', '1.5')) AS c_ok,
       bool_and(jsonb_typeof(params->'b') = 'boolean') AS b_ok,
       count(DISTINCT params->'c') AS distinct_c
  FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id)
 WHERE r.label = 'space kinds';
