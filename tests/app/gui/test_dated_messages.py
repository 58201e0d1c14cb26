"""The plan board's violation messages speak its dates; the models-level check keeps its numbers."""

from __future__ import annotations

from dataclasses import replace

import pytest
from opsplan.app.gui.document import PlanDocument
from opsplan.app.gui.issues_panel import IssuesPanel
from opsplan.models import check
from opsplan.models.schedule import Schedule


@pytest.fixture
def moved(qtbot, sample_doc):
    """The sample's plan with ORD-2602.sheet moved onto the divider's 02:00-02:30 break (time 240)."""
    base = sample_doc.schedule("mwkr")
    bad = Schedule.of(replace(a, start=240, end=240 + a.duration) if a.task == "ORD-2602.sheet" else a
                      for a in base.assignments).renamed("moved")
    plan = PlanDocument(sample_doc.with_schedule(bad))
    plan.set_current("moved")
    return plan


def _calendar(violations) -> list[str]:
    return [v.message for v in violations if v.code == "calendar" and "ORD-2602.sheet" in v.objects]


#: the calendar violation's text as the checker wrote it before the board passed its clock
HEAD = "operation 'ORD-2602.sheet' (Sheet & cut) of job 'Café Lumière: 240 butter croissants'"
PLAIN = (f"{HEAD} [240, 265) on machine 'DIV' (Divider-Rounder / Sheeter) overlaps its unavailability "
         "'night-shift break 02:00-02:30' [240, 270)")
DATED = (f"{HEAD} Wed 02 Dec 02:00–02:25 on machine 'DIV' (Divider-Rounder / Sheeter) overlaps its "
         "unavailability 'night-shift break 02:00-02:30' Wed 02 Dec 02:00–02:30")


def test_the_board_dates_its_violations_and_the_models_keep_numbers(moved):
    assert _calendar(moved.violations()) == [DATED]
    # no message the board shows is left with a raw interval
    assert not any(" [" in v.message and ")" in v.message for v in moved.violations())
    assert _calendar(check(moved.scenario, moved.schedule)) == [PLAIN]


def test_the_issues_panel_shows_the_dated_message(qtbot, moved):
    panel = IssuesPanel(moved)
    qtbot.addWidget(panel)
    texts = [row[2] for row in panel.rows() if row[0] == "calendar"]
    assert texts and all("Wed 02 Dec 02:00" in t for t in texts)
    assert any("02:00–02:25" in t and "ORD-2602.sheet" in t for t in texts)
