"""Solver names -> backends, per scenario kind, imported lazily so that choosing one solver never loads another.

Three kinds of registrations fill it:

* a **family** (:class:`Backend`): a solver name (``cpsat``, ``dispatch``, ``race``...), what it
  needs installed, what of :class:`~opsplan.solvers.result.Params` it honours (its
  :data:`CAPABILITIES`), whether it takes variants (``dispatch:<rule>``);
* per (family, kind) an **entry** (:class:`SolverEntry`): the module whose
  ``solve(scenario, params, on_progress, stop, variant)`` serves that kind, the kind's variants
  (a kind's dispatch rules: two kinds' rules never collide), ``why_not(scenario, params) ->
  reason | None`` (the shapes it cannot run), and ``parts`` the family's generic module reads
  (the kind's CP-SAT or MIP model builder);
* per kind its **defaults** (:class:`KindSolvers`): the heuristic that makes starting schedules,
  the race's default members, the infeasibility explainer, what the race's fork server preloads.

Modules and functions are named as ``"package.module:attribute"`` strings and imported on first
use (:func:`resolve`). The built-in registrations are :data:`BUILTIN_REGISTRATIONS`, imported on
the first look-up (as :mod:`opsplan.models.kinds` does for the kinds); a higher layer or a plug-in
adds its own with :func:`add_registrations` (the ``policy`` family is registered by
:mod:`opsplan.policies`, which the solvers never import), and child processes (the race's
members) load the same list (:func:`registration_modules`).
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from opsplan.models.errors import SolverError
from opsplan.models.plugins import LazyRegistrations

# Capabilities a backend may declare (what of ``Params`` it honours beyond limits and seed).
PINS = "pins"  # ``Params.pinned``: assignments kept exactly
EARLIEST = "earliest"  # ``Params.options["earliest"]``: task -> earliest start
CHANGE_BUDGET = "change_budget"  # ``options["baseline"]`` + ``["max_changes"]`` (+ ``["change_tolerance"]``)
# ``options["inbox"]``: a callable polled during the search for a better schedule found elsewhere (the race)
INBOX = "inbox"
# the backend builds its own start first (cpsat's tabu phase) and calls ``options["started"]()`` when
# that is done: the race does not restart it on a shared schedule before that
OWN_START = "own_start"
CAPABILITIES = (PINS, EARLIEST, CHANGE_BUDGET, INBOX, OWN_START)

Ref = Any  # a "package.module:attribute" string, resolved on first use, or the object itself


@dataclass(frozen=True)
class Backend:
    """A solver family: the name before the colon of ``cpsat`` or ``dispatch:spt``.

    ``kinds`` are the scenario kinds the family serves (kept up to date by :func:`register_solver`).
    A family may also name one ``module`` (and ``variants``) serving the kinds it lists itself,
    without an entry per kind (a simple plug-in); an entry of a kind replaces that default.
    ``capabilities`` names what it honours among :data:`CAPABILITIES` (an entry may narrow it);
    :func:`opsplan.solvers.solve` refuses options a backend cannot honour. ``accepts`` takes
    variants beyond the listed ones (a path to a policy file), ``accepts_hint`` says so in
    messages. ``quick`` marks a family whose runs end within seconds (rules, policies): the race
    keeps such a member at normal priority.
    """

    name: str
    module: str = ""
    kinds: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()  # top-level modules that must be importable
    variants: Callable[[], tuple[str, ...]] | None = None
    description: str = ""
    capabilities: frozenset[str] = frozenset()
    accepts: Callable[[str], bool] | None = None
    accepts_hint: str = ""
    quick: bool = False


@dataclass(frozen=True)
class SolverEntry:
    """What family ``family`` runs for scenarios of kind ``kind``.

    ``module`` exposes ``solve(scenario, params, on_progress, stop, variant) -> Result``.
    ``variants`` lists the kind's variants (a ``Ref`` to a callable returning names, or to a
    collection of names, e.g. a rule table); None: the family takes none for this kind.
    ``why_not(scenario, params) -> str | None`` says why the backend cannot run on a (valid)
    scenario with those parameters (a shape it does not handle), None when it can.
    ``parts`` are the kind's pieces a generic family module reads (``"builder"``: its model builder).
    ``capabilities`` (None: the family's) and ``requires`` (added to the family's) refine the family.
    """

    family: str
    kind: str
    module: str
    variants: Ref | None = None
    why_not: Ref | None = None
    parts: Mapping[str, Ref] = field(default_factory=dict)
    capabilities: frozenset[str] | None = None
    requires: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class KindSolvers:
    """A kind's defaults for the generic solver modules (every field a ``Ref`` or None).

    ``start(scenario, params, earliest, budget, *, rules, purpose, deadline, stop) ->
    (schedule, source, objective) | None``: the kind's quick heuristic schedule (job shop: the best
    dispatch rule), the base of every starting schedule (:mod:`opsplan.solvers.starting`);
    ``rules`` names variants of the kind's dispatch rules to try (None: the kind's choice for
    ``purpose``, ``"seed"`` for a feasible start or ``"hint"`` for an exact solver's hint).
    ``race_members(scenario, params) -> [solver names]``: the race's default members.
    ``explain(scenario, params, time_limit, stop) -> Explanation | None`` names conflicting
    constraints of an infeasible scenario; ``explain_requires`` what it needs installed.
    ``preload``: callables the race's fork server runs once (imports, compiled kernels).
    """

    kind: str
    start: Ref | None = None
    race_members: Ref | None = None
    explain: Ref | None = None
    explain_requires: tuple[str, ...] = ()
    preload: tuple[Ref, ...] = ()


_BACKENDS: dict[str, Backend] = {}
_ENTRIES: dict[tuple[str, str], SolverEntry] = {}
_KINDS: dict[str, KindSolvers] = {}
# the module that registers the solvers of the kinds shipped with OpsPlan (a registration, not generic code)
BUILTIN_REGISTRATIONS = "opsplan.solvers.registrations"
_MODULES: list[str] = []  # registration modules loaded, in order (built-in first)
_LOCK = threading.RLock()
_BUILTIN = LazyRegistrations(BUILTIN_REGISTRATIONS)


def _ensure_builtin() -> None:
    """Import :data:`BUILTIN_REGISTRATIONS` once, then the plug-ins' (thread-safe; re-entry while
    loading is a no-op)."""
    if _BUILTIN.ensure():
        with _LOCK:
            if BUILTIN_REGISTRATIONS not in _MODULES:
                _MODULES.insert(0, BUILTIN_REGISTRATIONS)
        for module in plugin_registrations():
            add_registrations(module)


# The entry-point group through which layers above (the policies' ``policy`` family) and plug-ins
# register solvers: the solvers never name them, and a plain script that solves gets them all.
ENTRY_POINTS = "opsplan.solvers"


def plugin_registrations() -> list[str]:
    """The registration modules the installed distributions declare under :data:`ENTRY_POINTS`."""
    from importlib.metadata import entry_points

    return [ep.value for ep in sorted(entry_points(group=ENTRY_POINTS), key=lambda ep: ep.name)]


def add_registrations(module: str) -> None:
    """Import the registration module ``module`` (once) and remember it, so that processes the
    solvers start (the race's members) load it too."""
    with _LOCK:
        if module in _MODULES:
            return
        _MODULES.append(module)
    try:
        importlib.import_module(module)
    except BaseException:
        with _LOCK:
            _MODULES.remove(module)
        raise


def registration_modules() -> tuple[str, ...]:
    """Every registration module loaded in this process (hand them to :func:`load_registrations` elsewhere)."""
    _ensure_builtin()
    return tuple(_MODULES)


def load_registrations(modules: Iterable[str]) -> None:
    """Load the registrations another process had (see :func:`registration_modules`)."""
    _ensure_builtin()
    for m in modules:
        add_registrations(m)


# -- registering -------------------------------------------------------------------------
def register_family(backend: Backend) -> Backend:
    """Add (or replace) a family; the kinds its entries registered stay with it."""
    _ensure_builtin()  # the built-in families first (a no-op while they are being registered)
    with _LOCK:
        entry_kinds = [k for (f, k) in _ENTRIES if f == backend.name]
        _BACKENDS[backend.name] = replace(backend, kinds=tuple(dict.fromkeys([*backend.kinds, *entry_kinds])))
        return _BACKENDS[backend.name]


def register_solver(family: str, kind: str, module: str, *, variants: Ref | None = None,
                    why_not: Ref | None = None, parts: Mapping[str, Ref] | None = None,
                    capabilities: Iterable[str] | None = None, requires: Iterable[str] = (),
                    description: str = "") -> SolverEntry:
    """Register what family ``family`` runs for kind ``kind`` (see :class:`SolverEntry`); the family
    must be registered first."""
    _ensure_builtin()
    with _LOCK:
        backend = _BACKENDS.get(family)
        if backend is None:
            raise SolverError(f"register the solver family '{family}' before its entry for {kind}")
        entry = SolverEntry(family, kind, module, variants, why_not, dict(parts or {}),
                            None if capabilities is None else frozenset(capabilities), tuple(requires), description)
        _ENTRIES[(family, kind)] = entry
        if kind not in backend.kinds:
            _BACKENDS[family] = replace(backend, kinds=(*backend.kinds, kind))
        return entry


def register_kind_solvers(defaults: KindSolvers) -> KindSolvers:
    """Add (or replace) a kind's defaults (see :class:`KindSolvers`)."""
    _ensure_builtin()
    _KINDS[defaults.kind] = defaults
    return defaults


def unregister_kind(kind: str) -> None:
    """Remove every registration of ``kind`` (tests that register a toy kind clean up with this)."""
    with _LOCK:
        _KINDS.pop(kind, None)
        for key in [k for k in _ENTRIES if k[1] == kind]:
            del _ENTRIES[key]
        for name, b in list(_BACKENDS.items()):
            if kind in b.kinds:
                _BACKENDS[name] = replace(b, kinds=tuple(k for k in b.kinds if k != kind))


def unregister_solver(family: str, kind: str) -> None:
    """Remove one family's entry for ``kind`` (the other families keep theirs)."""
    with _LOCK:
        _ENTRIES.pop((family, kind), None)
        b = _BACKENDS.get(family)
        if b is not None and kind in b.kinds:
            _BACKENDS[family] = replace(b, kinds=tuple(k for k in b.kinds if k != kind))


# -- looking up ----------------------------------------------------------------------------
def resolve(ref: Ref) -> Any:
    """The object a ``"package.module:attribute"`` string names (imported now); anything else as it is."""
    if not isinstance(ref, str):
        return ref
    module, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


def families() -> list[Backend]:
    """Every registered family, in registration order."""
    _ensure_builtin()
    return list(_BACKENDS.values())


def family(name: str) -> Backend:
    """The family ``name`` (the part before a colon is ignored); SolverError listing the known names."""
    _ensure_builtin()
    backend = _BACKENDS.get(name.partition(":")[0])
    if backend is None:
        raise SolverError(f"unknown solver '{name}'; known: {', '.join(known())}")
    return backend


def entry(name: str | Backend, kind: str) -> SolverEntry:
    """What family ``name`` (``'dispatch'``, ``'dispatch:spt'`` or a :class:`Backend`) runs for ``kind``.

    Raises SolverError when the family does not handle that kind.
    """
    backend = name if isinstance(name, Backend) else family(name)
    got = _ENTRIES.get((backend.name, kind))
    if got is not None:
        return got
    if backend.module and kind in backend.kinds:
        return SolverEntry(backend.name, kind, backend.module, backend.variants)
    raise SolverError(f"solver '{backend.name}' does not handle {kind} scenarios")


def kind_solvers(kind: str) -> KindSolvers:
    """The kind's defaults (an empty :class:`KindSolvers` when it registered none)."""
    _ensure_builtin()
    return _KINDS.get(kind) or KindSolvers(kind)


def kind_defaults() -> list[KindSolvers]:
    """Every kind's registered defaults."""
    _ensure_builtin()
    return list(_KINDS.values())


def part(name: str | Backend, kind: str, key: str) -> Any:
    """The resolved part ``key`` of family ``name``'s entry for ``kind`` (e.g. ``part("cpsat", kind, "builder")``)."""
    e = entry(name, kind)
    ref = e.parts.get(key)
    if ref is None:
        raise SolverError(f"solver '{e.family}' has no {key} for {kind} scenarios")
    return resolve(ref)


def _names(ref: Ref | None) -> tuple[str, ...] | None:
    if ref is None:
        return None
    got = resolve(ref)
    if callable(got):
        got = got()
    return tuple(str(x) for x in got)


def takes_variants(backend: Backend, kind: str | None = None) -> bool:
    """Whether the family's names carry a variant (for ``kind``; for any of its kinds when None)."""
    kinds = backend.kinds if kind is None else (kind,)
    return any(entry(backend, k).variants is not None for k in kinds if k in backend.kinds)


def variants(name: str | Backend, kind: str | None = None) -> tuple[str, ...]:
    """The variants of family ``name`` for ``kind`` (a kind's dispatch rules), or of all its kinds when None."""
    backend = name if isinstance(name, Backend) else family(name)
    kinds = backend.kinds if kind is None else ((kind,) if kind in backend.kinds else ())
    out: list[str] = []
    for k in kinds:
        out += _names(entry(backend, k).variants) or ()
    return tuple(dict.fromkeys(out))


def split_name(name: str, kind: str | None = None) -> tuple[Backend, str | None]:
    """``'dispatch:spt'`` -> (dispatch family, 'spt'); raises SolverError on unknown names.

    With ``kind`` the family must handle that kind and the variant must be one of the kind's;
    without, a variant of any kind is accepted.
    """
    fam, _, variant = name.partition(":")
    backend = family(fam)
    if kind is not None and kind not in backend.kinds:
        raise SolverError(f"solver '{name}' does not handle {kind} scenarios")
    if takes_variants(backend, kind):
        listed = variants(backend, kind)
        if not variant:
            example = listed[0] if listed else backend.accepts_hint or "<variant>"
            raise SolverError(f"solver '{fam}' needs a variant, e.g. '{fam}:{example}'")
        if variant not in listed and not (backend.accepts is not None and backend.accepts(variant)):
            more = f" (or {backend.accepts_hint})" if backend.accepts is not None and backend.accepts_hint else ""
            scope = f" for {kind} scenarios" if kind is not None else ""
            raise SolverError(f"unknown {fam} variant '{variant}'{scope}; known: {', '.join(listed) or 'none'}{more}")
    elif variant:
        raise SolverError(f"solver '{fam}' takes no variant (got '{name}')")
    return backend, variant or None


def _entry_of(backend: Backend, kind: str | None) -> SolverEntry | None:
    """The family's entry for ``kind``; None without a kind or for a kind the family does not handle."""
    return entry(backend, kind) if kind is not None and kind in backend.kinds else None


def _solver_names(backend: Backend, e: SolverEntry) -> list[str]:
    vs = _names(e.variants)
    return [backend.name] if vs is None else [f"{backend.name}:{v}" for v in vs]


def known(kind: str | None = None) -> list[str]:
    """Every solver name, installed or not (for ``kind`` only when given)."""
    out: list[str] = []
    for b in families():
        for k in b.kinds:
            if kind is None or k == kind:
                out += _solver_names(b, entry(b, k))
    return list(dict.fromkeys(out))


def _capabilities(backend: Backend, e: SolverEntry | None) -> frozenset[str]:
    return e.capabilities if e is not None and e.capabilities is not None else backend.capabilities


def capabilities(name: str | Backend, kind: str | None = None) -> frozenset[str]:
    """What solver ``name`` honours (for ``kind``: its entry may narrow the family's)."""
    backend = name if isinstance(name, Backend) else family(name)
    return _capabilities(backend, _entry_of(backend, kind))


def _requires(backend: Backend, e: SolverEntry | None) -> tuple[str, ...]:
    return (*backend.requires, *(e.requires if e is not None else ()))


def _installed(backend: Backend, e: SolverEntry | None) -> bool:
    return all(importlib.util.find_spec(mod) is not None for mod in _requires(backend, e))


def is_installed(backend: Backend, kind: str | None = None) -> bool:
    """Whether the family's (and, with ``kind``, that entry's) dependencies are importable; imports nothing."""
    return _installed(backend, _entry_of(backend, kind))


def supports(name: str, capability: str, kind: str | None = None) -> bool:
    """True when the solver ``name`` (``'cpsat'``, ``'dispatch:spt'``) has ``capability``.

    ``capability`` is one of :data:`CAPABILITIES`, e.g. ``supports("cpsat", CHANGE_BUDGET)``.
    Raises SolverError for an unknown solver name.
    """
    backend, _ = split_name(name)
    return capability in capabilities(backend, kind)


def refusal(name: str, kind: str, capability: str, what: str) -> str:
    """'' when solver ``name`` has ``capability``, else why it cannot take ``what`` and which can.

    For example ``refusal("cpsat-textbook", "jobshop", PINS, "pinned operations")``: the one
    message the solver, the solve panel and the disruption dialog give.
    """
    if supports(name, capability, kind):
        return ""
    able = ", ".join(available(kind, capability)) or "none installed"
    return f"'{name}' cannot keep {what}; use one of: {able}"


def available(kind: str | None = None, capability: str | None = None) -> list[str]:
    """Solver names whose dependencies are installed.

    Optionally only those for scenario ``kind`` and only those with ``capability``
    (e.g. ``available("jobshop", CHANGE_BUDGET)`` for the solvers a change budget can go to).
    Imports no backend.
    """
    out: list[str] = []
    for b in families():
        for k in b.kinds:
            if kind is not None and k != kind:
                continue
            e = entry(b, k)
            if capability is not None and capability not in _capabilities(b, e):
                continue
            if not _installed(b, e):
                continue
            out += _solver_names(b, e)
    return list(dict.fromkeys(out))


def why_not(name: str | Backend, scenario: Any, params: Any) -> str | None:
    """Why solver ``name`` cannot run on ``scenario`` with ``params`` (a shape it does not handle),
    None when it can; SolverError when it does not handle the scenario's kind at all."""
    e = entry(name, scenario.kind)
    if e.why_not is None:
        return None
    reason = resolve(e.why_not)(scenario, params)
    return reason or None


def load(backend: Backend | str, kind: str | None = None):  # noqa: ANN201 - returns a module
    """The module that solves ``kind`` for the family (its default module without ``kind``)."""
    b = backend if isinstance(backend, Backend) else family(backend)
    e = _entry_of(b, kind)
    if not _installed(b, e):
        raise SolverError(f"solver '{b.name}' is not installed (needs: {', '.join(_requires(b, e))})")
    # entry() raises for a kind the family does not handle
    module = b.module if kind is None else (e if e is not None else entry(b, kind)).module
    if not module:
        raise SolverError(f"solver '{b.name}' needs a scenario kind to pick its module")
    return importlib.import_module(module)


__all__ = [
    "CAPABILITIES",
    "CHANGE_BUDGET",
    "EARLIEST",
    "INBOX",
    "OWN_START",
    "PINS",
    "Backend",
    "KindSolvers",
    "SolverEntry",
    "add_registrations",
    "available",
    "capabilities",
    "entry",
    "families",
    "family",
    "is_installed",
    "kind_defaults",
    "kind_solvers",
    "known",
    "load",
    "load_registrations",
    "part",
    "refusal",
    "register_family",
    "register_kind_solvers",
    "register_solver",
    "registration_modules",
    "resolve",
    "split_name",
    "supports",
    "unregister_kind",
    "variants",
    "why_not",
]
