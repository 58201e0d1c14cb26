"""Name -> backend, imported lazily so that choosing one solver never loads another."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

from opsplan.models.errors import SolverError

# Capabilities a backend may declare (what of ``Params`` it honours beyond limits and seed).
PINS = "pins"  # ``Params.pinned``: assignments kept exactly
EARLIEST = "earliest"  # ``Params.options["earliest"]``: task -> earliest start
CHANGE_BUDGET = "change_budget"  # ``options["baseline"]`` + ``["max_changes"]`` (+ ``["change_tolerance"]``)
# ``options["inbox"]``: a callable polled during the search for a better schedule found elsewhere (the race)
INBOX = "inbox"
CAPABILITIES = (PINS, EARLIEST, CHANGE_BUDGET, INBOX)


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


def _dispatch_rules() -> tuple[str, ...]:
    from opsplan.solvers.dispatch.rules import RULES

    return tuple(RULES)


_BACKENDS: dict[str, Backend] = {
    "cpsat": Backend(
        "cpsat",
        "opsplan.solvers.cpsat",
        ("jobshop",),
        ("ortools",),
        None,
        "OR-Tools CP-SAT",
        frozenset({PINS, EARLIEST, CHANGE_BUDGET}),
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
    "race": Backend(
        "race",
        "opsplan.solvers.race",
        ("jobshop",),
        (),
        None,
        "several solvers in parallel processes sharing solutions (options['solvers'])",
        frozenset({PINS, EARLIEST}),
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
            raise SolverError(f"solver '{family}' needs a variant, e.g. '{family}:{variants[0]}'")
        if variant not in variants:
            raise SolverError(f"unknown {family} variant '{variant}'; known: {', '.join(variants)}")
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
