"""Infeasibility explained, for any scenario kind that has an explainer.

:func:`explain` returns the :class:`~opsplan.solvers.cpsat.explain.Explanation`
of the kind's explainer (job shop: CP-SAT with one assumption per business
constraint), or ``None`` when the kind has none or its engine is not installed.
"""

from __future__ import annotations

import importlib
import importlib.util

from opsplan.solvers.result import Params, StopToken

# kind -> (module, required top-level package)
_EXPLAINERS = {"jobshop": ("opsplan.solvers.cpsat.explain", "ortools")}


def explain(scenario, params: Params | None = None, time_limit: float = 10.0, stop: StopToken | None = None):  # noqa: ANN001, ANN201
    entry = _EXPLAINERS.get(scenario.kind)
    if entry is None or importlib.util.find_spec(entry[1]) is None:
        return None
    if stop is not None and stop.is_set():
        return None
    module = importlib.import_module(entry[0])
    return module.explain(scenario, params, time_limit, stop)
