"""The toy kind's GUI bundle (see :mod:`tests.toykind`): what a new kind gives the plan board.

Only the generic :class:`KindAdapter` (lanes, groups, KPIs and the checker from the
descriptor), no editor, the descriptor's KPI rows, no disruption form, and one extra
view (a list of the lanes, standing in for a fleet's route map). :func:`register_gui`
adds it and returns the function that takes it out again, like the other layers'.
"""

from __future__ import annotations

from collections.abc import Callable

from opsplan.app.gui.adapters import KindAdapter
from opsplan.app.gui.kinds import GuiBundle, register_bundle, unregister_bundle

from tests.toykind import KIND

EXTRA_TITLE = "Toy lanes"


class ToyAdapter(KindAdapter):
    """The defaults serve the toy; a bar moves only along its lane (any lane may take any task)."""

    kind = KIND
    task_word = "task"
    group_word = "task"
    resource_word = "lane"


def _lanes_view(window):  # noqa: ANN001, ANN202 - the main window
    from PySide6.QtWidgets import QListWidget

    w = QListWidget()
    w.setObjectName("toyLanes")
    w.addItems([ln.label for ln in window.plan.adapter.lanes(window.plan.scenario)])
    return EXTRA_TITLE, w


def bundle(**changes) -> GuiBundle:
    """The toy's bundle (fields overridden by ``changes``)."""
    fields = {"kind": KIND, "adapter": ToyAdapter(), "extra_views": (_lanes_view,)}
    fields.update(changes)
    return GuiBundle(**fields)


def register_gui(**changes) -> Callable[[], None]:
    register_bundle(bundle(**changes))
    return lambda: unregister_bundle(KIND)
