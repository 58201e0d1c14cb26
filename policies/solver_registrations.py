"""Registers the ``policy`` solver family with the solvers' registry (its ``opsplan.solvers`` entry point).

The solvers never import the policies layer; the registry loads this module through the entry
point (pyproject.toml) with its built-in solvers, so ``policy:<name>`` is there for the command
line, the GUI and any script that solves. Importing this module loads neither onnxruntime nor a
kind's environment; the runtime reads the shipped policies from here too (:func:`shipped`).

Per kind with a learned-dispatch environment: the backend (:mod:`opsplan.policies.backend`) and
as its variants the shipped policies of that kind (a card ``shipped/<name>.json`` whose
``kind`` it is); any ``.onnx`` path is accepted too.
"""

from __future__ import annotations

import json
from pathlib import Path

from opsplan.solvers.registry import EARLIEST, PINS, Backend, register_family, register_solver

KINDS = ("jobshop",)  # the kinds with a learned-dispatch environment (opsplan.policies.registrations)


def shipped_dir() -> Path:
    """``policies/shipped``: the shipped policies, a card ``<name>.json`` beside each ``<name>.onnx``."""
    return Path(__file__).resolve().parent / "shipped"


def shipped(kind: str | None = None, folder: Path | None = None) -> tuple[str, ...]:
    """Names of the shipped policies, one per card ``*.json`` in ``folder`` (default :func:`shipped_dir`), in
    the cards' order (for ``kind`` only when given: a card without a kind counts for every kind)."""
    folder = shipped_dir() if folder is None else folder
    if not folder.is_dir():
        return ()
    names = []
    for card in sorted(folder.glob("*.json")):
        if not card.is_file():
            continue
        if kind is not None:
            try:
                of = json.loads(card.read_text()).get("kind", kind)
            except (OSError, ValueError, AttributeError):
                of = kind  # an unreadable card is refused when it is loaded, with the reason
            if of != kind:
                continue
        names.append(card.stem)
    return tuple(names)


def _is_policy_file(variant: str) -> bool:
    return variant.endswith(".onnx")


register_family(Backend(
    "policy", requires=("onnxruntime",),
    description="learned dispatch policy (ONNX): a shipped name or a path to a .onnx file",
    capabilities=frozenset({PINS, EARLIEST}), accepts=_is_policy_file, accepts_hint="<path>.onnx", quick=True,
))
for _kind in KINDS:
    register_solver("policy", _kind, "opsplan.policies.backend", variants=lambda k=_kind: shipped(k))
