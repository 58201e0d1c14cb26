"""The job-shop feature specification: round trips, mismatch messages, finite and scale-free values."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import numpy as np
import pytest
from opsplan.models.errors import OpsPlanError
from opsplan.models.jobshop.build import random_jobshop
from opsplan.models.jobshop.importers import import_fjs
from opsplan.policies.features import SPECS, FeatureMismatch, FeatureSpec, spec_for
from opsplan.policies.jobshop_features import (
    JOBSHOP_CANDIDATE,
    JOBSHOP_GLOBAL,
    JOBSHOP_V1,
    candidate_features,
    features,
    global_features,
)
from opsplan.solvers.dispatch.simulator import JobShopSim

# features whose values are fractions by definition
UNIT = {
    "duration", "ops_left", "ops_left_frac", "job_share", "shortest_mode", "n_modes",
    "rank_spt", "rank_mwkr", "rank_mor", "has_due", "weight",
}  # fmt: skip
NONNEG = {"start_delay", "makespan_increase", "setup", "machine_load", "work_left", "work_left_frac"}


@pytest.fixture
def mk01(bench_dir):
    """Brandimarte's mk01: a 10 x 6 flexible job shop."""
    return import_fjs(bench_dir / "fjsp" / "mk01.fjs").scenario


def _walk(sim: JobShopSim, rng: np.random.Generator):
    """Run ``sim`` to the end with random choices, yielding (candidate features, global features) per decision."""
    sim.reset()
    while not sim.done:
        x, g = features(sim)
        yield x, g
        sim.step(int(rng.integers(len(x))))
    yield features(sim)


def test_spec_round_trip_through_json():
    """as_dict -> JSON -> from_dict gives the same spec; the id names kind and version."""
    data = json.loads(json.dumps(JOBSHOP_V1.as_dict()))
    assert data["id"] == "jobshop/v1" == JOBSHOP_V1.id
    back = FeatureSpec.from_dict(data)
    assert back == JOBSHOP_V1
    JOBSHOP_V1.check(back)  # no error


def test_spec_registry():
    """The job-shop spec is registered; unknown kinds and versions are refused by name."""
    assert SPECS["jobshop/v1"] is JOBSHOP_V1
    assert spec_for("jobshop") is JOBSHOP_V1
    assert spec_for("jobshop", 1) is JOBSHOP_V1
    with pytest.raises(FeatureMismatch, match="jobshop/v7"):
        spec_for("jobshop", 7)
    with pytest.raises(FeatureMismatch, match="'fleet'"):
        spec_for("fleet")


def test_spec_lists_the_required_features():
    """The v1 lists cover what the design asks for."""
    assert {
        "duration", "start_delay", "makespan_increase", "work_left_frac", "ops_left_frac", "job_share",
        "machine_load", "shortest_mode", "n_modes", "rank_spt", "rank_mwkr", "rank_mor", "due_slack",
    } <= set(JOBSHOP_V1.candidate)  # fmt: skip
    assert {"progress", "n_candidates", "makespan"} <= set(JOBSHOP_V1.global_)
    assert set(JOBSHOP_V1.candidate) == set(JOBSHOP_CANDIDATE)
    assert set(JOBSHOP_V1.global_) == set(JOBSHOP_GLOBAL)


def test_mismatch_names_what_differs():
    """check() names version, missing, unexpected and reordered features."""
    other = replace(JOBSHOP_V1, version=2, candidate=JOBSHOP_V1.candidate[1:] + ("magic",))
    with pytest.raises(FeatureMismatch) as err:
        JOBSHOP_V1.check(other)
    msg = str(err.value)
    assert isinstance(err.value, OpsPlanError)
    assert "jobshop/v2" in msg and "jobshop/v1" in msg
    assert "version 2 != 1" in msg
    assert "missing ['duration']" in msg and "unexpected ['magic']" in msg

    swapped = replace(JOBSHOP_V1, global_=tuple(reversed(JOBSHOP_V1.global_)))
    with pytest.raises(FeatureMismatch, match="global features: order"):
        JOBSHOP_V1.check(swapped)
    with pytest.raises(FeatureMismatch, match="kind 'fleet'"):
        JOBSHOP_V1.check(replace(JOBSHOP_V1, kind="fleet"))


def test_malformed_dict_refused():
    """A card with a broken spec is refused with FeatureMismatch, not a KeyError."""
    with pytest.raises(FeatureMismatch, match="malformed"):
        FeatureSpec.from_dict({"kind": "jobshop", "version": 1})
    data = JOBSHOP_V1.as_dict() | {"id": "jobshop/v3"}
    with pytest.raises(FeatureMismatch, match="does not match"):
        FeatureSpec.from_dict(data)


def test_unknown_feature_name_refused():
    """A spec naming a feature the library does not have is refused when computing."""
    spec = replace(JOBSHOP_V1, version=99, candidate=("duration", "telepathy"))
    sim = JobShopSim(random_jobshop(3, 3, seed=0))
    with pytest.raises(FeatureMismatch, match="telepathy"):
        candidate_features(sim, spec)


def test_subset_spec_selects_columns():
    """A spec with a subset of names gets exactly those columns, equal to the full spec's."""
    sim = JobShopSim(random_jobshop(5, 4, seed=2, flexible=2))
    names = ("rank_mwkr", "duration", "machine_load")
    spec = replace(JOBSHOP_V1, version=50, candidate=names, global_=("makespan",))
    full = candidate_features(sim, JOBSHOP_V1)
    sub = candidate_features(sim, spec)
    idx = [JOBSHOP_V1.candidate.index(n) for n in names]
    np.testing.assert_array_equal(sub, full[:, idx])
    assert global_features(sim, spec).shape == (1,)


@pytest.mark.parametrize(
    "shape", [(6, 6, 1), (30, 20, 1), (100, 20, 1), (15, 8, 3)], ids=["6x6", "30x20", "100x20", "15x8-flex3"]
)
def test_features_finite_and_scale_free(shape):
    """Whole random rollouts: float32, finite, fractions in [0, 1], everything within a few units."""
    n, m, flex = shape
    sim = JobShopSim(random_jobshop(n, m, seed=n + m, flexible=flex))
    _assert_sane(sim)


def test_features_on_brandimarte_mk01(mk01):
    """The flexible benchmark mk01 has sane features under both generation schemes."""
    for scheme in ("active", "nondelay"):
        _assert_sane(JobShopSim(mk01, scheme=scheme))


def _assert_sane(sim: JobShopSim) -> None:
    f, g = JOBSHOP_V1.n_candidate, JOBSHOP_V1.n_global
    lo = np.full(f, np.inf)
    hi = np.full(f, -np.inf)
    for x, gl in _walk(sim, np.random.default_rng(0)):
        assert x.dtype == np.float32 and gl.dtype == np.float32
        assert x.shape[1] == f and gl.shape == (g,)
        assert np.isfinite(x).all() and np.isfinite(gl).all()
        assert (np.abs(gl) <= 3).all(), dict(zip(JOBSHOP_V1.global_, gl.tolist()))
        if len(x):
            lo = np.minimum(lo, x.min(axis=0))
            hi = np.maximum(hi, x.max(axis=0))
    ranges = {n: (float(a), float(b)) for n, a, b in zip(JOBSHOP_V1.candidate, lo, hi)}
    for name, (a, b) in ranges.items():
        assert -3 <= a and b <= 3, (name, a, b)
        if name in UNIT:
            assert 0 <= a and b <= 1, (name, a, b)
        if name in NONNEG:
            assert a >= 0, (name, a)
    assert ranges["rank_spt"] == (0.0, 1.0)  # some decision had a real choice


def test_features_of_a_finished_simulator():
    """A finished simulator has no candidate rows and finite globals with progress 1."""
    sim = JobShopSim(random_jobshop(4, 3, seed=1))
    sim.run(lambda s: 0)
    x, g = features(sim)
    assert x.shape == (0, JOBSHOP_V1.n_candidate)
    assert g[JOBSHOP_V1.global_.index("progress")] == 1.0
    assert g[JOBSHOP_V1.global_.index("work_left")] == 0.0


def test_due_slack_only_with_due_dates():
    """due_slack is 0 without due dates and negative for a job already late."""
    from opsplan.models.jobshop.build import classic

    sc = classic("due", [[(0, 5), (1, 5)], [(0, 3), (1, 2)]], dues=[1, None])
    x = candidate_features(JobShopSim(sc, scheme="nondelay"))
    cols = JOBSHOP_V1.candidate
    assert x[0, cols.index("has_due")] == 1 and x[0, cols.index("due_slack")] < 0
    assert x[1, cols.index("has_due")] == 0 and x[1, cols.index("due_slack")] == 0


def test_featurise_100x20_rollout_timing(capsys):
    """Measure (print, do not assert) featurising every decision of a 100 x 20 SPT rollout."""
    sim = JobShopSim(random_jobshop(100, 20, seed=7))
    features(sim)  # static tables once
    sim.reset()
    spent = 0.0
    decisions = 0
    while not sim.done:
        t0 = time.perf_counter()
        x, _ = features(sim)
        spent += time.perf_counter() - t0
        decisions += 1
        sim.step(int(np.argmax(-x[:, 0])))
    with capsys.disabled():
        print(f"\n[timing] featurise 100x20 rollout: {decisions} decisions in {spent:.3f} s "
              f"({1e6 * spent / decisions:.0f} us/decision)")
    assert decisions == 2000
