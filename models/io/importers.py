"""Importing files into a :class:`Document`: the registry of formats, detection and dispatch.

Formats come from the kinds (each :class:`~opsplan.models.kinds.KindDescriptor` lists its
:class:`~opsplan.models.kinds.ImporterSpec`) plus ``opsplan``, the JSON document itself.
Nothing here names a kind.
"""

from __future__ import annotations

import os
from pathlib import Path

from opsplan.models.errors import FileFormatError, OpsPlanError
from opsplan.models.io.document import Document, load
from opsplan.models.io.textfile import Lines
from opsplan.models.kinds import ImporterSpec, descriptors

OPSPLAN = "opsplan"


def import_opsplan(path: Path, *, index: int | None = None, n: int | None = None) -> Document:
    """Read an OpsPlan JSON document (fully checked, see :func:`opsplan.models.io.document.load`)."""
    if index not in (None, 1):
        raise FileFormatError(str(path), None, f"an OpsPlan document holds one scenario; no instance {index}")
    return load(path)


_OPSPLAN_SPEC = ImporterSpec(OPSPLAN, import_opsplan, "OpsPlan JSON document", (".json",))


def importers() -> dict[str, ImporterSpec]:
    """Every import format by name: ``opsplan`` first, then each kind's, in registration order."""
    out = {OPSPLAN: _OPSPLAN_SPEC}
    for d in descriptors():
        for spec in d.importers:
            out.setdefault(spec.name, spec)
    return out


def formats_for(kind: str) -> list[str]:
    """The import formats that read into scenarios of ``kind`` (the GUI's Import menu)."""
    return [spec.name for d in descriptors() if d.kind == kind for spec in d.importers]


def detect_format(path: str | os.PathLike[str]) -> str:
    """Guess the import format of ``path`` from its name, then its content.

    A suffix a format declares decides first (``.json`` -> ``opsplan``, ``.fjs`` -> ``fjs``);
    then a text file starting with ``{`` is a document; then each format's ``sniff`` is asked
    in registration order. Raises FileFormatError when none claims the file.
    """
    p = Path(path)
    specs = importers()
    suffix = p.suffix.lower()
    for spec in specs.values():
        if suffix and suffix in spec.suffixes:
            return spec.name
    if p.is_dir():  # only a format that reads folders (tables as CSV files) can claim one
        for spec in specs.values():
            if spec.sniff is not None and spec.sniff(p):
                return spec.name
        raise FileFormatError(str(p), None, "is a folder of no known layout: name a format that reads folders")
    lines = Lines(p)  # also turns an unreadable file into a FileFormatError naming it
    if lines.items and lines.items[0][1].startswith("{"):
        return OPSPLAN
    for spec in specs.values():
        if spec.sniff is not None and spec.sniff(p):
            return spec.name
    raise lines.fail(None, f"cannot tell the format; pass one of: {', '.join(specs)}")


def import_file(
    path: str | os.PathLike[str],
    fmt: str | None = None,
    *,
    index: int | None = None,
    n: int | None = None,
) -> Document:
    """Import ``path`` in format ``fmt`` (``None`` or ``"auto"``: :func:`detect_format`).

    Parameters
    ----------
    path
        The file to read.
    fmt
        A key of :func:`importers`.
    index
        1-based instance number for files that hold several (``orlib-wt``).
    n
        Jobs per instance for ``orlib-wt`` when the file name does not say.

    Raises
    ------
    FileFormatError
        The file is missing, unreadable or malformed (names file, line and problem).
    ValidationError
        An OpsPlan document whose scenario fails validation.
    OpsPlanError
        ``fmt`` is not a known format.
    """
    p = Path(path)
    if fmt is None or fmt == "auto":
        fmt = detect_format(p)
    specs = importers()
    try:
        spec = specs[fmt]
    except KeyError:
        raise OpsPlanError(f"unknown import format '{fmt}' (known: {', '.join(specs)})") from None
    if index is not None and index < 1:
        raise OpsPlanError(f"instance index is 1-based, got {index}")
    return spec.read(p, index=index, n=n)


__all__ = ["OPSPLAN", "detect_format", "formats_for", "import_file", "import_opsplan", "importers"]
