"""Schedule exporters (JSON, CSV, Excel) and the reader for exported schedules.

Every file is written atomically (:mod:`opsplan.models.io.atomic`).

Exported schedule JSON::

    {"format": "opsplan-schedule", "version": 1, "kind": "jobshop",
     "scenario": "<scenario name>", "name": "<schedule name>",
     "time_unit": "min", "epoch": "2026-12-01T06:00:00" | null,
     "assignments": [{"task", "resource", "start", "end", "category", "amount"?}, ...],
     "extras": {...},
     "kpis": {...}}            # the kind's KPIs (when they can be computed)

CSV / Excel rows: ``task``, the kind's own columns (job shop: ``job``), ``resource, start,
end, duration, category``, ``amount`` when some assignment holds more than 1, and, when the
scenario has an epoch, ``start_time, end_time`` as ISO 8601 date-times.
"""

from __future__ import annotations

import csv
import dataclasses
import enum
import io
import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from opsplan.models.core import MAX_TIME, TimeUnit, capacity_to_json
from opsplan.models.errors import FileFormatError, OpsPlanError
from opsplan.models.io.atomic import atomic_path, atomic_write_text
from opsplan.models.io.document import (
    FORMAT,
    check_envelope,
    check_schema,
    decode_text,
    dump_json_text,
    migrate,
    parse_json,
    read_bytes,
    schedule_from_json_data,
    schedule_to_json,
)
from opsplan.models.kinds import descriptor
from opsplan.models.schedule import Category, Schedule

SCHEDULE_FORMAT = "opsplan-schedule"
SCHEDULE_VERSION = 1
EXPORT_FORMATS = ("json", "csv", "xlsx")
COLUMNS = ("task", "resource", "start", "end", "duration", "category")  # the kind's own columns follow "task"
TIME_COLUMNS = ("start_time", "end_time")


# --------------------------------------------------------------------------- helpers
def _plain(x: Any) -> Any:
    """KPI values as plain JSON data (dataclasses, enums, tuples, numpy scalars)."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: _plain(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, enum.Enum):
        return _plain(x.value)
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, set, frozenset)):
        return [_plain(v) for v in x]
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    if hasattr(x, "item"):  # numpy scalar
        return x.item()
    if hasattr(x, "_asdict"):
        return _plain(x._asdict())
    return str(x)


def schedule_kpis(scenario: Any, schedule: Schedule) -> dict[str, Any] | None:
    """The kind's KPIs of ``schedule`` as plain data, or None when they cannot be computed
    (an incomplete schedule is still exported)."""
    try:
        value = descriptor(scenario).kpis(scenario, schedule)
    except OpsPlanError:
        return None
    plain = _plain(value)
    return plain if isinstance(plain, dict) else {"value": plain}


def epoch_of(scenario: Any) -> datetime | None:
    """The scenario's epoch as a date-time (None without one); an OpsPlanError when it is not ISO 8601."""
    value = getattr(scenario, "epoch", None)
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):  # TypeError: not a string at all
        raise OpsPlanError(f"scenario epoch is not an ISO 8601 instant: {value!r}") from None


def excel_pandas(what: str) -> Any:
    """The pandas module, after checking that openpyxl (its Excel engine) is there too; an
    OpsPlanError saying how to install them otherwise. ``what`` names the feature that needs them."""
    try:
        import openpyxl  # noqa: F401  (pandas' engine; fail early with a clear message)
        import pandas as pd
    except ImportError:
        raise OpsPlanError(
            f"{what} needs pandas and openpyxl: install them with  pip install 'opsplan[excel]'"
        ) from None
    return pd


def _unit_seconds(scenario: Any) -> int:
    return TimeUnit(getattr(scenario, "time_unit", TimeUnit.MINUTE)).seconds


def _has_amounts(schedule: Schedule) -> bool:
    """Whether the ``amount`` column is written: some assignment holds more than 1."""
    return any(a.amount != 1 for a in schedule.assignments)


def schedule_rows(scenario: Any, schedule: Schedule) -> list[dict[str, Any]]:
    """One dict per assignment with the CSV/Excel columns (time columns only with an epoch)."""
    epoch = epoch_of(scenario)
    unit = _unit_seconds(scenario)
    extra = descriptor(scenario).extra_columns
    amounts = _has_amounts(schedule)
    rows = []
    for a in schedule.assignments:
        row: dict[str, Any] = {"task": a.task}
        for name, fn in extra:
            row[name] = fn(scenario, a.task)
        row.update({
            "resource": a.resource,
            "start": a.start,
            "end": a.end,
            "duration": a.end - a.start,
            "category": Category(a.category).value,
        })
        if amounts:
            amount = capacity_to_json(a.amount)
            row["amount"] = amount if isinstance(amount, int) else json.dumps(amount)
        if epoch is not None:
            try:
                row["start_time"] = epoch + timedelta(seconds=a.start * unit)
                row["end_time"] = epoch + timedelta(seconds=a.end * unit)
            except OverflowError:
                raise OpsPlanError(f"{a.task} at {a.start}-{a.end} {scenario.time_unit.value} after the epoch "
                                   f"{epoch.isoformat()} falls outside the calendar (years 1-9999): move the "
                                   "epoch or export without it") from None
        rows.append(row)
    return rows


def _columns(scenario: Any, schedule: Schedule) -> tuple[str, ...]:
    own = tuple(name for name, _ in descriptor(scenario).extra_columns)
    amounts = ("amount",) if _has_amounts(schedule) else ()
    return COLUMNS[:1] + own + COLUMNS[1:] + amounts + (TIME_COLUMNS if epoch_of(scenario) is not None else ())


# --------------------------------------------------------------------------- writers
def schedule_json_dict(scenario: Any, schedule: Schedule) -> dict[str, Any]:
    """The exported-schedule JSON data (see the module docstring)."""
    body = schedule_to_json(schedule)
    data: dict[str, Any] = {
        "format": SCHEDULE_FORMAT,
        "version": SCHEDULE_VERSION,
        "kind": scenario.kind,
        "scenario": scenario.name,
        "name": body["name"],
        "time_unit": TimeUnit(getattr(scenario, "time_unit", TimeUnit.MINUTE)).value,
        "epoch": getattr(scenario, "epoch", None),
        "assignments": body["assignments"],
        "extras": body["extras"],
    }
    kpis = schedule_kpis(scenario, schedule)
    if kpis is not None:
        data["kpis"] = kpis
    return data


def _csv_text(scenario: Any, schedule: Schedule) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(_columns(scenario, schedule)), lineterminator="\n")
    writer.writeheader()
    for row in schedule_rows(scenario, schedule):
        for key in TIME_COLUMNS:
            if key in row:
                row[key] = row[key].isoformat()
        writer.writerow(row)
    return buf.getvalue()


def _write_xlsx(scenario: Any, schedule: Schedule, path: Path) -> None:
    pd = excel_pandas("Excel export")
    rows = schedule_rows(scenario, schedule)
    for row in rows:
        for key in TIME_COLUMNS:
            # Excel has no time zones: keep the wall-clock time of the epoch's offset.
            if key in row and row[key].tzinfo is not None:
                row[key] = row[key].replace(tzinfo=None)
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    for row in rows:  # characters a workbook cannot hold (control codes) become U+FFFD
        for key, v in row.items():
            if isinstance(v, str):
                row[key] = ILLEGAL_CHARACTERS_RE.sub("\ufffd", v)
    frame = pd.DataFrame(rows, columns=list(_columns(scenario, schedule)))
    kpis = schedule_kpis(scenario, schedule)
    with atomic_path(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            frame.to_excel(writer, sheet_name="Schedule", index=False)
            if kpis:
                flat = [{"kpi": k, "value": v if not isinstance(v, (dict, list)) else json.dumps(v)}
                        for k, v in kpis.items()]
                pd.DataFrame(flat, columns=["kpi", "value"]).to_excel(writer, sheet_name="KPIs", index=False)
            hook = descriptor(scenario).export_sheets
            if hook is not None:  # the scenario's own sheets: the workbook imports back as the scenario
                hook(writer, scenario)
            for sheet in writer.sheets.values():  # an id such as "=1+2" is text, never a live formula
                for cells in sheet.iter_rows():
                    for cell in cells:
                        if isinstance(cell.value, str) and cell.value.startswith("="):
                            cell.data_type = "s"


def export_schedule(scenario: Any, schedule: Schedule, path: str | os.PathLike[str], fmt: str | None = None) -> Path:
    """Write ``schedule`` of ``scenario`` to ``path`` atomically.

    Parameters
    ----------
    scenario, schedule
        What to export (the scenario supplies job ids, time unit, epoch and KPIs).
    path
        Target file; missing parent folders are created.
    fmt
        ``"json"``, ``"csv"`` or ``"xlsx"``; None: taken from the file suffix.

    Raises
    ------
    OpsPlanError
        Unknown format, or Excel requested without pandas/openpyxl.
    """
    p = Path(path)
    if fmt is None:
        fmt = p.suffix.lower().lstrip(".")
        if not fmt:
            raise OpsPlanError(f"{p}: cannot tell the export format from a name without an extension; "
                               f"pass one of: {', '.join(EXPORT_FORMATS)}")
    fmt = fmt.lower()
    if fmt == "xls":
        fmt = "xlsx"
    if fmt == "json":
        atomic_write_text(p, dump_json_text(schedule_json_dict(scenario, schedule)))
    elif fmt == "csv":
        atomic_write_text(p, _csv_text(scenario, schedule))
    elif fmt in ("xlsx", "excel"):
        _write_xlsx(scenario, schedule, p)
    else:
        raise OpsPlanError(f"unknown export format '{fmt}' (known: {', '.join(EXPORT_FORMATS)})")
    return p


# --------------------------------------------------------------------------- reading back
_SCHEDULE_KEYS = {
    "format",
    "version",
    "kind",
    "scenario",
    "name",
    "time_unit",
    "epoch",
    "assignments",
    "extras",
    "kpis",
}


def _fail(source: str, where: str, what: str) -> FileFormatError:
    return FileFormatError(source, where, what)


def _count(x: Any) -> bool:
    return not isinstance(x, bool) and isinstance(x, int) and 0 <= x <= MAX_TIME


def _is_amount(x: Any) -> bool:
    return _count(x) or (isinstance(x, dict) and all(isinstance(k, str) and _count(v) for k, v in x.items()))


def _check_assignments(data: dict[str, Any], source: str) -> None:
    assignments = data.get("assignments")
    if not isinstance(assignments, list):
        raise _fail(source, "$.assignments", "expected an array of assignments")
    categories = {c.value for c in Category}
    for i, a in enumerate(assignments):
        p = f"$.assignments[{i}]"
        if not isinstance(a, dict):
            raise _fail(source, p, "expected an object")
        unknown = set(a) - {"task", "resource", "start", "end", "category", "amount"}
        if unknown:
            raise _fail(source, p, f"unknown key(s): {', '.join(sorted(unknown))}")
        for key in ("task", "resource"):
            if not isinstance(a.get(key), str):
                raise _fail(source, f"{p}.{key}", "expected a string" if key in a else f"'{key}' is missing")
        for key in ("start", "end"):
            v = a.get(key)
            if isinstance(v, bool) or not isinstance(v, int):
                raise _fail(source, f"{p}.{key}", "expected an integer" if key in a else f"'{key}' is missing")
            if not -MAX_TIME <= v <= MAX_TIME:
                raise _fail(source, f"{p}.{key}", f"{v} is outside the time range -{MAX_TIME}..{MAX_TIME}")
        if "amount" in a and not _is_amount(a["amount"]):
            raise _fail(source, f"{p}.amount", f"expected a count or an object of counts, got {a['amount']!r}"[:200])
        if "category" in a and (not isinstance(a["category"], str) or a["category"] not in categories):
            raise _fail(source, f"{p}.category", f"{a['category']!r} is not one of {', '.join(sorted(categories))}")
    extras = data.get("extras", {})
    if not isinstance(extras, dict):
        raise _fail(source, "$.extras", "expected an object")
    if "name" in data and not isinstance(data["name"], str):
        raise _fail(source, "$.name", "expected a string")


def schedule_from_json_dict(data: Any, source: str = "<data>", name: str | None = None,
                            scenario: Any = None) -> Schedule:
    """A schedule from exported-schedule data or from a full document (its last schedule, or ``name``).

    With ``scenario``, a schedule of another kind or counted in another time unit (an
    exported schedule's, or a document's scenario's) is refused: its numbers would be
    read in the wrong unit.

    Raises
    ------
    FileFormatError
        Neither form, a document without schedules, or a malformed assignment.
    """
    if isinstance(data, dict) and data.get("format") == FORMAT:
        check_envelope(data, source)
        data = migrate(data)
        check_schema(data, source)
        theirs = data.get("scenario") if isinstance(data.get("scenario"), dict) else {}
        # a document's scenario without a time unit counts in minutes (as the loader reads it)
        _same_frame(source, scenario, data.get("kind"), theirs.get("time_unit", TimeUnit.MINUTE.value),
                    "$.scenario.time_unit")
        schedules = data.get("schedules") or []
        if not schedules:
            raise FileFormatError(source, "$.schedules", "the document holds no schedule")
        if name is not None:
            named = [s for s in schedules if s.get("name") == name]
            if not named:
                have = ", ".join(repr(s.get("name", "")) for s in schedules)
                raise FileFormatError(source, "$.schedules", f"no schedule named {name!r} (have: {have})")
            return schedule_from_json_data(named[-1])
        return schedule_from_json_data(schedules[-1])
    if not isinstance(data, dict):
        raise FileFormatError(source, "$", "expected a JSON object (an exported schedule or an OpsPlan document)")
    if data.get("format") != SCHEDULE_FORMAT:
        raise FileFormatError(
            source,
            "$.format",
            f'expected "{SCHEDULE_FORMAT}" (an exported schedule) or "{FORMAT}" (a document), '
            f"got {data.get('format')!r}",
        )
    version = data.get("version")
    if type(version) is not int or version != SCHEDULE_VERSION:  # not True, not 1.0
        raise FileFormatError(source, "$.version", f"unsupported schedule file version {version!r}")
    unknown = set(data) - _SCHEDULE_KEYS
    if unknown:
        raise FileFormatError(source, "$", f"unknown key(s): {', '.join(sorted(unknown))}")
    _check_assignments(data, source)
    if name is not None and data.get("name") != name:
        raise FileFormatError(source, "$.name", f"no schedule named {name!r} (this file holds {data.get('name')!r})")
    _same_frame(source, scenario, data.get("kind"), data.get("time_unit"), "$.time_unit")
    return schedule_from_json_data(data)


def _same_frame(source: str, scenario: Any, kind: Any, time_unit: Any, where: str) -> None:
    """Refuse a schedule of another kind or time unit than ``scenario`` (None: nothing to compare)."""
    if scenario is None:
        return
    if kind not in (None, scenario.kind):
        raise FileFormatError(source, "$.kind", f"a {kind} schedule, but the scenario is a {scenario.kind}")
    unit = TimeUnit(getattr(scenario, "time_unit", TimeUnit.MINUTE)).value
    if time_unit not in (None, unit):
        raise FileFormatError(source, where, f"the schedule counts time in {time_unit}, the scenario in {unit}")


def schedule_from_json(path: str | os.PathLike[str], name: str | None = None, scenario: Any = None) -> Schedule:
    """Read a schedule back from an exported schedule JSON or an OpsPlan document (last schedule).

    Used by ``opsplan check SCENARIO SCHEDULE``. Raises FileFormatError naming the
    file and the JSON path of any problem.
    """
    source = str(path)
    data = parse_json(decode_text(read_bytes(path), source), source)
    return schedule_from_json_dict(data, source, name, scenario)
