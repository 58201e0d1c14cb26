"""The kind registry: what generic code may ask of a scenario kind.

Each kind (``models/<kind>/``) describes itself once in a :class:`KindDescriptor` and
registers it with :func:`register_kind`. Generic modules — document I/O, export, the
CLI, the plan board's KPI panel and New menu, solve, race, reschedule — read the
descriptor and never import a kind's package. The built-in kinds are registered by
:mod:`opsplan.models.registrations`, imported on the first look-up; a test or a plug-in
registers more with :func:`register_kind`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from opsplan.models.core import Issue, Violation
from opsplan.models.errors import OpsPlanError
from opsplan.models.plugins import LazyRegistrations
from opsplan.models.schedule import Category, Schedule
from opsplan.models.timetext import TimeText, call_check

Scenario = Any  # the frozen scenario document of some kind
JsonDict = dict[str, Any]

LOWER = "lower"  # a smaller value is better
HIGHER = "higher"
NEUTRAL = ""  # neither (a count to read, not to optimise)


@dataclass(frozen=True)
class KPI:
    """One key performance indicator a kind reports.

    ``unit`` is ``"time"`` (in the scenario's time unit, shown as a duration), ``"%"``
    (a fraction in [0, 1] shown as a percentage), ``"count"`` or any other plain word.
    ``better`` says which direction is an improvement (:data:`LOWER`, :data:`HIGHER`, or
    :data:`NEUTRAL`); the KPI panel colours deltas by it.
    """

    key: str
    label: str
    unit: str = ""
    better: str = LOWER


@dataclass(frozen=True, eq=False)
class DisruptionEvent:
    """One disruption of a running plan, of a type (:class:`Disruption`) its scenario's kind declares.

    ``type`` is the type's name (``"machine_down"``), ``target`` the id of what it hits (a
    resource or a task, as the type's ``target`` says). A resource event happens at ``at`` and
    takes the resource away for ``duration``; a task event happens when the task was planned to
    start (``at`` is None) and delays it by ``duration``. Written as text it is
    ``TARGET@AT+DURATION`` or ``TARGET@+DURATION``. Two events are equal when their type,
    target and numbers are (whatever subclass a kind gives them for its own words).
    """

    type: str
    target: str
    at: int | None = None
    duration: int = 0

    def _key(self) -> tuple[str, str, int | None, int]:
        return (self.type, self.target, self.at, self.duration)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DisruptionEvent) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    @property
    def end(self) -> int | None:
        """When a resource event is over (None for a task event)."""
        return None if self.at is None else self.at + self.duration

    def __str__(self) -> str:
        return f"{self.target}@+{self.duration}" if self.at is None else f"{self.target}@{self.at}+{self.duration}"


@dataclass(frozen=True)
class Disruption:
    """A disruption type a kind supports in ``reschedule`` (a machine down, a node lost...).

    ``target`` names what it hits (``"resource"``, ``"task"``); ``fields`` are the
    parameters it takes besides the target, each ``(name, label, unit)`` with unit
    ``"time"`` for an instant or a duration on the scenario's axis.

    What it does to a plan (read by the generic ``reschedule``, see :class:`DisruptionEvent`):
    a ``"resource"`` disruption happens at its event's ``at``; ``apply(sc, event) -> sc`` is the
    scenario after it (a breakdown window in the machine's calendar), ``interrupts(event,
    assignment)`` says whether work that started before the re-plan is cut by it (and so
    re-planned rather than kept), and ``added_path(sc, event)`` is the path, in the scenario
    after ``apply``, of the constraint it added (so an explanation can name the disruption
    instead). A ``"task"`` disruption delays its task: the task starts no sooner than its planned
    start plus the event's ``duration``.

    ``flag`` is the command line's option for it (``"down"``: ``--down``), ``syntax`` and
    ``example`` its text form for messages (``MACHINE@AT+DURATION``, ``M3@120+60``).
    """

    name: str
    label: str
    target: str = "resource"
    fields: tuple[tuple[str, str, str], ...] = ()
    flag: str = ""
    syntax: str = ""
    example: str = ""
    apply: Callable[[Scenario, DisruptionEvent], Scenario] | None = None
    interrupts: Callable[[DisruptionEvent, Any], bool] | None = None
    added_path: Callable[[Scenario, DisruptionEvent], str | None] | None = None


@dataclass(frozen=True)
class ImporterSpec:
    """A file format that reads into a document of this kind.

    ``read(path, index=None, n=None) -> Document``; ``suffixes`` are the file name
    endings that select it when no format is named; ``sniff(path) -> bool`` decides
    between formats that share a suffix (``.txt``).
    """

    name: str
    read: Callable[..., Any]
    description: str = ""
    suffixes: tuple[str, ...] = ()
    sniff: Callable[[Path], bool] | None = None
    takes_index: bool = False


def objective_field(scenario: Scenario) -> str:
    """The default :attr:`KindDescriptor.objective_of`: the scenario's ``objective`` field (an enum or a name)."""
    obj = getattr(scenario, "objective", "")
    return str(getattr(obj, "value", obj))


#: the scenario fields every kind's Properties dialog edits (each kind's scenario has them, see DESIGN.md)
PROPERTY_FIELDS = ("name", "description", "epoch", "time_unit")


def replace_properties(scenario: Scenario, **fields: Any) -> Scenario:
    """The default :attr:`KindDescriptor.with_properties`: ``dataclasses.replace`` of the named fields.

    A field the scenario does not have is an error naming it (rather than a silent no-op).
    """
    unknown = [k for k in fields if not hasattr(scenario, k)]
    if unknown:
        raise OpsPlanError(f"{type(scenario).__name__} has no property {', '.join(unknown)}")
    return replace(scenario, **fields)


@dataclass(frozen=True)
class KindDescriptor:
    """Everything generic code needs to know about one scenario kind.

    Parameters
    ----------
    kind, label
        The file's ``kind`` value and its name for people ("Job shop").
    scenario_type
        The frozen scenario class.
    to_json, from_json
        The codec between the scenario and the ``"scenario"`` object of a document;
        ``from_json`` receives data that already passed the JSON Schema.
    schema_defs, schema_root
        The kind's JSON Schema definitions (merged into the document schema's ``$defs``)
        and the name of the one that describes the scenario object.
    validate, check, objective_value, kpis
        ``validate(sc) -> [Issue]``, ``check(sc, schedule) -> [Violation]`` (optionally with a
        ``times`` keyword, a :class:`~opsplan.models.timetext.TimeText` that writes the times in
        its messages; see :meth:`check_schedule`),
        ``objective_value(sc, schedule) -> int`` (lower is better) and
        ``kpis(sc, schedule) -> dict`` (plain data, keys of :attr:`kpi_list` among them).
    kpi_list
        The KPIs, in the order they are shown.
    objectives, with_objective, objective_of
        The objective names the kind knows, ``with_objective(sc, name) -> sc`` and
        ``objective_of(sc) -> name`` (by default the scenario's ``objective`` field).
    with_properties
        ``with_properties(sc, **fields) -> sc`` sets generic fields (:data:`PROPERTY_FIELDS`:
        name, description, epoch, time unit); by default ``dataclasses.replace``.
    weights, with_weights, weighted_objectives
        ``weights(sc) -> {group: weight}`` and ``with_weights(sc, {group: weight}) -> sc`` for a kind
        whose objectives weigh its groups (a job's weight in weighted tardiness); the objectives in
        ``weighted_objectives`` read them (the Properties dialog shows the weights for those). None:
        the kind has no weights.
    task_word, group_word, resource_word
        Words for a task, its group (the colour key) and a resource, singular.
    task_ids, group_of, horizon
        ``task_ids(sc)`` every task a complete schedule holds, ``group_of(sc, task)``
        the group (job, vehicle, wave) a task belongs to, ``horizon(sc)`` an upper bound
        on any sensible end time.
    summary
        ``summary(sc) -> str``, one line for the CLI ("10 jobs x 5 machines, ...").
    resources
        ``resources(sc) -> tuple[Resource, ...]``: the lanes of the plan board.
    importers
        Formats that read into this kind.
    disruptions
        The disruption types ``reschedule`` offers for this kind.
    task_resources
        ``task_resources(sc, task) -> tuple[str, ...]``: the resources ``task`` may run on
        (None: any); ``reschedule`` refuses a running plan that places a task elsewhere.
    pinnable
        Categories of assignments a planner may pin (work only for job shop).
    sample, new_scenario
        A bundled sample file name in ``resources/samples`` and a factory for the
        small template File → New starts from.
    extra_columns
        Export columns beyond the generic ones: ``(name, fn(sc, task) -> str)``.
    export_sheets
        Adds the scenario's sheets to an Excel export (round trip with the kind's tabular import).
    """

    kind: str
    label: str
    scenario_type: type
    to_json: Callable[[Scenario], JsonDict]
    from_json: Callable[[JsonDict], Scenario]
    schema_defs: Mapping[str, Any]
    schema_root: str
    validate: Callable[[Scenario], list[Issue]]
    check: Callable[[Scenario, Schedule], list[Violation]]
    objective_value: Callable[[Scenario, Schedule], int]
    kpis: Callable[[Scenario, Schedule], dict[str, Any]]
    kpi_list: tuple[KPI, ...]
    objectives: tuple[str, ...]
    with_objective: Callable[[Scenario, str], Scenario]
    task_ids: Callable[[Scenario], list[str]]
    group_of: Callable[[Scenario, str], str]
    horizon: Callable[[Scenario], int]
    summary: Callable[[Scenario], str]
    resources: Callable[[Scenario], tuple[Any, ...]]
    new_scenario: Callable[[], Scenario]
    task_word: str = "task"
    group_word: str = "group"
    resource_word: str = "resource"
    importers: tuple[ImporterSpec, ...] = ()
    disruptions: tuple[Disruption, ...] = ()
    task_resources: Callable[[Scenario, str], tuple[str, ...]] | None = None
    pinnable: frozenset[Category] = frozenset({Category.WORK})
    sample: str | None = None
    extra_columns: tuple[tuple[str, Callable[[Scenario, Any], str]], ...] = ()
    # ``export_sheets(writer, scenario)``: adds the scenario's own sheets to an Excel export (a pandas
    # ExcelWriter), so that the exported workbook imports back through the kind's tabular importer
    export_sheets: Callable[[Any, Scenario], None] | None = None
    objective_of: Callable[[Scenario], str] = objective_field
    with_properties: Callable[..., Scenario] = replace_properties
    weights: Callable[[Scenario], dict[str, int]] | None = None
    with_weights: Callable[[Scenario, Mapping[str, int]], Scenario] | None = None
    weighted_objectives: frozenset[str] = frozenset()
    extras: Mapping[str, Any] = field(default_factory=dict)

    def kpi(self, key: str) -> KPI | None:
        """The descriptor of KPI ``key``, or None."""
        for k in self.kpi_list:
            if k.key == key:
                return k
        return None

    def objective(self, name: str) -> str:
        """``name`` when the kind declares that objective; else an error naming the ones it does."""
        if name not in self.objectives:
            known = ", ".join(self.objectives)
            raise OpsPlanError(f"{self.label} scenarios have no objective '{name}' (known: {known})")
        return name

    def objective_label(self, name: str) -> str:
        """How objective ``name`` is called for people: the label of the KPI of that name, else the name."""
        k = self.kpi(name)
        return k.label if k is not None else name.replace("_", " ").capitalize()

    def check_schedule(self, scenario: Scenario, schedule: Schedule, times: TimeText | None = None) -> list[Violation]:
        """The kind's :attr:`check`, its messages' times written by ``times`` (the plan board's dates)
        when the kind's check takes them; otherwise, or without ``times``, its plain numbers."""
        return call_check(self.check, scenario, schedule, times)

    def disruption(self, name: str) -> Disruption:
        """The disruption type ``name``; an error listing the kind's types otherwise."""
        for d in self.disruptions:
            if d.name == name:
                return d
        known = ", ".join(d.name for d in self.disruptions) or "none"
        raise OpsPlanError(f"{self.label} scenarios have no disruption '{name}' (known: {known})")


_KINDS: dict[str, KindDescriptor] = {}
# the module that registers the kinds shipped with OpsPlan (a registration, not generic code)
BUILTIN_REGISTRATIONS = "opsplan.models.registrations"


_BUILTIN = LazyRegistrations(BUILTIN_REGISTRATIONS)
_ensure_builtin = _BUILTIN.ensure


def register_kind(descriptor: KindDescriptor) -> KindDescriptor:
    """Add (or replace) a kind; returns the descriptor so a module can keep it."""
    _KINDS[descriptor.kind] = descriptor
    return descriptor


def unregister_kind(kind: str) -> None:
    """Remove a kind (tests that register a toy kind clean up with this)."""
    _KINDS.pop(kind, None)


def kinds() -> list[str]:
    """The registered kind names, built-in first."""
    _ensure_builtin()
    return list(_KINDS)


def descriptors() -> list[KindDescriptor]:
    _ensure_builtin()
    return list(_KINDS.values())


def is_kind(kind: object) -> bool:
    _ensure_builtin()
    return isinstance(kind, str) and kind in _KINDS


def descriptor(kind_or_scenario: str | Scenario) -> KindDescriptor:
    """The descriptor of a kind name or of a scenario's kind; a clear error when unknown."""
    _ensure_builtin()
    kind = kind_or_scenario if isinstance(kind_or_scenario, str) else getattr(kind_or_scenario, "kind", None)
    try:
        return _KINDS[kind]  # type: ignore[index]
    except KeyError:
        raise OpsPlanError(
            f"scenario kind {kind!r} is not supported (known: {', '.join(_KINDS) or 'none'})"
        ) from None


def with_objective(scenario: Scenario, name: str) -> Scenario:
    """``scenario`` judged by objective ``name`` instead; an error naming the kind's objectives."""
    d = descriptor(scenario)
    return d.with_objective(scenario, d.objective(name))


def edit_properties(scenario: Scenario, objective: str | None = None, weights: Mapping[str, int] | None = None,
                    **fields: Any) -> Scenario:
    """``scenario`` with new generic ``fields`` (:data:`PROPERTY_FIELDS`), ``objective`` and group ``weights``.

    Refused (:class:`OpsPlanError` naming every problem) when the result has validation issues the
    scenario did not have before: a bad value never enters the document, and a scenario that was
    already being fixed is not locked by its old problems.
    """
    d = descriptor(scenario)
    new = d.with_properties(scenario, **fields) if fields else scenario
    if objective is not None and objective != d.objective_of(new):
        new = d.with_objective(new, d.objective(objective))
    if weights:
        if d.weights is None or d.with_weights is None:
            raise OpsPlanError(f"{d.label} scenarios have no {d.group_word} weights")
        bad = [f"{g} ({w})" for g, w in weights.items() if not isinstance(w, int) or w < 0]
        if bad:
            raise OpsPlanError(f"a weight must be a whole number of at least 0: {', '.join(bad)}")
        new = d.with_weights(new, weights)
    before = {str(i) for i in d.validate(scenario)}
    added = [str(i) for i in d.validate(new) if str(i) not in before]
    if added:
        raise OpsPlanError("; ".join(added))
    return new


__all__ = [
    "HIGHER",
    "KPI",
    "LOWER",
    "NEUTRAL",
    "PROPERTY_FIELDS",
    "Disruption",
    "DisruptionEvent",
    "ImporterSpec",
    "KindDescriptor",
    "descriptor",
    "descriptors",
    "edit_properties",
    "is_kind",
    "kinds",
    "register_kind",
    "replace_properties",
    "unregister_kind",
    "with_objective",
]
