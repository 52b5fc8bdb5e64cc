-- make demo: a real TPE search over the synthetic CLOB V2 backtest, then its trajectory.
\pset pager off
\echo '== CREATE EXTENSION ptopt'
CREATE EXTENSION ptopt;

\echo '== What can be tuned, and what is locked (first rows)'
SELECT name, type, low, high, "default", gated FROM ptopt_params() ORDER BY gated, name LIMIT 8;
SELECT name, "default" FROM ptopt_params() WHERE gated ORDER BY name;

\echo '== One backtest with the default parameters'
SELECT ptopt_backtest() ->> 'summary' AS summary;

\echo '== A TPE search over five market-maker parameters (40 backtests, each 8 training + 4 held-out worlds)'
SELECT run_id, strategy, iterations, round(best_score::numeric, 5) AS best_score, best_iter,
       round(holdout_score::numeric, 5) AS holdout_score, status
  FROM ptopt_run('{"mm.half_spread_min_ticks": {"type": "int", "low": 1, "high": 5},
                   "mm.c_vol": {"type": "float", "low": 0, "high": 2},
                   "risk.inventory.q_max_pusd": {"type": "float", "low": 20, "high": 2000, "log": true},
                   "mm.base_size_pusd": {"type": "float", "low": 5, "high": 500, "log": true},
                   "mm.layers": {"type": "int", "low": 1, "high": 5}}',
                 'tpe', 40, 1, '{"label": "demo"}');

\echo '== Its trajectory'
SELECT t.iter, round(t.score::numeric, 5) AS score,
       t.params->>'mm.half_spread_min_ticks' AS spread_ticks,
       round((t.params->>'mm.c_vol')::numeric, 2) AS c_vol,
       round((t.params->>'mm.base_size_pusd')::numeric, 1) AS size_pusd,
       t.params->>'mm.layers' AS layers,
       round((t.params->>'risk.inventory.q_max_pusd')::numeric) AS q_max,
       round((t.report #>> '{metrics,net_pnl}')::numeric, 2) AS net_pnl,
       t.source
  FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id)
 WHERE r.label = 'demo' ORDER BY t.iter;

\echo '== Score per iteration'
SELECT ptopt_plot(run_id) FROM ptopt.runs WHERE label = 'demo';

\echo '== The best parameters, one row per parameter (ptopt.best)'
SELECT param, value FROM ptopt.best WHERE label = 'demo' ORDER BY param;

\echo '== Parameter importance (fANOVA, as Optuna''s default evaluator)'
SELECT i.param, round(i.importance::numeric, 3) AS importance
  FROM ptopt.runs r, ptopt_importance(r.run_id) i WHERE r.label = 'demo';

\echo '== The same run as a self-contained HTML page (ptopt_report)'
SELECT run_id AS demo_run FROM ptopt.runs WHERE label = 'demo' \gset
\set QUIET on
\pset format unaligned
\pset tuples_only on
\o :report
SELECT ptopt_report(:demo_run);
\o
\pset format aligned
\pset tuples_only off
\unset QUIET
\echo 'written to' :report

\echo '== A search over a hard-gated setting is refused before it starts'
\set ON_ERROR_STOP 0
SELECT * FROM ptopt_run('{"risk.killswitch.max_loss_pusd": {"low": 1, "high": 9}}', 'random');
