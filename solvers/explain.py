"""Infeasibility explained, for any scenario kind that registers an explainer.

:func:`explain` returns what the kind's explainer finds (the
:class:`~opsplan.solvers.cpsat.explain.Explanation` of CP-SAT with one assumption per
business constraint, for the kinds with a CP-SAT model builder), or ``None`` when the kind
has none or what it needs is not installed. The explainer is the ``explain`` of the kind's
:class:`~opsplan.solvers.registry.KindSolvers`.
"""

from __future__ import annotations

import importlib.util

from opsplan.solvers import registry
from opsplan.solvers.result import Params, StopToken


def explain(scenario, params: Params | None = None, time_limit: float = 10.0, stop: StopToken | None = None):  # noqa: ANN001, ANN201
    defaults = registry.kind_solvers(scenario.kind)
    if defaults.explain is None or any(importlib.util.find_spec(m) is None for m in defaults.explain_requires):
        return None
    if stop is not None and stop.is_set():
        return None
    return registry.resolve(defaults.explain)(scenario, params, time_limit, stop)
