"""Loading registration modules lazily: the one mechanism every registry (kinds, solvers, policies,
GUI bundles, bench sets) uses to bring in the registrations shipped with OpsPlan."""

from __future__ import annotations

import importlib
import threading


class LazyRegistrations:
    """Imports a registration module once, on the first look-up of the registry that owns it.

    Thread-safe. A look-up made while the module is being imported (by the module itself, as it
    registers) is a no-op, and an import that fails is tried again at the next look-up.
    """

    def __init__(self, module: str) -> None:
        self.module = module
        self._state = "new"  # new -> loading -> loaded
        self._lock = threading.RLock()

    @property
    def loaded(self) -> bool:
        return self._state == "loaded"

    def ensure(self) -> bool:
        """Import the module unless it is imported or being imported; True when this call imported it."""
        if self._state == "loaded":
            return False
        with self._lock:
            if self._state != "new":  # loaded meanwhile, or being loaded by this very thread
                return False
            self._state = "loading"
            try:
                importlib.import_module(self.module)
            except BaseException:
                self._state = "new"
                raise
            self._state = "loaded"
            return True
