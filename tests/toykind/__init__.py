"""A toy scenario kind that lives only in the tests and proves that a kind plugs in by registrations.

"toy": tasks of a fixed duration, each run once on any one of a few unary lanes; the objective
is the makespan. Nothing in the package knows it: :func:`register` adds it to every registry
(models, solvers, policies, GUI) and :func:`unregister` takes it out again. Each layer's piece
is in its own module here, as a real kind's would be in its own package per layer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.toykind.model import DESCRIPTOR, KIND, ToyScenario, ToyTask, sample

__all__ = ["DESCRIPTOR", "KIND", "ToyScenario", "ToyTask", "registered", "sample"]


@contextmanager
def registered(layers: tuple[str, ...] = ("models", "solvers", "policies", "gui")) -> Iterator[None]:
    """The toy kind registered in the given layers for the duration of a ``with`` block."""
    from tests.toykind import layers as toy_layers

    undo = [toy_layers.REGISTER[layer]() for layer in layers]
    try:
        yield
    finally:
        for fn in reversed(undo):
            fn()
