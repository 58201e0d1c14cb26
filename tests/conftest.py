"""Small named fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest
from opsplan.models.jobshop.build import classic

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
# the few public instances the tests read, copied from the full sets (see its README.md): the suite
# runs on a clone alone, never on the full sets beside the checkout or in $OPSPLAN_BENCHMARKS
BENCH = DATA / "benchmarks"


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


@pytest.fixture(autouse=True)
def _benchmarks_are_the_test_copies(monkeypatch):
    """``opsplan bench`` without ``--dir``, in this process or a subprocess, finds the copies in
    tests/data/benchmarks: no test reads the full public sets, whether or not they are beside the checkout."""
    monkeypatch.setenv("OPSPLAN_BENCHMARKS", str(BENCH))


@pytest.fixture
def bench_dir():
    """tests/data/benchmarks: the benchmark folder's layout (jobshop/, fjsp/, tardiness/, each with
    its index.json) holding only the instances the tests read."""
    return BENCH
