"""Registries of the policies layer, filled on first look-up.

The per-kind pieces of learned dispatch — a kind's dispatch environment
(:data:`opsplan.policies.env.ENVIRONMENTS`) and its feature specifications
(:data:`opsplan.policies.features.SPECS`) — are registered by a registration
module, :data:`BUILTIN_REGISTRATIONS`, imported on the first read of either
registry (as :mod:`opsplan.models.kinds` does for the kinds). The generic modules
therefore never import a kind's module; a test or a plug-in registers more kinds
by writing into the registries.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import TypeVar

from opsplan.models.plugins import LazyRegistrations

# the module that registers the kinds shipped with OpsPlan (a registration, not generic code)
BUILTIN_REGISTRATIONS = "opsplan.policies.registrations"

_BUILTIN = LazyRegistrations(BUILTIN_REGISTRATIONS)


def ensure_builtin() -> None:
    """Import :data:`BUILTIN_REGISTRATIONS` once per process (thread-safe; re-entry while loading is a no-op)."""
    _BUILTIN.ensure()


V = TypeVar("V")


class Registry(MutableMapping[str, V]):
    """A ``dict`` of registrations that loads the built-in ones before it is first read.

    Writes (registering, ``monkeypatch.setitem``) do not trigger the load, so a
    registration module can fill it while it is being imported.
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self._data: dict[str, V] = {}

    def __getitem__(self, key: str) -> V:
        ensure_builtin()
        return self._data[key]

    def __setitem__(self, key: str, value: V) -> None:
        self._data[key] = value

    def __delitem__(self, key: str) -> None:
        del self._data[key]

    def __iter__(self) -> Iterator[str]:
        ensure_builtin()
        return iter(list(self._data))

    def __len__(self) -> int:
        ensure_builtin()
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        ensure_builtin()
        return key in self._data

    def __repr__(self) -> str:
        return f"Registry({self.what}: {', '.join(self) or 'empty'})"


__all__ = ["BUILTIN_REGISTRATIONS", "Registry", "ensure_builtin"]
