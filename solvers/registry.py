"""Name -> backend, imported lazily so that choosing one solver never loads another."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from opsplan.models.errors import SolverError

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


@dataclass(frozen=True)
class Backend:
    """A registered backend family: a module exposing ``solve(scenario, params, on_progress, stop, variant)``.

    ``capabilities`` names what the backend honours among :data:`CAPABILITIES`;
    :func:`opsplan.solvers.solve` refuses options a backend cannot honour.
    """

    name: str
    module: str
    kinds: tuple[str, ...]
    requires: tuple[str, ...]  # top-level modules that must be importable
    variants: Callable[[], tuple[str, ...]] | None = None  # e.g. dispatch rule names
    description: str = ""
    capabilities: frozenset[str] = frozenset()
    # variants accepted beyond the listed ones (e.g. a path to a policy file), with a hint for messages
    accepts: Callable[[str], bool] | None = None
    accepts_hint: str = ""


def _dispatch_rules() -> tuple[str, ...]:
    from opsplan.solvers.dispatch.rules import RULES

    return tuple(RULES)


def _policies_dir() -> Path | None:
    """policies/ of the installed (or editable) opsplan, found without importing opsplan.policies."""
    try:
        spec = importlib.util.find_spec("opsplan.policies")
    except (ImportError, ValueError):
        spec = None
    for loc in (spec.submodule_search_locations or []) if spec is not None else []:
        return Path(loc)
    here = Path(__file__).resolve().parent.parent / "policies"
    return here if here.is_dir() else None


def _shipped_policies() -> tuple[str, ...]:
    """Names of the shipped policies: one per card ``policies/shipped/<name>.json``."""
    folder = _policies_dir()
    if folder is None or not (folder / "shipped").is_dir():
        return ()
    return tuple(sorted(p.stem for p in (folder / "shipped").glob("*.json") if p.is_file()))


def _is_policy_file(variant: str) -> bool:
    return variant.endswith(".onnx")


_BACKENDS: dict[str, Backend] = {
    "cpsat": Backend(
        "cpsat",
        "opsplan.solvers.cpsat",
        ("jobshop",),
        ("ortools",),
        None,
        "OR-Tools CP-SAT",
        frozenset({PINS, EARLIEST, CHANGE_BUDGET, OWN_START}),
    ),
    "cpsat-textbook": Backend(
        "cpsat-textbook",
        "opsplan.solvers.cpsat.textbook",
        ("jobshop",),
        ("ortools",),
        None,
        "textbook CP-SAT model (benchmark baseline)",
    ),
    "dispatch": Backend(
        "dispatch",
        "opsplan.solvers.dispatch",
        ("jobshop",),
        (),
        _dispatch_rules,
        "priority dispatch rules",
        frozenset({PINS, EARLIEST}),
    ),
    "mip": Backend(
        "mip",
        "opsplan.solvers.mip",
        ("jobshop",),
        ("pyomo", "highspy"),
        None,
        "MIP, disjunctive big-M (Pyomo + HiGHS)",
        frozenset({PINS, EARLIEST, INBOX}),
    ),
    "ils": Backend(
        "ils",
        "opsplan.solvers.dispatch.ils",
        ("jobshop",),
        (),
        None,
        "iterated local search, single-machine total weighted tardiness",
        frozenset({INBOX}),
    ),
    "tabu": Backend(
        "tabu",
        "opsplan.solvers.dispatch.tabu",
        ("jobshop",),
        ("numba",),
        None,
        "tabu search, job-shop makespan (one machine per operation)",
        frozenset({INBOX}),
    ),
    "race": Backend(
        "race",
        "opsplan.solvers.race",
        ("jobshop",),
        (),
        None,
        "several solvers in parallel processes sharing solutions (options['solvers'])",
        frozenset({PINS, EARLIEST}),
    ),
    # the module is named as a string: solvers never import policies (the layer rule)
    "policy": Backend(
        "policy",
        "opsplan.policies.backend",
        ("jobshop",),
        ("onnxruntime",),
        _shipped_policies,
        "learned dispatch policy (ONNX): a shipped name or a path to a .onnx file",
        frozenset({PINS, EARLIEST}),
        accepts=_is_policy_file,
        accepts_hint="<path>.onnx",
    ),
}


def register(backend: Backend) -> None:
    """Add or replace a backend family."""
    _BACKENDS[backend.name] = backend


def split_name(name: str) -> tuple[Backend, str | None]:
    """``'dispatch:spt'`` -> (dispatch backend, 'spt'); raises SolverError on unknown names."""
    family, _, variant = name.partition(":")
    backend = _BACKENDS.get(family)
    if backend is None:
        raise SolverError(f"unknown solver '{name}'; known: {', '.join(known())}")
    if backend.variants is not None:
        variants = backend.variants()
        if not variant:
            example = variants[0] if variants else backend.accepts_hint or "<variant>"
            raise SolverError(f"solver '{family}' needs a variant, e.g. '{family}:{example}'")
        if variant not in variants and not (backend.accepts is not None and backend.accepts(variant)):
            listed = ", ".join(variants) or "none"
            more = f" (or {backend.accepts_hint})" if backend.accepts is not None and backend.accepts_hint else ""
            raise SolverError(f"unknown {family} variant '{variant}'; known: {listed}{more}")
    elif variant:
        raise SolverError(f"solver '{family}' takes no variant (got '{name}')")
    return backend, variant or None


def known() -> list[str]:
    """Every solver name, installed or not."""
    names: list[str] = []
    for b in _BACKENDS.values():
        if b.variants is None:
            names.append(b.name)
        else:
            names += [f"{b.name}:{v}" for v in b.variants()]
    return names


def is_installed(backend: Backend) -> bool:
    return all(importlib.util.find_spec(mod) is not None for mod in backend.requires)


def supports(name: str, capability: str) -> bool:
    """True when the solver ``name`` (``'cpsat'``, ``'dispatch:spt'``) has ``capability``.

    ``capability`` is one of :data:`CAPABILITIES`, e.g. ``supports("cpsat", CHANGE_BUDGET)``.
    Raises SolverError for an unknown solver name.
    """
    backend, _ = split_name(name)
    return capability in backend.capabilities


def refusal(name: str, kind: str, capability: str, what: str) -> str:
    """'' when solver ``name`` has ``capability``, else why it cannot take ``what`` and which can.

    For example ``refusal("cpsat-textbook", "jobshop", PINS, "pinned operations")``: the one
    message the solver, the solve panel and the disruption dialog give.
    """
    if supports(name, capability):
        return ""
    able = ", ".join(available(kind, capability)) or "none installed"
    return f"'{name}' cannot keep {what}; use one of: {able}"


def available(kind: str | None = None, capability: str | None = None) -> list[str]:
    """Solver names whose dependencies are installed.

    Optionally only those for scenario ``kind`` and only those with ``capability``
    (e.g. ``available("jobshop", CHANGE_BUDGET)`` for the solvers a change budget can go to).
    """
    out: list[str] = []
    for b in _BACKENDS.values():
        if kind is not None and kind not in b.kinds:
            continue
        if capability is not None and capability not in b.capabilities:
            continue
        if not is_installed(b):
            continue
        out += [b.name] if b.variants is None else [f"{b.name}:{v}" for v in b.variants()]
    return out


def load(backend: Backend):  # noqa: ANN201 - returns a module
    if not is_installed(backend):
        raise SolverError(
            f"solver '{backend.name}' is not installed (needs: {', '.join(backend.requires)})"
        )
    return importlib.import_module(backend.module)
