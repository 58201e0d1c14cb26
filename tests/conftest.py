"""Small named fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from opsplan.models.jobshop.build import classic

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(os.environ.get("OPSPLAN_BENCHMARKS", ROOT.parent / "shared" / "benchmarks"))
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def tiny_jobshop():
    """A 3-job, 3-machine classic job shop whose optimal makespan is 11."""
    return classic(
        "tiny",
        [
            [(0, 3), (1, 2), (2, 2)],
            [(0, 2), (2, 1), (1, 4)],
            [(1, 4), (2, 3)],
        ],
    )


@pytest.fixture
def bench_dir():
    """The shared public benchmark folder ($OPSPLAN_BENCHMARKS or shared/benchmarks beside the checkout;
    a test that needs it fails, never skips, when it is missing)."""
    if not BENCH.is_dir():
        pytest.fail(f"benchmark folder missing: {BENCH}")
    return BENCH
