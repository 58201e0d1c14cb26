"""One results schema for every batch run (``opsplan batch``, ``opsplan bench``) and its reader
(``opsplan report``): a row per job, the same columns in CSV, Parquet and JSON.

A *job* is one (scenario input, solver, seed) with the run's parameters. Its row says what it
found and why it stopped, kept apart as in :class:`opsplan.solvers.Result`: ``status`` is the
termination (``optimal``, ``feasible``, ``time_limit``, ``infeasible``, ``error``...), ``objective``
and ``bound`` what was found. A job that failed is a row too, with ``status="error"`` and the
message in ``error``. ``progress`` holds the improving solutions as JSON ``[[t, objective,
bound], ...]`` (seconds since the job's start) when the solver reported them.

Only plain data (str, int, float, None) is in a row: rows cross process and machine
boundaries (a process pool, a Dask cluster) and land in any of the three file formats.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

#: the columns, in file order, with their type (for CSV round trips) and meaning
COLUMNS: tuple[tuple[str, type, str], ...] = (
    ("job_id", str, "stable id of the job: hash of input content, solver, seed and parameters (resume key)"),
    ("input", str, "the scenario file (and #instance for a file holding several), as given"),
    ("instance", str, "the scenario's name"),
    ("kind", str, "scenario kind (jobshop, ...)"),
    ("family", str, "benchmark family or format (ft, la, taillard, ...; '' for a planner's own file)"),
    ("solver", str, "solver name as given (cpsat, dispatch:mwkr, race:cpsat+tabu, ...)"),
    ("seed", int, "random seed of the job"),
    ("time_limit", float, "seconds allowed (NaN: none)"),
    ("threads", int, "solver threads (0: the solver's choice)"),
    ("status", str, "why it stopped: optimal, feasible, time_limit, infeasible, error, ..."),
    ("objective", float, "objective of the best schedule found (NaN: none)"),
    ("bound", float, "proved lower bound (NaN: none)"),
    ("gap", float, "(objective - bound) / objective (NaN without both)"),
    ("reference", float, "best known objective from the benchmark's index (NaN: unknown)"),
    ("ref_gap", float, "(objective - reference) / reference (NaN without both)"),
    ("runtime_s", float, "wall-clock seconds of the solve"),
    ("violations", int, "checker violations of the schedule found (-1: no schedule)"),
    ("error", str, "what went wrong ('' when nothing did)"),
    ("host", str, "machine that ran the job"),
    ("worker", str, "process or Dask worker that ran it"),
    ("solver_version", str, "version of the solver's engine (ortools, highspy, onnxruntime, ...)"),
    ("opsplan_version", str, "OpsPlan version"),
    ("progress", str, "JSON [[t_s, objective, bound], ...] of improving solutions ('' when not recorded)"),
    ("schedule_file", str, "where the job's schedule was saved ('' when not saved)"),
    ("finished_at", str, "ISO time the job ended"),
)
NAMES = tuple(c[0] for c in COLUMNS)
_TYPES = {name: typ for name, typ, _ in COLUMNS}
FORMATS = (".csv", ".parquet", ".json")


def empty_row(**values: Any) -> dict[str, Any]:
    """A row with every column at its empty value (NaN, 0, '') and ``values`` set."""
    row: dict[str, Any] = {n: (math.nan if t is float else 0 if t is int else "") for n, t in _TYPES.items()}
    unknown = set(values) - set(row)
    if unknown:
        raise KeyError(f"not result columns: {', '.join(sorted(unknown))}")
    row.update(values)
    return row


def normalise(row: Mapping[str, Any]) -> dict[str, Any]:
    """``row`` with every column present and of its type (strings from a CSV file, None from JSON)."""
    out = empty_row()
    for name, typ in _TYPES.items():
        v = row.get(name)
        if v is None or (isinstance(v, str) and v == "" and typ is not str):
            continue
        try:
            out[name] = typ(v) if typ is not float else float(v)
        except (TypeError, ValueError):
            raise ValueError(f"column {name!r}: {v!r} is not a {typ.__name__}") from None
    return out


def format_of(path: str | Path) -> str:
    """The file format by extension: ``.csv``, ``.parquet`` or ``.json``; a clear error otherwise."""
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise ValueError(f"{path}: results go to a .csv, .parquet or .json file, not {ext or 'no extension'!r}")
    return ext


def write_results(path: str | Path, rows: Iterable[Mapping[str, Any]]) -> Path:
    """Write ``rows`` to ``path`` (format by extension) atomically: a crash leaves the old file."""
    from opsplan.models.io.atomic import atomic_write_bytes

    path = Path(path)
    ext = format_of(path)
    rows = [normalise(r) for r in rows]
    if ext == ".csv":
        import io

        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=NAMES, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()})
        atomic_write_bytes(path, buf.getvalue().encode())
    elif ext == ".json":
        clean = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
                 for r in rows]
        atomic_write_bytes(path, (json.dumps({"columns": list(NAMES), "rows": clean}, indent=1) + "\n").encode())
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({n: [r[n] for r in rows] for n in NAMES})
        tmp = path.with_name(path.name + ".tmp")
        pq.write_table(table, tmp)
        tmp.replace(path)
    return path


def read_results(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a results file written by :func:`write_results` (any of the three formats)."""
    path = Path(path)
    ext = format_of(path)
    if ext == ".csv":
        with path.open(newline="", encoding="utf-8") as f:
            return [normalise(r) for r in csv.DictReader(f)]
    if ext == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = data.get("rows") if isinstance(data, dict) else data
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValueError(f"{path}: not a results file (no 'rows' list of objects)")
        return [normalise(r) for r in rows]
    import pyarrow.parquet as pq

    return [normalise(r) for r in pq.read_table(path).to_pylist()]


__all__ = ["COLUMNS", "FORMATS", "NAMES", "empty_row", "format_of", "normalise", "read_results", "write_results"]
