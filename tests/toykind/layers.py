"""The toy kind's registrations, one function per layer; each returns the function that undoes it."""

from __future__ import annotations

from collections.abc import Callable

from tests.toykind.model import DESCRIPTOR, KIND


def register_models() -> Callable[[], None]:
    from opsplan.models.kinds import register_kind, unregister_kind

    register_kind(DESCRIPTOR)
    return lambda: unregister_kind(KIND)


def register_solvers() -> Callable[[], None]:
    from tests.toykind.solvers import register_solvers as register

    return register()


def register_policies() -> Callable[[], None]:
    from tests.toykind.policies import register_policies as register

    return register()


def register_gui() -> Callable[[], None]:
    from tests.app.gui.toykind_gui import register_gui as register

    return register()


REGISTER: dict[str, Callable[[], Callable[[], None]]] = {
    "models": register_models,
    "solvers": register_solvers,
    "policies": register_policies,
    "gui": register_gui,
}
