"""The bench-set registry: what ``opsplan bench SET`` offers, one subcommand per set.

Each set describes itself in a :class:`BenchSetSpec` (its flags and its runner) and is added
with :func:`register_bench_set`. A kind's sets live in its own module (``app/bench_<kind>.py``);
kind-neutral sets (``gui``, ``pool``) in :mod:`opsplan.app.bench`. The sets shipped with
OpsPlan are registered by :mod:`opsplan.app.bench_registrations`, imported on the first
look-up; a test or a plug-in registers more with :func:`register_bench_set`. ``cli.py``
builds ``bench``'s subcommands from :func:`bench_sets` and names no set and no kind.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from dataclasses import dataclass

from opsplan.models.errors import OpsPlanError
from opsplan.models.plugins import LazyRegistrations

# the module that registers the sets shipped with OpsPlan (a registration, not generic code)
BUILTIN_REGISTRATIONS = "opsplan.app.bench_registrations"
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")


@dataclass(frozen=True)
class BenchSetSpec:
    """One benchmark set of ``opsplan bench``.

    Parameters
    ----------
    name
        The subcommand (``opsplan bench NAME``): lower case letters, digits, ``-`` and ``_``.
    kind
        The scenario kind its instances are (``"jobshop"``), or None for a kind-neutral set
        (``pool`` averages reports, ``gui`` times the plan board).
    help
        One line for ``opsplan bench --help``.
    add_arguments
        ``add_arguments(parser)`` adds the set's own flags, and only those, to its subparser.
    run
        ``run(args) -> int``: runs the set with the parsed arguments and returns the exit code.
    description
        The longer text of ``opsplan bench NAME --help`` (default: ``help``).
    """

    name: str
    kind: str | None
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    description: str = ""


_SETS: dict[str, BenchSetSpec] = {}


_BUILTIN = LazyRegistrations(BUILTIN_REGISTRATIONS)
_ensure_builtin = _BUILTIN.ensure


def register_bench_set(spec: BenchSetSpec) -> BenchSetSpec:
    """Add (or replace) a set; returns the spec so a module can keep it."""
    if not _NAME.match(spec.name):
        raise OpsPlanError(f"bench set name {spec.name!r}: use lower case letters, digits, '-' and '_'")
    _SETS[spec.name] = spec
    return spec


def unregister_bench_set(name: str) -> None:
    """Remove a set (tests that register a fake one clean up with this)."""
    _SETS.pop(name, None)


def bench_sets() -> list[BenchSetSpec]:
    """Every registered set, built-in first, in registration order."""
    _ensure_builtin()
    return list(_SETS.values())


def bench_set(name: str) -> BenchSetSpec:
    """The set ``name``; an error listing the registered sets otherwise."""
    _ensure_builtin()
    try:
        return _SETS[name]
    except KeyError:
        raise OpsPlanError(f"unknown benchmark set '{name}' (available: {', '.join(_SETS)})") from None


__all__ = ["BenchSetSpec", "bench_set", "bench_sets", "register_bench_set", "unregister_bench_set"]
