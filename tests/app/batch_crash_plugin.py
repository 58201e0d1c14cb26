"""A solver registration for tests of ``opsplan batch``: the job-shop solver ``crash`` ends the
process that runs it at once (``os._exit``), as a crash in native code or the OOM killer would.
Registered as a plug-in is (:func:`opsplan.solvers.registry.add_registrations`), so the batch's
worker processes load it too."""

from __future__ import annotations

import os

from opsplan.solvers.registry import Backend, register_family, register_solver

NAME = "crash"


def solve(scenario, params, on_progress, stop, variant=None):  # noqa: ANN001, ANN201 - a backend's signature
    os._exit(13)


register_family(Backend(NAME, description="test only: the process running it dies"))
register_solver(NAME, "jobshop", "tests.app.batch_crash_plugin")
