"""The GUI bundles: what the plan board needs from each scenario kind, in one place.

A kind plugs into the desktop application with one :class:`GuiBundle`:

* ``adapter`` — a :class:`~opsplan.app.gui.adapters.KindAdapter`: lanes, colour groups,
  bar labels and tooltips, how a dragged bar moves, critical path, load profile;
* ``editor_spec`` — a factory of the scenario editor's tables
  (:class:`~opsplan.app.gui.editor_spec.EditorSpec`), or None for no editor;
* ``kpi_rows`` — the KPI rows of the KPI and Compare panels; None reads the
  descriptor's ``kpi_list`` (label, unit, better direction);
* ``disruptions`` — the forms of the Disruption dialog (:class:`DisruptionForm`); None
  makes one per disruption type of the descriptor (:func:`forms_from_descriptor`), and
  ``usable_pins`` says which of the planner's pins a re-plan can keep;
* ``extra_views`` — factories ``fn(main_window) -> (title, QWidget)`` of views shown
  in docks beside the board (a fleet's route map);
* ``bench_scenario`` — ``fn(bars, lanes, seed)``: a synthetic scenario of about
  ``bars`` tasks for ``opsplan bench gui``.

Generic modules (main window, Gantt, KPI panel, editor, dialogs) ask
:func:`bundle_for` and the kind registry of :mod:`opsplan.models.kinds`, and never
import a kind. The bundles shipped with OpsPlan are registered by
:mod:`opsplan.app.gui.kinds.registrations`, imported on the first look-up; a test or a
plug-in adds one with :func:`register_bundle` (and removes it with
:func:`unregister_bundle`). Nothing here imports Qt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opsplan.app.gui.adapters import KindAdapter
from opsplan.app.gui.editor_spec import EditorSpec
from opsplan.models.kinds import KPI, LOWER, KindDescriptor, descriptor, is_kind, kinds
from opsplan.models.plugins import LazyRegistrations


@dataclass(frozen=True)
class DisruptionField:
    """A number the planner types for a disruption (when, how long, how late).

    ``unit`` ``"time"`` is on the scenario's time axis. ``default`` is a fraction of the
    plan's length (the dialog's starting value); ``minimum`` the smallest value allowed.
    """

    name: str
    label: str
    unit: str = "time"
    minimum: int = 0
    default: float = 0.0


@dataclass(frozen=True)
class DisruptionForm:
    """One type of disruption in the Disruption dialog.

    ``name``, ``label``, ``target`` and the fields' names and labels are the disruption type's
    in the kind's descriptor (:class:`opsplan.models.kinds.Disruption`). ``target`` is what it
    hits: ``"resource"`` (the dialog offers the lanes) or ``"task"`` (the planned tasks).
    ``build(target_id, values)`` makes the event the reschedule solver takes (None: a
    :class:`~opsplan.models.kinds.DisruptionEvent`, see :func:`build_event`);
    ``describe(event, clock)`` names it in the Undo menu and in the new plan's name, with times
    read through ``clock`` (a :class:`~opsplan.app.gui.timeaxis.Clock`: dates where the scenario
    has an epoch); None: the event's text form.
    """

    name: str
    label: str
    target: str
    fields: tuple[DisruptionField, ...]
    build: Callable[[str, Mapping[str, int]], Any] | None = None
    describe: Callable[[Any, Any], str] | None = None

    def event(self, target: str, values: Mapping[str, int]) -> Any:
        """The event the form describes (hitting ``target``, with the fields' ``values``)."""
        return self.build(target, values) if self.build is not None else build_event(self, target, values)

    def text(self, event: Any, clock: Any = None) -> str:
        """``event`` in the planner's words (its text form without a ``describe``)."""
        if self.describe is None:
            return str(event)
        if clock is None:
            from opsplan.app.gui.timeaxis import Clock

            clock = Clock()
        return self.describe(event, clock)


def build_event(form: DisruptionForm, target: str, values: Mapping[str, int]) -> Any:
    """The generic event of ``form``: a resource disruption happens ``at`` and lasts its other
    field; a task disruption delays its task by its field (see
    :class:`~opsplan.models.kinds.DisruptionEvent`)."""
    from opsplan.models.kinds import DisruptionEvent

    at = int(values["at"]) if form.target == "resource" and "at" in values else None
    rest = [int(v) for k, v in values.items() if k != "at"]
    return DisruptionEvent(form.name, target, at, rest[0] if rest else 0)


#: the dialog's starting value (a fraction of the plan's length) and minimum per field name,
#: for fields a bundle says nothing about: an instant a third into the plan, a duration of a tenth
DEFAULT_HINTS: Mapping[str, tuple[int, float]] = {"at": (0, 1 / 3)}
DEFAULT_DURATION_HINT = (1, 1 / 10)


def forms_from_descriptor(
    d: KindDescriptor,
    hints: Mapping[str, tuple[int, float]] | None = None,
    build: Mapping[str, Callable[[str, Mapping[str, int]], Any]] | None = None,
    describe: Mapping[str, Callable[[Any, Any], str]] | None = None,
) -> tuple[DisruptionForm, ...]:
    """One form per disruption type of ``d``; ``hints`` maps a field name to its
    ``(minimum, default fraction of the plan)``; ``build`` and ``describe`` map a type's name to
    its own event maker and Undo-menu words."""
    hints = {**DEFAULT_HINTS, **(hints or {})}
    build, describe = build or {}, describe or {}
    return tuple(
        DisruptionForm(
            x.name, x.label, x.target,
            tuple(DisruptionField(n, label, unit, *hints.get(n, DEFAULT_DURATION_HINT)) for n, label, unit in x.fields),
            build.get(x.name), describe.get(x.name),
        )
        for x in d.disruptions
    )


def keep_all_pins(prep: Any, pinned: Sequence[Any]) -> tuple[tuple, list[str]]:
    """The default of :attr:`GuiBundle.usable_pins`: every pin is kept, none released."""
    return tuple(pinned), []


@dataclass(frozen=True)
class GuiBundle:
    """Everything the plan board needs to show and edit scenarios of one kind."""

    kind: str
    adapter: KindAdapter
    editor_spec: Callable[[], EditorSpec] | None = None
    kpi_rows: tuple[KPI, ...] | None = None
    disruptions: tuple[DisruptionForm, ...] | None = None
    usable_pins: Callable[[Any, Sequence[Any]], tuple[tuple, list[str]]] = keep_all_pins
    extra_views: tuple[Callable[[Any], tuple[str, Any]], ...] = ()
    bench_scenario: Callable[[int, int, int], Any] | None = None

    @property
    def label(self) -> str:
        """The kind's name for people (from its descriptor)."""
        return descriptor(self.kind).label


_BUNDLES: dict[str, GuiBundle] = {}
# the module that registers the bundles shipped with OpsPlan (a registration, not generic code)
BUILTIN_REGISTRATIONS = "opsplan.app.gui.kinds.registrations"


_BUILTIN = LazyRegistrations(BUILTIN_REGISTRATIONS)
_ensure_builtin = _BUILTIN.ensure


def register_bundle(bundle: GuiBundle) -> GuiBundle:
    """Add (or replace) the GUI bundle of ``bundle.kind``; built-in bundles stay listed first."""
    _ensure_builtin()
    _BUNDLES[bundle.kind] = bundle
    return bundle


def unregister_bundle(kind: str) -> None:
    """Remove a kind's bundle (tests that register a toy kind clean up with this)."""
    _BUNDLES.pop(kind, None)


def bundles() -> list[GuiBundle]:
    """The registered bundles, built-in first."""
    _ensure_builtin()
    return list(_BUNDLES.values())


def board_kinds() -> list[str]:
    """The kinds the plan board can show: registered in the kind registry and with a GUI bundle,
    in the kind registry's order (File → New lists these; the first is the default)."""
    _ensure_builtin()
    return [k for k in kinds() if k in _BUNDLES]


def _kind_of(kind_or_scenario: Any) -> Any:
    return kind_or_scenario if isinstance(kind_or_scenario, str) else getattr(kind_or_scenario, "kind", None)


def find_bundle(kind_or_scenario: Any) -> GuiBundle | None:
    """The bundle of a kind name or of a scenario's kind, or None."""
    _ensure_builtin()
    kind = _kind_of(kind_or_scenario)
    return _BUNDLES.get(kind) if isinstance(kind, str) else None


def bundle_for(kind_or_scenario: Any) -> GuiBundle:
    """The bundle of a kind name or of a scenario's kind; a clear error for kinds the board cannot show."""
    bundle = find_bundle(kind_or_scenario)
    if bundle is None:
        kind = _kind_of(kind_or_scenario)
        known = ", ".join(board_kinds()) or "none"
        raise ValueError(f"the plan board cannot show {kind!r} scenarios yet (it shows: {known})")
    return bundle


def disruption_forms(kind: str) -> tuple[DisruptionForm, ...]:
    """The Disruption dialog's forms for ``kind``: its bundle's, else one per disruption type of
    its descriptor."""
    bundle = find_bundle(kind)
    if bundle is not None and bundle.disruptions is not None:
        return bundle.disruptions
    return forms_from_descriptor(descriptor(kind)) if is_kind(kind) else ()


def adapter_for(kind: str) -> KindAdapter:
    """The adapter of a scenario kind; a clear error for kinds the board cannot show yet."""
    return bundle_for(kind).adapter


def default_kind() -> str:
    """The kind File → New and a fresh window start with: the first the board can show."""
    shown = board_kinds()
    if not shown:
        raise ValueError("no scenario kind has a GUI bundle")
    return shown[0]


#: the rows every kind's KPI panel has around its own: the objective first, the checker last
OBJECTIVE_ROW = KPI("objective_value", "Objective", "", LOWER)
VIOLATIONS_ROW = KPI("violations", "Checker violations", "count", LOWER)


def kpi_rows(kind: str) -> tuple[KPI, ...]:
    """The KPI rows of ``kind``'s panels: the objective, the kind's KPIs (its bundle's, else its
    descriptor's ``kpi_list``), then the checker's violations."""
    bundle = find_bundle(kind)
    own = bundle.kpi_rows if bundle is not None and bundle.kpi_rows is not None else (
        descriptor(kind).kpi_list if is_kind(kind) else ())
    own = tuple(k for k in own if k.key not in (OBJECTIVE_ROW.key, VIOLATIONS_ROW.key))
    return (OBJECTIVE_ROW, *own, VIOLATIONS_ROW)


__all__ = [
    "OBJECTIVE_ROW",
    "VIOLATIONS_ROW",
    "DisruptionField",
    "DisruptionForm",
    "GuiBundle",
    "adapter_for",
    "board_kinds",
    "build_event",
    "bundle_for",
    "bundles",
    "default_kind",
    "disruption_forms",
    "find_bundle",
    "forms_from_descriptor",
    "keep_all_pins",
    "kpi_rows",
    "register_bundle",
    "unregister_bundle",
]
