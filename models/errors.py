"""One error hierarchy for the whole of OpsPlan."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opsplan.models.core import Issue


class OpsPlanError(Exception):
    """Base class of every error OpsPlan raises on purpose."""


class ValidationError(OpsPlanError):
    """A scenario failed validation; carries every issue found, not just the first."""

    def __init__(self, issues: Sequence[Issue], source: str | None = None) -> None:
        self.issues = tuple(issues)
        self.source = source
        head = f"{source}: " if source else ""
        n = len(self.issues)
        lines = [f"{head}{n} validation issue{'s' if n != 1 else ''}"]
        lines += [f"  {issue}" for issue in self.issues[:20]]
        if n > 20:
            lines.append(f"  ... and {n - 20} more")
        super().__init__("\n".join(lines))


class FileFormatError(OpsPlanError):
    """A file could not be read: names the file, where in it, and what is wrong."""

    def __init__(self, path: str, where: str | None, what: str) -> None:
        self.path = str(path)
        self.where = where
        self.what = what
        loc = f" ({where})" if where else ""
        super().__init__(f"{self.path}{loc}: {what}")


class SolverError(OpsPlanError):
    """A solver could not be run (unknown name, not installed, kind not supported)."""
