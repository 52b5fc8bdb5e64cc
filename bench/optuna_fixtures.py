#!/usr/bin/python3
"""Export TPE equivalence fixtures from Optuna 3.1 for test/test_tpe_equivalence.c.

Run with Debian's interpreter (Optuna 3.1.0 lives there, not in a pyenv python):

    /usr/bin/python3 bench/optuna_fixtures.py            # writes test/data/tpe_fixtures.json

For fixed histories over every parameter kind (float, log-float, stepped float,
int, log-int, categorical, bool) it asks Optuna's own internals for
  - the good/bad split (_get_observation_pairs + _split_observation_pairs),
  - the kernels of each Parzen estimator (_ParzenEstimator: weights, mus,
    sigmas, categorical weights) in independent and multivariate modes,
  - log l / log g at given points (_ParzenEstimator.log_pdf),
plus the truncated-normal pieces (_truncnorm), gamma and default_weights, and
numpy's argsort of arrays with ties (the bandwidths depend on its tie order).
ptopt maximises score; the studies here are direction="maximize", so Optuna
does the sign flip itself.  Failed and refused ptopt trials become FAIL.
"""
import json
import math
import os
import sys

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers._tpe import _truncnorm as truncnorm
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
from optuna.samplers._tpe.sampler import (
    _get_observation_pairs,
    _split_observation_pairs,
    default_gamma,
    default_weights,
)
from optuna.trial import TrialState, create_trial

assert optuna.__version__ == "3.1.0", optuna.__version__
optuna.logging.set_verbosity(optuna.logging.ERROR)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "test", "data", "tpe_fixtures.json")

# ptopt parameter descriptions (names sort in space order: Optuna's multivariate
# search space is sorted by name).
PARAMS = [
    {"name": "p0_float", "type": "float", "low": -5.0, "high": 10.0, "log": False, "step": 0.0},
    {"name": "p1_logfloat", "type": "float", "low": 1e-3, "high": 10.0, "log": True, "step": 0.0},
    {"name": "p2_stepfloat", "type": "float", "low": 0.0, "high": 2.0, "log": False, "step": 0.25},
    {"name": "p3_int", "type": "int", "low": 0.0, "high": 10.0, "log": False, "step": 1.0},
    {"name": "p4_logint", "type": "int", "low": 1.0, "high": 100.0, "log": True, "step": 1.0},
    {"name": "p5_cat", "type": "categorical", "n_choices": 4, "choices": ["a", "b", "c", "d"]},
    {"name": "p6_bool", "type": "bool", "n_choices": 2, "choices": [False, True]},
    {"name": "p7_int_step", "type": "int", "low": 2.0, "high": 20.0, "log": False, "step": 3.0},
]


def distribution(p):
    """The Optuna distribution of a ptopt parameter."""
    if p["type"] == "float":
        return FloatDistribution(p["low"], p["high"], log=p["log"], step=p["step"] or None)
    if p["type"] == "int":
        return IntDistribution(int(p["low"]), int(p["high"]), log=p["log"], step=int(p["step"]))
    return CategoricalDistribution(p["choices"])


def draw(p, rs):
    """A ptopt value (choice index for categorical) of parameter p."""
    if p["type"] == "float":
        if p["log"]:
            return float(math.exp(rs.uniform(math.log(p["low"]), math.log(p["high"]))))
        if p["step"]:
            k = rs.randint(0, int(round((p["high"] - p["low"]) / p["step"])) + 1)
            return p["low"] + k * p["step"]
        u = rs.rand()
        if u < 0.05:
            return p["low"]
        if u < 0.1:
            return p["high"]
        return float(rs.uniform(p["low"], p["high"]))
    if p["type"] == "int":
        if p["log"]:
            v = round(math.exp(rs.uniform(math.log(p["low"] - 0.5), math.log(p["high"] + 0.5))))
            return float(min(max(v, p["low"]), p["high"]))
        k = rs.randint(0, int((p["high"] - p["low"]) // p["step"]) + 1)
        return p["low"] + k * p["step"]
    return float(rs.randint(0, p["n_choices"]))


def external(p, v):
    """The value Optuna stores for ptopt value v."""
    if p["type"] == "int":
        return int(v)
    if p["type"] == "float":
        return float(v)
    return p["choices"][int(v)]


def make_trials(n, seed, tie_scores, n_failed):
    rs = np.random.RandomState(seed)
    trials = []
    for i in range(n):
        x = [draw(p, rs) for p in PARAMS]
        score = float(-sum((xi - 1.0) ** 2 for xi in x[:1]) + 0.3 * x[3] - 0.2 * x[5] + rs.normal())
        if tie_scores:
            score = round(score)  # many equal scores: ties go to the earlier trial
        trials.append({"x": x, "score": score, "status": "ok"})
    for k in range(n_failed):  # failed / refused trials scattered in time
        pos = int(rs.randint(0, len(trials) + 1))
        x = [draw(p, rs) for p in PARAMS]
        trials.insert(pos, {"x": x, "score": None, "status": "failed" if k % 2 == 0 else "refused"})
    return trials


def build_study(trials):
    study = optuna.create_study(direction="maximize")
    dists = {p["name"]: distribution(p) for p in PARAMS}
    for t in trials:
        params = {p["name"]: external(p, v) for p, v in zip(PARAMS, t["x"])}
        if t["status"] == "ok":
            study.add_trial(create_trial(params=params, distributions=dists, value=t["score"]))
        else:
            study.add_trial(create_trial(params=params, distributions=dists, state=TrialState.FAIL))
    return study


def points_for(p, rs, obs):
    """Points (ptopt values) at which log l and log g are compared."""
    pts = []
    if p["type"] in ("categorical", "bool"):
        return [float(c) for c in range(p["n_choices"])]
    pts += [p["low"], p["high"]]
    for _ in range(6):
        pts.append(draw(p, rs))
    pts += [float(v) for v in obs[:3]]
    return pts


def estimator_record(side, dims, mpe, names, points):
    rec = {"side": side, "dims": dims, "weights": mpe._weights.tolist(), "kernels": []}
    for name in names:
        if mpe._categorical_weights[name] is not None:
            rec["kernels"].append({"probs": mpe._categorical_weights[name].tolist()})
        else:
            rec["kernels"].append({
                "mus": mpe._mus[name].tolist(),
                "sigmas": mpe._sigmas[name].tolist(),
                "low": float(mpe._low[name]),
                "high": float(mpe._high[name]),
                "q": float(mpe._q[name]) if mpe._q[name] is not None else 0.0,
            })
    samples = {}
    for j, name in zip(dims, names):
        col = [pt[dims.index(j)] for pt in points]
        if PARAMS[j]["type"] in ("categorical", "bool"):
            samples[name] = np.asarray(col, dtype=int)
        elif PARAMS[j]["type"] == "int":
            samples[name] = np.asarray(col, dtype=float)
        else:
            samples[name] = np.asarray(col, dtype=float)
    rec["points"] = points
    rec["log_pdf"] = mpe.log_pdf(samples).tolist()
    return rec


def make_case(name, n, seed, multivariate, tie_scores=False, n_failed=3, gamma_f=0.1,
              prior_weight=1.0, magic_clip=True, endpoints=False):
    trials = make_trials(n, seed, tie_scores, n_failed)
    study = build_study(trials)
    names = [p["name"] for p in PARAMS]
    values, scores, violations = _get_observation_pairs(study, names)
    n_ok = sum(s < float("inf") for s, v in scores)
    if gamma_f == 0.1:
        gamma = default_gamma
    else:
        def gamma(x):
            return min(int(np.ceil(gamma_f * x)), 25)
    below_idx, above_idx = _split_observation_pairs(scores, gamma(n_ok), violations)
    ok_positions = [i for i, t in enumerate(trials) if t["status"] == "ok"]
    params = _ParzenEstimatorParameters(True, prior_weight, magic_clip, endpoints,
                                        default_weights, multivariate)
    rs = np.random.RandomState(seed + 1000)
    estimators = []
    groups = [list(range(len(PARAMS)))] if multivariate else [[j] for j in range(len(PARAMS))]
    for dims in groups:
        space = {names[j]: distribution(PARAMS[j]) for j in dims}
        cols = {names[j]: np.asarray(values[names[j]], dtype=float) for j in dims}
        below = {k: v[below_idx] for k, v in cols.items()}
        above = {k: v[above_idx] for k, v in cols.items()}
        if multivariate:
            points = []
            for _ in range(10):
                points.append([draw(PARAMS[j], rs) for j in dims])
            for i in below_idx[:3]:
                points.append([float(cols[names[j]][i]) for j in dims])
        else:
            points = [[v] for v in points_for(PARAMS[dims[0]], rs, cols[names[dims[0]]][below_idx])]
        for side, obs in (("below", below), ("above", above)):
            mpe = _ParzenEstimator(obs, space, params)
            estimators.append(estimator_record(side, dims, mpe, [names[j] for j in dims], points))
    return {
        "name": name,
        "multivariate": multivariate,
        "gamma": gamma_f,
        "prior_weight": prior_weight,
        "consider_magic_clip": magic_clip,
        "consider_endpoints": endpoints,
        "n": n_ok,
        "n_below": int(gamma(n_ok)),
        "below": [ok_positions[i] for i in below_idx.tolist()],
        "above": [ok_positions[i] for i in above_idx.tolist()],
        "trials": trials,
        "estimators": estimators,
    }


def truncnorm_records():
    out = {"log_ndtr": [], "log_gauss_mass": [], "logpdf": [], "ppf": []}
    for a in [-40.0, -25.0, -20.5, -19.0, -8.0, -3.0, -1.0, -0.5, 0.0, 0.3, 1.0, 5.9, 6.5, 10.0, 30.0]:
        out["log_ndtr"].append([a, float(truncnorm._log_ndtr(np.asarray([a]))[0])])
    pairs = [(-1.0, 1.0), (-3.0, 0.5), (-30.0, -25.0), (-8.0, -7.5), (7.5, 8.0), (25.0, 30.0),
             (0.5, 2.0), (-0.2, 0.1), (-100.0, 100.0), (-1e-3, 1e-3), (-50.0, 0.5), (2.0, 40.0)]
    for a, b in pairs:
        out["log_gauss_mass"].append(
            [a, b, float(truncnorm._log_gauss_mass(np.asarray([a]), np.asarray([b]))[0])])
        for z in (a, 0.5 * (a + b), b):
            out["logpdf"].append([z, a, b, float(truncnorm.logpdf(np.asarray([z]), a, b)[0])])
    for a, b in [(-1.0, 1.0), (-3.0, 0.5), (-0.2, 4.0), (0.5, 2.0), (-10.0, 10.0), (-60.0, 2.0),
                 (1.0, 50.0), (-2.0, -1.0)]:
        for u in (1e-9, 0.01, 0.3, 0.5, 0.77, 0.999):
            out["ppf"].append([u, a, b, float(truncnorm.ppf(np.asarray([u]), a, b)[0])])
    return out


def argsort_records():
    rs = np.random.RandomState(7)
    out = []
    for n in (7, 16, 17, 50, 333, 2000):
        for kind in range(3):
            if kind == 0:
                a = rs.randint(0, 4, size=n).astype(float)
            elif kind == 1:
                a = rs.randint(0, max(2, n // 3), size=n).astype(float)
            else:
                a = np.round(rs.rand(n), 1)
            out.append({"v": a.tolist(), "idx": np.argsort(a).tolist()})
    return out


def main():
    cases = [
        make_case("independent_defaults_n40", 40, 1, False),
        make_case("multivariate_defaults_n40", 40, 2, True),
        make_case("independent_tied_scores_n12", 12, 3, False, tie_scores=True, n_failed=4),
        make_case("multivariate_tied_scores_n30", 30, 4, True, tie_scores=True),
        make_case("independent_n150_ramp", 150, 5, False, n_failed=10),
        make_case("multivariate_n150_ramp", 150, 6, True, n_failed=10),
        make_case("independent_knobs", 60, 7, False, gamma_f=0.25, prior_weight=2.0,
                  magic_clip=False, endpoints=True),
        make_case("multivariate_knobs", 60, 8, True, gamma_f=0.25, prior_weight=0.5,
                  magic_clip=False, endpoints=True),
        make_case("independent_n10_startup_edge", 10, 9, False, n_failed=0),
    ]
    fixtures = {
        "generator": "bench/optuna_fixtures.py",
        "optuna_version": optuna.__version__,
        "numpy_version": np.__version__,
        "params": PARAMS,
        "gamma": [[f, n, min(int(np.ceil(f * n)), 25)] for f in (0.1, 0.25, 0.33)
                  for n in list(range(0, 40)) + [99, 100, 101, 249, 250, 251, 1000]],
        "default_gamma": [[n, default_gamma(n)] for n in range(0, 300)],
        "weights": [[n, default_weights(n).tolist()] for n in (0, 1, 24, 25, 26, 27, 40, 113)],
        "truncnorm": truncnorm_records(),
        "argsort": argsort_records(),
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(fixtures, f, allow_nan=False)
        f.write("\n")
    print(f"wrote {os.path.normpath(OUT)}: {len(cases)} cases, "
          f"{sum(len(c['estimators']) for c in cases)} estimators")


if __name__ == "__main__":
    sys.exit(main())
