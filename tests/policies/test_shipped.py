"""The shipped policies: each loads, matches its card, and is better than the best rule it was trained to beat."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from opsplan.models import check, objective_value
from opsplan.models.io.importers import import_file
from opsplan.policies import runtime
from opsplan.policies.runtime import load_policy
from opsplan.solvers import Params, solve
from opsplan.solvers.dispatch.jobshop import dispatch

pytest.importorskip("onnxruntime")

SHIPPED = runtime.shipped_policies()


def test_a_job_shop_policy_ships():
    assert "jobshop-sl" in SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_card_describes_the_file(name):
    """The card names the file, its SHA-256, the features, the training and the measured figures."""
    folder = runtime.shipped_dir()
    card = json.loads((folder / f"{name}.json").read_text())
    assert card["name"] == name and card["onnx"] == f"{name}.onnx"
    assert card["sha256"] == hashlib.sha256((folder / card["onnx"]).read_bytes()).hexdigest()
    assert card["training"]["method"] and card["training"]["command"] == f"opsplan policy train --card {name}.json"
    assert "no benchmark instance" in card["training"]["data"]
    assert card["quality"] and card["speed"]  # measured figures are part of a shipped card
    session = load_policy(name)
    assert session.name == name and session.kind == card["kind"]


def _generated(count: int, seed: int):
    """Held-out generated shops (a seed no training run used), classic and flexible."""
    from opsplan.models.jobshop.build import random_jobshop

    rng = np.random.default_rng(seed)
    out = []
    for k in range(count):
        n = int(rng.integers(8, 25))
        m = int(rng.integers(5, min(n, 15) + 1))
        out.append(random_jobshop(n, m, seed=int(rng.integers(1 << 30)), flexible=1 if k % 3 else 2))
    return out


def test_jobshop_policy_beats_mwkr_on_generated_shops():
    """Greedy, the shipped job-shop policy is better than MWKR (the best single rule) on held-out generated
    shops, flexible ones included; every schedule passes the checker."""
    scs = _generated(12, seed=20261129)
    outs = load_policy("jobshop-sl").rollout(scs)
    ratios = []
    for sc, out in zip(scs, outs, strict=True):
        assert check(sc, out.schedule) == []
        ratios.append(objective_value(sc, out.schedule) / objective_value(sc, dispatch(sc, "mwkr")))
    assert float(np.mean(ratios)) < 0.97


def test_jobshop_policy_on_public_files(bench_dir):
    """The policy solves a classic and a flexible benchmark file through the registry; 64 samples never lose to
    greedy; the schedules pass the checker."""
    for path, fmt in ((bench_dir / "jobshop" / "ft10.txt", "orlib-jobshop"), (bench_dir / "fjsp" / "mk01.fjs", "fjs")):
        if not path.exists():
            pytest.fail(f"benchmark file missing: {path}")
        sc = import_file(str(path), fmt).scenario
        greedy = solve(sc, "policy:jobshop-sl")
        best = solve(sc, "policy:jobshop-sl", Params(options={"samples": 64}))
        assert check(sc, greedy.schedule) == [] and check(sc, best.schedule) == []
        assert best.objective <= greedy.objective
