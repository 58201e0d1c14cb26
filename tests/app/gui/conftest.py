"""Fixtures for the plan board tests: real widgets on Qt's offscreen platform."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from opsplan.models.io import document as io  # noqa: E402
from opsplan.solvers import Params, solve  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "resources" / "samples" / "bakery-jobshop.json"


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Keep QSettings, recovery files and recent-file lists out of the user's home."""
    monkeypatch.setenv("OPSPLAN_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))


@pytest.fixture
def sample_doc() -> io.Document:
    """The bundled bakery sample with one dispatch plan called 'mwkr'."""
    doc = io.load(SAMPLE)
    r = solve(doc.scenario, "dispatch:mwkr", Params())
    return doc.with_schedule(r.schedule.renamed("mwkr"))


@pytest.fixture
def plan(qtbot, sample_doc):
    """A PlanDocument over the sample with its 'mwkr' plan current."""
    from opsplan.app.gui.document import PlanDocument

    p = PlanDocument(sample_doc)
    p.set_current("mwkr")
    return p
