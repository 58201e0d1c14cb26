"""Job-shop scenarios as tables: one Excel workbook, or a folder of CSV files.

A planner keeps orders, routings, machines and calendars in a spreadsheet; this module reads
them into a :class:`~opsplan.models.jobshop.scenario.JobShopScenario` and writes a scenario
back in the same layout (the bundled ``resources/samples/bakery-jobshop.xlsx`` is one).

Tables: a sheet of the workbook, or ``<table>.csv`` in the folder (``bakery-orders.csv`` works
too). Table names and column headers are matched ignoring case, spaces, ``_`` and ``-``, and a
unit in brackets (``Duration (min)``); a few synonyms are accepted (``jobs`` for ``orders``,
``seq`` for ``step``...). Other sheets, files and columns are ignored (notes, or the
``Schedule`` and ``KPIs`` sheets of an exported schedule).

``machines`` (required)
    ``id``, ``name``, ``capacity`` (default 1).
``calendars``
    ``machine``, ``start``, ``end``, ``reason``: times ``[start, end)`` the machine is unavailable.
``orders`` (required): the jobs
    ``id``, ``name``, ``release`` (default 0), ``due`` (soft), ``deadline`` (hard), ``weight`` (default 1).
``routings`` (required)
    ``job``, ``step``, ``operation``, ``name``, ``machine``, ``duration``: one row per way to run a
    step. A job's steps run in ascending ``step`` order (10, 20, 30 is fine); several rows with the
    same job and step are alternative machines for one operation (a flexible shop). ``operation``
    is the operation's id (default ``<job>.<step>``). Without a ``step`` column every row is a step
    of its own, in row order.
``setups``
    ``machine``, ``from_job``, ``to_job``, ``time``: sequence-dependent setup on ``machine`` when
    ``to_job`` follows ``from_job``; pairs not listed need none.
``scenario``
    ``setting``, ``value`` rows: ``name`` (default: the file or folder name), ``description``,
    ``time_unit`` (s, min, h; default min), ``epoch`` (the date-time of time 0) and ``objective``
    (makespan, total_weighted_tardiness, max_lateness; default makespan).

Times (release, due, deadline, calendar start and end) are whole numbers in the time unit or,
when the scenario has an epoch, dates and date-times (converted with the epoch and the unit).
Durations and setup times are whole numbers (or, in a workbook, ``h:mm`` durations).

Every bad cell is found before anything is built, and one :class:`TableFormatError` (a
:class:`FileFormatError`) names each by sheet (or file), row as the spreadsheet shows it (the
header is row 1) and column. A well-formed scenario then goes through the scenario validation,
whose :class:`~opsplan.models.errors.ValidationError` propagates.

CSV files are read with the standard library (no optional dependency, exact row numbers);
workbooks need pandas and openpyxl (``pip install 'opsplan[excel]'``), imported only when used.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from opsplan.models.core import MAX_TIME, Calendar, Resource, TimeUnit, Window
from opsplan.models.errors import FileFormatError, OpsPlanError, ValidationError
from opsplan.models.io.atomic import atomic_path, atomic_write_text
from opsplan.models.io.document import Document, decode_text, read_bytes
from opsplan.models.io.exporters import epoch_of, excel_pandas
from opsplan.models.io.textfile import INT, NUMBER, name_of
from opsplan.models.jobshop.scenario import Job, JobShopScenario, Mode, Objective, Operation, SetupMatrix
from opsplan.models.jobshop.validate import validate_jobshop

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIX = ".csv"
MAX_LISTED = 20  # problems spelled out in the message; all of them are in TableFormatError.problems


class TableFormatError(FileFormatError):
    """Bad cells in a workbook or a CSV folder, all of them, each naming sheet (or file), row and column.

    ``where`` and the start of the message are the first problem's; ``problems`` holds every
    ``(where, what)`` pair in sheet, row and column order.
    """

    def __init__(self, path: str, problems: Sequence[tuple[str | None, str]]) -> None:
        self.problems = tuple(problems)
        first_where, what = self.problems[0]
        for where, msg in self.problems[1:MAX_LISTED]:
            what += f"\n  also {where}: {msg}" if where else f"\n  also: {msg}"
        if len(self.problems) > MAX_LISTED:
            what += f"\n  ... and {len(self.problems) - MAX_LISTED} more"
        super().__init__(path, first_where, what)


@dataclass(frozen=True)
class _Problem:
    """A problem found while reading, sortable into sheet, row and column order."""

    rank: tuple[int, int, int]  # (table in SPECS order, -1 for the whole input; row; column index)
    where: str | None
    what: str


# --------------------------------------------------------------------------- the layout
def _norm(text: str) -> str:
    """A header or table name as compared: lower case, no unit in brackets, one space between words."""
    text = re.sub(r"[(\[].*?[)\]]", " ", str(text).lower())
    return " ".join(re.sub(r"[\s_\-.:/]+", " ", text).split())


def _unit_in(header: str) -> str | None:
    """The text in brackets of a header (``duration (min)`` -> ``min``), or None."""
    m = re.search(r"[(\[]\s*([^)\]]*?)\s*[)\]]", header)
    return m.group(1).lower() if m else None


@dataclass(frozen=True)
class _Col:
    key: str
    aliases: tuple[str, ...]
    required: bool = False  # the column must be there, and its cells filled (unless ``blank_ok``)
    timed: bool = False  # counts time in the scenario's unit (a unit in its header must agree)
    blank_ok: bool = False


@dataclass(frozen=True)
class _Spec:
    key: str
    aliases: tuple[str, ...]
    columns: tuple[_Col, ...]
    required: bool = False

    def column(self, header: str) -> _Col | None:
        n = _norm(header)
        return next((c for c in self.columns if n == c.key.replace("_", " ") or n in c.aliases), None)


_SCENARIO = _Spec("scenario", ("scenario", "settings"), (
    _Col("setting", ("key", "field", "parameter", "property"), True),
    _Col("value", (), True, blank_ok=True),
))
_MACHINES = _Spec("machines", ("machine", "resources"), (
    _Col("id", ("machine", "machine id", "code"), True),
    _Col("name", ("machine name", "description")),
    _Col("capacity", ()),
), required=True)
_CALENDARS = _Spec("calendars", ("calendar", "downtime", "downtimes", "unavailability", "breaks"), (
    _Col("machine", ("machine id", "resource"), True),
    _Col("start", ("from", "begin"), True, timed=True),
    _Col("end", ("to", "until", "finish"), True, timed=True),
    _Col("reason", ("note", "comment", "description")),
))
_ORDERS = _Spec("orders", ("order", "jobs", "job"), (
    _Col("id", ("order", "order id", "job", "job id"), True),
    _Col("name", ("order name", "job name", "description")),
    _Col("release", ("release date", "release time", "earliest start"), timed=True),
    _Col("due", ("due date", "due time"), timed=True),
    _Col("deadline", ("latest end",), timed=True),
    _Col("weight", ("priority",)),
), required=True)
_ROUTINGS = _Spec("routings", ("routing", "routes", "operations"), (
    _Col("job", ("job id", "order", "order id"), True),
    _Col("step", ("seq", "sequence", "step no", "position")),
    _Col("operation", ("operation id", "op", "op id")),
    _Col("name", ("operation name", "description")),
    _Col("machine", ("machine id", "resource"), True),
    _Col("duration", ("processing time", "process time", "run time"), True, timed=True),
), required=True)
_SETUPS = _Spec("setups", ("setup", "setup times", "setup matrix"), (
    _Col("machine", ("machine id", "resource"), True),
    _Col("from_job", ("from", "from order", "after"), True),
    _Col("to_job", ("to", "to order", "before"), True),
    _Col("time", ("setup", "setup time", "duration"), True, timed=True),
))
# in the order they are read (the scenario's unit and epoch first) and written
SPECS = (_SCENARIO, _MACHINES, _CALENDARS, _ORDERS, _ROUTINGS, _SETUPS)
SETTINGS = ("name", "description", "time_unit", "epoch", "objective")

_UNITS = {
    "s": TimeUnit.SECOND, "sec": TimeUnit.SECOND, "secs": TimeUnit.SECOND, "second": TimeUnit.SECOND,
    "seconds": TimeUnit.SECOND,
    "min": TimeUnit.MINUTE, "mins": TimeUnit.MINUTE, "minute": TimeUnit.MINUTE, "minutes": TimeUnit.MINUTE,
    "m": TimeUnit.MINUTE,
    "h": TimeUnit.HOUR, "hr": TimeUnit.HOUR, "hrs": TimeUnit.HOUR, "hour": TimeUnit.HOUR, "hours": TimeUnit.HOUR,
}


def _spec_of(name: str, *, loose: bool = False) -> _Spec | None:
    """The table a sheet or file name stands for; ``loose`` also takes a prefix (``bakery-orders``)."""
    n = _norm(name)
    for spec in SPECS:
        for alias in (spec.key, *spec.aliases):
            if n == alias or (loose and n.endswith(" " + alias)):
                return spec
    return None


# --------------------------------------------------------------------------- loading grids
@dataclass
class _Grid:
    """One sheet or CSV file: where it came from and its non-empty rows with their spreadsheet numbers."""

    label: str  # "sheet 'orders'" or "file 'orders.csv'"
    name: str
    rows: list[tuple[int, list[Any]]]


def _is_empty(x: Any) -> bool:
    if x is None:
        return True
    if isinstance(x, float) and math.isnan(x):
        return True
    if isinstance(x, str) and not x.strip():
        return True
    return type(x).__name__ == "NaTType"  # pandas' missing date-time


def _plain(x: Any) -> Any:
    """A cell as a plain Python value (None when empty; numpy scalars unwrapped)."""
    if _is_empty(x):
        return None
    if type(x).__module__ == "numpy" and hasattr(x, "item"):
        return x.item()
    return x


def _grid_rows(cells: Iterable[Sequence[Any]]) -> list[tuple[int, list[Any]]]:
    out = []
    for i, row in enumerate(cells):
        values = [_plain(x) for x in row]
        if any(v is not None for v in values):
            out.append((i + 1, values))
    return out


def _sniff_delimiter(text: str) -> str:
    """``,`` unless the header line splits better on ``;`` (Excel in many locales) or a tab."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _read_csv(path: Path) -> _Grid:
    source = str(path)
    data = read_bytes(path)
    try:
        text = decode_text(data, source)
    except FileFormatError as not_utf8:
        try:  # "CSV" as Excel on Windows saves it: Windows-1252, not UTF-8
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise not_utf8 from None
        if "\x00" in text:
            raise not_utf8 from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    try:
        records = list(reader)
    except csv.Error as e:
        raise FileFormatError(source, f"row {reader.line_num}", f"not a valid CSV file: {e}") from None
    return _Grid(f"file '{path.name}'", path.name, _grid_rows(records))


def _read_workbook(path: Path) -> list[_Grid]:
    source = str(path)
    if path.suffix.lower() == ".xls":
        raise FileFormatError(source, None, "an old .xls workbook: save it as .xlsx (Excel Workbook) and import that")
    data = read_bytes(path)  # missing, a folder, unreadable or too large: the error every format gives
    pd = excel_pandas("Excel import")
    try:
        # keep_default_na=False: an order named "NA" or a machine called "None" stays text
        sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, dtype=object, engine="openpyxl",
                               keep_default_na=False)
    except Exception as e:  # noqa: BLE001 - a broken file raises anything from zipfile, XML or openpyxl
        raise FileFormatError(source, None, f"not a readable Excel workbook: {type(e).__name__}: {e}") from None
    return [
        _Grid(f"sheet '{name}'", str(name), _grid_rows(frame.itertuples(index=False, name=None)))
        for name, frame in sheets.items()
    ]


PathArg = str | os.PathLike[str]


@dataclass
class _Source:
    """What a path named: its tables, and what to call things in messages."""

    path: str  # named in every error
    workbook: bool
    default_name: str  # the scenario's name when the tables do not give one
    found: list[str]  # every sheet or CSV file seen (for "missing sheet" messages)
    tables: dict[str, _Grid] = field(default_factory=dict)
    problems: list[_Problem] = field(default_factory=list)

    def put(self, spec: _Spec, grid: _Grid) -> None:
        if spec.key in self.tables:
            self.problems.append(_Problem((-1, 0, 0), None, f"both {self.tables[spec.key].label} and {grid.label} "
                                                             f"hold the {spec.key}: keep one, or rename the other"))
        else:
            self.tables[spec.key] = grid

    def label(self, spec: _Spec) -> str:
        if spec.key in self.tables:
            return self.tables[spec.key].label
        return f"sheet '{spec.key}'" if self.workbook else f"file '{spec.key}.csv'"


def _load(path: PathArg | Sequence[PathArg] | Mapping[str, PathArg]) -> _Source:
    """Read every table that ``path`` names (see :func:`import_jobshop_tables`)."""
    if isinstance(path, Mapping):  # {"orders": "export-2026-05.csv", ...}
        files = {k: Path(v) for k, v in path.items()}
        if not files:
            raise OpsPlanError("no CSV file given")
        folder = _common_folder(list(files.values()))
        src = _Source(str(folder), False, _folder_name(folder), [p.name for p in files.values()])
        for key, p in files.items():
            spec = _spec_of(key)
            if spec is None:
                raise OpsPlanError(f"unknown table '{key}' (known: {', '.join(s.key for s in SPECS)})")
            src.put(spec, _read_csv(p))
        return src
    if not isinstance(path, (str, os.PathLike)):  # CSV files named one by one
        files_list = [Path(p) for p in path]
        if not files_list:
            raise OpsPlanError("no CSV file given")
        folder = _common_folder(files_list)
        src = _Source(str(folder), False, _folder_name(folder), [p.name for p in files_list])
        for p in files_list:
            spec = _spec_of(p.stem, loose=True)
            if spec is None:
                raise FileFormatError(str(p), None, "cannot tell which table this file holds: name it "
                                      + ", ".join(f"{s.key}.csv" for s in SPECS))
            src.put(spec, _read_csv(p))
        return src

    p = Path(path)
    source = str(path)
    if p.suffix.lower() in (*WORKBOOK_SUFFIXES, ".xls"):
        grids = _read_workbook(p)
        src = _Source(source, True, name_of(p), [g.name for g in grids])
        for grid in grids:
            spec = _spec_of(grid.name)
            if spec is not None:
                src.put(spec, grid)
        return src
    folder = p.parent if p.suffix.lower() == CSV_SUFFIX else p
    if not folder.exists() or (p.suffix.lower() == CSV_SUFFIX and not p.exists()):
        raise FileFormatError(source, None, "file not found")
    if not folder.is_dir():
        raise FileFormatError(source, None, "neither an Excel workbook (.xlsx) nor a folder of CSV files")
    try:
        csvs = sorted(q for q in folder.iterdir() if q.suffix.lower() == CSV_SUFFIX and q.is_file())
    except OSError as e:
        raise FileFormatError(source, None, f"cannot list the folder: {e.strerror or e}") from None
    exact: dict[str, list[Path]] = {}
    loose: dict[str, list[Path]] = {}
    for q in csvs:
        if (spec := _spec_of(q.stem)) is not None:
            exact.setdefault(spec.key, []).append(q)
        elif (spec := _spec_of(q.stem, loose=True)) is not None:
            loose.setdefault(spec.key, []).append(q)
    src = _Source(source, False, _folder_name(folder), [q.name for q in csvs])
    for spec in SPECS:  # orders.csv wins over bakery-orders.csv; two of a kind are a problem
        for q in exact.get(spec.key) or loose.get(spec.key, []):
            src.put(spec, _read_csv(q))
    return src


def _common_folder(paths: list[Path]) -> Path:
    try:
        return Path(os.path.commonpath([os.path.abspath(p.parent) for p in paths]))
    except ValueError:  # different drives
        return paths[0].parent


def _folder_name(p: Path) -> str:
    return os.fsencode(Path(os.path.abspath(p)).name).decode("utf-8", "replace") or "scenario"


# --------------------------------------------------------------------------- cell values
class _Bad(Exception):
    """One bad cell: the message says what is wrong (the caller knows where)."""


_WHOLE_FLOAT = re.compile(r"[+-]?[0-9]+\.0*\Z")
_DATE_LIKE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _show(x: Any) -> str:
    if isinstance(x, str):
        return repr(x if len(x) <= 40 else x[:40] + "...")
    if isinstance(x, bool):
        return "TRUE" if x else "FALSE"
    if isinstance(x, datetime):
        return x.isoformat(sep=" ")
    return str(x)


def _whole(x: Any, what: str) -> int:
    """A whole number from a cell: an int, an integral float, or text such as ``12`` or ``12.0``."""
    if isinstance(x, bool):
        raise _Bad(f"expected a whole number, got {_show(x)}")
    if isinstance(x, int):
        return x
    if isinstance(x, float):
        if not math.isfinite(x):
            raise _Bad(f"expected a whole number, got {x}")
        if x != int(x):
            raise _Bad(f"{what} {x} is not a whole number")
        return int(x)
    if isinstance(x, str):
        s = x.strip()
        if INT.match(s):
            if len(s) > 30:
                raise _Bad(f"{what} {s[:20]}... is beyond the largest value {MAX_TIME}")
            return int(s)
        if _WHOLE_FLOAT.match(s):
            return int(s.split(".")[0])
        if NUMBER.match(s):
            raise _Bad(f"{what} {s} is not a whole number")
        raise _Bad(f"{what} {_show(x)} is not a number")
    if isinstance(x, (datetime, date, time, timedelta)):
        raise _Bad(f"{what} must be a whole number, got the date or time {_show(x)}")
    raise _Bad(f"{what} {_show(x)} is not a number")


def _bounded(v: int, what: str, minimum: int | None) -> int:
    if minimum is not None and v < minimum:
        if minimum == 0:
            raise _Bad(f"negative {what} {v}")
        raise _Bad(f"{what} must be at least {minimum}, got {v}")
    if abs(v) > MAX_TIME:
        raise _Bad(f"{what} {v} is beyond the largest value {MAX_TIME}")
    return v


def _ident(x: Any) -> str:
    if isinstance(x, bool) or isinstance(x, (datetime, date, time, timedelta)):
        raise _Bad(f"expected an id, got {_show(x)}")
    if isinstance(x, float) and math.isfinite(x) and x == int(x):
        return str(int(x))
    return str(x).strip()


def _text(x: Any) -> str:
    if isinstance(x, float) and math.isfinite(x) and x == int(x):
        return str(int(x))
    if isinstance(x, datetime):
        return x.isoformat(sep=" ")
    return str(x)


@dataclass
class _Clock:
    """Turns time cells into integers: numbers as they are, dates through the epoch and the unit."""

    unit: TimeUnit = TimeUnit.MINUTE
    epoch: datetime | None = None
    epoch_bad: bool = False
    scenario_label: str = "sheet 'scenario'"

    def time(self, x: Any, what: str) -> int:
        if isinstance(x, time) and not isinstance(x, datetime):
            raise _Bad(f"{what} {x.isoformat()} is a time of day without a date: give a date and time, "
                       f"or a number of {self.unit.value}")
        when = self._date(x)
        if when is None:
            try:
                return _bounded(_whole(x, what), what, 0)
            except _Bad as e:
                if self.epoch is not None and isinstance(x, str) and "not a number" in str(e):
                    raise _Bad(f"{what} {_show(x)} is neither a number nor a date "
                               f"(such as 2026-12-02 06:30)") from None
                raise
        if self.epoch is None:
            if self.epoch_bad:
                raise _Bad(f"{what} is a date, but the epoch in {self.scenario_label} is not valid")
            raise _Bad(f"{what} is a date ({_show(when)}), but the scenario has no epoch: add the setting "
                       f"'epoch' (the date-time of time 0) to {self.scenario_label}, or give the time as "
                       f"a number of {self.unit.value}")
        epoch = self.epoch
        if (when.tzinfo is None) != (epoch.tzinfo is None):
            if when.tzinfo is not None:
                raise _Bad(f"{what} {_show(when)} has a time zone, the epoch {epoch.isoformat()} has none")
            when = when.replace(tzinfo=epoch.tzinfo)  # a workbook has no time zones: the epoch's wall clock
        delta = when - epoch
        if delta < timedelta(0):
            raise _Bad(f"{what} {_show(x)} is before the epoch {epoch.isoformat(sep=' ')}")
        units = self._units(delta)
        if units is None:
            raise _Bad(f"{what} {_show(x)} is not a whole number of {self.unit.value} after the epoch")
        return _bounded(units, what, 0)

    def duration(self, x: Any, what: str) -> int:
        if isinstance(x, (timedelta, time)) and not isinstance(x, datetime):
            # a workbook cell formatted h:mm holds a time of day or a duration
            if isinstance(x, time):
                x = timedelta(hours=x.hour, minutes=x.minute, seconds=x.second, microseconds=x.microsecond)
            units = self._units(x)
            if units is None:
                raise _Bad(f"{what} {x} is not a whole number of {self.unit.value}")
            return _bounded(units, what, 0)
        if isinstance(x, (datetime, date)) or (isinstance(x, str) and _DATE_LIKE.match(x.strip())):
            raise _Bad(f"{what} must be a number of {self.unit.value}, got the date {_show(x)}")
        return _bounded(_whole(x, what), what, 0)

    def _units(self, delta: timedelta) -> int | None:
        """``delta`` in whole time units; None when it is not a whole number of them."""
        units, rest = divmod(delta, timedelta(seconds=self.unit.seconds))
        return None if rest else units

    @staticmethod
    def _date(x: Any) -> datetime | None:
        if isinstance(x, datetime):
            return x
        if isinstance(x, date):
            return datetime.combine(x, time())
        if isinstance(x, str) and _DATE_LIKE.match(x.strip()):
            try:
                return datetime.fromisoformat(x.strip())
            except ValueError:
                raise _Bad(f"{_show(x)} is not a date (write dates as 2026-12-02 or 2026-12-02 06:30)") from None
        return None


def _time_unit(x: Any) -> TimeUnit:
    unit = _UNITS.get(_norm(str(x)))
    if unit is None:
        raise _Bad(f"unknown time unit {_show(x)} (use s, min or h)")
    return unit


def _objective(x: Any) -> Objective:
    key = _norm(str(x)).replace(" ", "_")
    try:
        return Objective(key)
    except ValueError:
        raise _Bad(f"unknown objective {_show(x)} (use {', '.join(o.value for o in Objective)})") from None


def _epoch(x: Any) -> str:
    if isinstance(x, datetime):
        return x.isoformat()
    if isinstance(x, date):
        return datetime.combine(x, time()).isoformat()
    s = str(x).strip()
    try:
        datetime.fromisoformat(s)
    except ValueError:
        raise _Bad(f"epoch {_show(x)} is not a date-time (write it as 2026-12-01T22:00:00)") from None
    return s


# --------------------------------------------------------------------------- reading tables
_BAD = object()  # a cell that gave a problem: its row is not built


@dataclass
class _Table:
    """A grid read as one table: the header's columns and the data rows."""

    spec: _Spec
    grid: _Grid
    problems: list[_Problem]
    clock: _Clock
    cols: dict[str, tuple[int, str]] = field(default_factory=dict)  # column key -> (index, header text)
    header_row: int = 0
    data: list[tuple[int, list[Any]]] = field(default_factory=list)
    usable: bool = True

    def read_header(self) -> None:
        if not self.grid.rows:
            if self.spec.required:
                self.fail(0, -1, None, f"{self.grid.label} is empty: expected a header row with the columns "
                          + ", ".join(c.key for c in self.spec.columns))
                self.usable = False
            return
        self.header_row, cells = self.grid.rows[0]
        self.data = self.grid.rows[1:]
        for i, cell in enumerate(cells):
            if cell is None:
                continue
            header = str(cell).strip()
            col = self.spec.column(header)
            if col is None:
                continue  # a planner's own column (notes, costs): not ours
            if col.key in self.cols:
                self.fail(self.header_row, i, self._where(self.header_row, header),
                          f"column '{header}' repeats column '{self.cols[col.key][1]}'")
                continue
            self.cols[col.key] = (i, header)
            unit = _unit_in(header)
            if col.timed and unit is not None and unit in _UNITS and _UNITS[unit] != self.clock.unit:
                self.fail(self.header_row, i, self._where(self.header_row, header),
                          f"the header counts in {_UNITS[unit].value} but the scenario counts time in "
                          f"{self.clock.unit.value} (set 'time_unit' in sheet 'scenario')")
        missing = [c.key for c in self.spec.columns if c.required and c.key not in self.cols]
        if missing:
            found = ", ".join(repr(str(c).strip()) for c in cells if c is not None) or "nothing"
            names = ", ".join(f"'{m}'" for m in missing)
            self.fail(self.header_row, -1, f"{self.grid.label}, row {self.header_row}",
                      f"missing column{'s' if len(missing) > 1 else ''} {names} (the header row has {found})")
            self.usable = False

    def fail(self, row: int, col: int, where: str | None, what: str) -> None:
        self.problems.append(_Problem((SPECS.index(self.spec), row, col), where, what))

    def bad(self, row: int, key: str, what: str) -> None:
        """A problem with the cell of column ``key`` in ``row``."""
        self.fail(row, self.cols[key][0] if key in self.cols else -1, self.where(row, key), what)

    def _where(self, row: int, header: str) -> str:
        return f"{self.grid.label}, row {row}, column '{header}'"

    def where(self, row: int, key: str) -> str:
        return self._where(row, self.cols[key][1]) if key in self.cols else f"{self.grid.label}, row {row}"

    def has(self, key: str) -> bool:
        return key in self.cols

    def cell(self, cells: list[Any], key: str) -> Any:
        """The raw value of column ``key`` in a row (None: empty, or no such column)."""
        if key not in self.cols:
            return None
        i = self.cols[key][0]
        return cells[i] if i < len(cells) else None

    def get(self, row: int, cells: list[Any], key: str, parse: Callable[[Any], Any], default: Any = None) -> Any:
        """The parsed cell ``key`` of a row; ``default`` when the column or the value is missing
        (a required column's empty cell is a problem); ``_BAD`` after recording a problem."""
        if key not in self.cols:
            return default
        header = self.cols[key][1]
        x = self.cell(cells, key)
        if x is None:
            col = next(c for c in self.spec.columns if c.key == key)
            if col.required and not col.blank_ok:
                self.bad(row, key, f"'{header}' is empty")
                return _BAD
            return default
        try:
            return parse(x)
        except _Bad as e:
            self.bad(row, key, str(e))
            return _BAD


def _ok(*values: Any) -> bool:
    return all(v is not _BAD for v in values)


@dataclass
class _Settings:
    name: str | None = None
    description: str = ""
    time_unit: TimeUnit = TimeUnit.MINUTE
    epoch: str | None = None
    objective: Objective = Objective.MAKESPAN


def _read_settings(grid: _Grid | None, problems: list[_Problem], clock: _Clock) -> _Settings:
    out = _Settings()
    if grid is None or not grid.rows:
        return out
    first = grid.rows[0][1]
    headerless = first and first[0] is not None and _norm(str(first[0])).replace(" ", "_") in SETTINGS
    table = _Table(_SCENARIO, grid, problems, clock)
    if headerless:  # "name | Bakery night shift" from the first row: a plain two-column list
        table.cols = {"setting": (0, "A"), "value": (1, "B")}
        table.data = grid.rows
    else:
        table.read_header()
        if not table.usable:
            return out
    seen: dict[str, int] = {}
    for row, cells in table.data:
        key = table.get(row, cells, "setting", lambda x: _norm(str(x)).replace(" ", "_"))
        if key is None or key is _BAD:
            continue
        if key not in SETTINGS:
            table.bad(row, "setting", f"unknown setting {_show(cells[table.cols['setting'][0]])} "
                                                    f"(known: {', '.join(SETTINGS)})")
            continue
        if key in seen:
            table.bad(row, "setting", f"setting '{key}' is given twice (first on row {seen[key]})")
            continue
        seen[key] = row
        parse = {"name": _text, "description": _text, "time_unit": _time_unit, "epoch": _epoch,
                 "objective": _objective}[key]
        value = table.get(row, cells, "value", parse)
        if value is _BAD:
            if key == "epoch":
                clock.epoch_bad = True
            continue
        if value is not None:
            setattr(out, key, value)
    clock.unit = out.time_unit
    if out.epoch is not None:
        clock.epoch = datetime.fromisoformat(out.epoch)
    return out


@dataclass
class _Step:
    """One step of a job's route, gathered from its routing rows (one row per mode)."""

    row: int
    op_id: str | None = None
    op_row: int = 0
    name: str = ""
    name_row: int = 0
    modes: list[Mode] = field(default_factory=list)
    machines: dict[str, int] = field(default_factory=dict)  # machine -> its row


class _Builder:
    """Reads the tables in order, recording every problem, and builds the scenario when there is none."""

    def __init__(self, src: _Source) -> None:
        self.src = src
        self.problems = src.problems
        self.clock = _Clock(scenario_label=src.label(_SCENARIO))
        self.settings = _read_settings(src.tables.get(_SCENARIO.key), self.problems, self.clock)
        missing = [s.key for s in SPECS if s.required and s.key not in src.tables]
        if missing:
            plural = "s" if len(missing) > 1 else ""
            have = ", ".join(f"'{g}'" for g in src.found) or "none"
            if src.workbook:
                what = f"missing sheet{plural} " + ", ".join(f"'{m}'" for m in missing) + f" (the workbook has {have})"
            else:
                what = f"missing file{plural} " + ", ".join(f"'{m}.csv'" for m in missing) + f" (found {have})"
            self.problems.append(_Problem((-1, 0, 0), None, what))
        self.tables: dict[str, _Table] = {}
        for spec in SPECS[1:]:
            if spec.key in src.tables:
                t = _Table(spec, src.tables[spec.key], self.problems, self.clock)
                t.read_header()
                self.tables[spec.key] = t
        self.machines: dict[str, Resource] = {}
        self.machine_rows: dict[str, int] = {}
        self.windows: dict[str, list[Window]] = {}
        self.orders: dict[str, dict[str, Any]] = {}  # order id -> its values, in row order
        self.order_rows: dict[str, int] = {}
        self.steps: dict[str, dict[int, _Step]] = {}
        self.routed: set[str] = set()  # orders with at least one routing row
        self.setups: dict[str, dict[tuple[str, str], tuple[int, int]]] = {}

    def rows(self, spec: _Spec) -> tuple[_Table | None, list[tuple[int, list[Any]]]]:
        t = self.tables.get(spec.key)
        return t, (t.data if t is not None and t.usable else [])

    def usable(self, spec: _Spec) -> bool:
        t = self.tables.get(spec.key)
        return t is not None and t.usable

    def known_machine(self, t: _Table, row: int, mid: Any) -> bool:
        """False (with a problem if it is a name nobody knows) unless ``mid`` names a machine."""
        if mid is _BAD or mid is None:
            return False
        if self.usable(_MACHINES) and mid not in self.machine_rows:
            t.bad(row, "machine", f"unknown machine '{mid}' (not in {self.tables['machines'].grid.label})")
            return False
        return True

    def known_order(self, t: _Table, row: int, key: str, jid: Any) -> bool:
        if jid is _BAD or jid is None:
            return False
        if self.usable(_ORDERS) and jid not in self.order_rows:
            t.bad(row, key, f"unknown order '{jid}' (not in {self.tables['orders'].grid.label})")
            return False
        return True

    @staticmethod
    def first_row(t: _Table, row: int, word: str, ident: str, rows: dict[str, int]) -> bool:
        """Record that ``ident`` (a machine or an order id) is on ``row``; False, with a problem,
        when an earlier row already holds it."""
        if ident in rows:
            t.bad(row, "id", f"{word} '{ident}' is listed twice (first on row {rows[ident]})")
            return False
        rows[ident] = row
        return True

    # -- one method per table, in reading order -------------------------------------------------
    def read_machines(self) -> None:
        t, rows = self.rows(_MACHINES)
        for row, cells in rows:
            assert t is not None
            mid = t.get(row, cells, "id", _ident)
            name = t.get(row, cells, "name", _text, "")
            cap = t.get(row, cells, "capacity", lambda x: _bounded(_whole(x, "capacity"), "capacity", 1), 1)
            if mid is _BAD or not self.first_row(t, row, "machine", mid, self.machine_rows):
                continue
            if _ok(name, cap):
                self.machines[mid] = Resource(mid, name, cap)

    def read_calendars(self) -> None:
        t, rows = self.rows(_CALENDARS)
        clock = self.clock
        for row, cells in rows:
            assert t is not None
            mid = t.get(row, cells, "machine", _ident)
            start = t.get(row, cells, "start", lambda x: clock.time(x, "start"))
            end = t.get(row, cells, "end", lambda x: clock.time(x, "end"))
            reason = t.get(row, cells, "reason", _text, "")
            known = self.known_machine(t, row, mid)
            if _ok(start, end) and end <= start:
                t.bad(row, "end", f"end {end} is not after start {start}")
            elif known and _ok(start, end, reason):
                self.windows.setdefault(mid, []).append(Window(start, end, reason))

    def read_orders(self) -> None:
        t, rows = self.rows(_ORDERS)
        clock = self.clock
        for row, cells in rows:
            assert t is not None
            jid = t.get(row, cells, "id", _ident)
            values = {
                "name": t.get(row, cells, "name", _text, ""),
                "release": t.get(row, cells, "release", lambda x: clock.time(x, "release"), 0),
                "due": t.get(row, cells, "due", lambda x: clock.time(x, "due date")),
                "deadline": t.get(row, cells, "deadline", lambda x: clock.time(x, "deadline")),
                "weight": t.get(row, cells, "weight", lambda x: _bounded(_whole(x, "weight"), "weight", 0), 1),
            }
            if jid is not _BAD and self.first_row(t, row, "order", jid, self.order_rows):
                self.orders[jid] = values

    def read_routings(self) -> None:
        t, rows = self.rows(_ROUTINGS)
        if t is None:
            return
        clock = self.clock
        counts: dict[str, int] = {}  # without a step column: each row is the job's next step
        for row, cells in rows:
            jid = t.get(row, cells, "job", _ident)
            if t.has("step"):
                step_no = t.get(row, cells, "step", lambda x: _bounded(_whole(x, "step"), "step", None), _BAD)
                if step_no is _BAD and t.cell(cells, "step") is None:
                    t.bad(row, "step", f"'{t.cols['step'][1]}' is empty")
            elif isinstance(jid, str):
                step_no = counts[jid] = counts.get(jid, 0) + 1
            else:
                step_no = _BAD
            op = t.get(row, cells, "operation", _ident)
            name = t.get(row, cells, "name", _text, "")
            mid = t.get(row, cells, "machine", _ident)
            dur = t.get(row, cells, "duration", lambda x: clock.duration(x, "duration"))
            if not self.known_order(t, row, "job", jid):
                self.known_machine(t, row, mid)
                continue
            self.routed.add(jid)
            if step_no is _BAD:
                self.known_machine(t, row, mid)
                continue
            st = self.steps.setdefault(jid, {}).setdefault(step_no, _Step(row))
            if op not in (None, _BAD):
                if st.op_id is None:
                    st.op_id, st.op_row = op, row
                elif op != st.op_id:
                    t.bad(row, "operation", f"step {step_no} of order '{jid}' is operation "
                                                      f"'{st.op_id}' (row {st.op_row}): the rows of one step "
                                                      "name one operation")
            if name not in ("", _BAD):
                if not st.name:
                    st.name, st.name_row = name, row
                elif name != st.name:
                    t.bad(row, "name", f"step {step_no} of order '{jid}' is named {_show(st.name)} "
                                                 f"(row {st.name_row}): the rows of one step share one name")
            if not self.known_machine(t, row, mid):
                continue
            if mid in st.machines:
                t.bad(row, "machine", f"machine '{mid}' is listed twice for step {step_no} of order "
                                                f"'{jid}' (first on row {st.machines[mid]})")
                continue
            st.machines[mid] = row
            if dur is not _BAD:
                st.modes.append(Mode(mid, dur))
        self._operation_ids(t)
        orders = self.tables.get(_ORDERS.key)
        if t.usable and orders is not None:
            for jid, row in self.order_rows.items():
                if jid not in self.routed:
                    orders.bad(row, "id", f"order '{jid}' has no row in {t.grid.label}")

    def _operation_ids(self, t: _Table) -> None:
        """Give default ids (``<job>.<step>``) and check that no id names two steps: ids name the
        tasks of every schedule."""
        owner: dict[str, tuple[str, int, int]] = {}
        for jid, by_step in self.steps.items():
            for step_no, st in by_step.items():
                explicit = st.op_id is not None
                oid = st.op_id if st.op_id is not None else f"{jid}.{step_no}"
                st.op_id = oid
                if oid not in owner:
                    owner[oid] = (jid, step_no, st.op_row if explicit else st.row)
                    continue
                other_job, other_step, other_row = owner[oid]
                what = f"operation '{oid}' is already step {other_step} of order '{other_job}' (row {other_row})"
                if explicit:
                    t.bad(st.op_row, "operation", what)
                else:
                    t.bad(st.row, "step", what + ": give this step an operation id")

    def read_setups(self) -> None:
        t, rows = self.rows(_SETUPS)
        for row, cells in rows:
            assert t is not None
            mid = t.get(row, cells, "machine", _ident)
            a = t.get(row, cells, "from_job", _ident)
            b = t.get(row, cells, "to_job", _ident)
            v = t.get(row, cells, "time", lambda x: self.clock.duration(x, "setup time"))
            ok = self.known_machine(t, row, mid)
            ok = self.known_order(t, row, "from_job", a) and ok
            ok = self.known_order(t, row, "to_job", b) and ok
            if not ok or v is _BAD:
                continue
            entries = self.setups.setdefault(mid, {})
            if (a, b) in entries:
                t.bad(row, "to_job", f"the setup from '{a}' to '{b}' on '{mid}' is listed twice "
                                               f"(first on row {entries[(a, b)][1]})")
                continue
            entries[(a, b)] = (v, row)

    # -- the scenario ---------------------------------------------------------------------------
    def scenario(self) -> JobShopScenario:
        self.read_machines()
        self.read_calendars()
        self.read_orders()
        self.read_routings()
        self.read_setups()
        if self.problems:
            ordered = sorted(self.problems, key=lambda p: p.rank)  # sheet, row, column: as a planner reads
            raise TableFormatError(self.src.path, [(p.where, p.what) for p in ordered])
        jobs = []
        for jid, v in self.orders.items():
            by_step = self.steps[jid]
            ops = tuple(Operation(by_step[s].op_id or "", tuple(by_step[s].modes), by_step[s].name)
                        for s in sorted(by_step))
            jobs.append(Job(jid, ops, release=v["release"], due=v["due"], weight=v["weight"], name=v["name"],
                            deadline=v["deadline"]))
        setups = []
        for mid, entries in self.setups.items():
            # a matrix over the jobs in the order the rows first name them; pairs not given need none
            order: dict[str, None] = {}
            for a, b in entries:
                order.setdefault(a)
                order.setdefault(b)
            ids = tuple(order)
            matrix = tuple(tuple(entries[(a, b)][0] if (a, b) in entries else 0 for b in ids) for a in ids)
            setups.append(SetupMatrix(mid, ids, matrix))
        s = self.settings
        return JobShopScenario(
            name=s.name or self.src.default_name,
            machines=tuple(Resource(m.id, m.name, m.capacity, Calendar(tuple(self.windows.get(m.id, ()))))
                           for m in self.machines.values()),
            jobs=tuple(jobs),
            objective=s.objective,
            setups=tuple(setups),
            time_unit=s.time_unit,
            epoch=s.epoch,
            description=s.description,
        )


def _read(path: PathArg | Sequence[PathArg] | Mapping[str, PathArg]) -> tuple[str, JobShopScenario]:
    src = _load(path)
    return src.path, _Builder(src).scenario()


def looks_like_tables(path: PathArg) -> bool:
    """True for a folder (or a CSV file in one) that holds CSV files for the orders and the routings:
    a cheap test an importer registry may use to recognise a folder of job-shop tables."""
    p = Path(path)
    folder = p.parent if p.suffix.lower() == CSV_SUFFIX else p
    try:
        stems = [q.stem for q in folder.iterdir() if q.suffix.lower() == CSV_SUFFIX]
    except OSError:
        return False
    tables = {spec.key for stem in stems if (spec := _spec_of(stem, loose=True)) is not None}
    return {_ORDERS.key, _ROUTINGS.key} <= tables


def import_jobshop_tables(
    path: PathArg | Sequence[PathArg] | Mapping[str, PathArg],
    *,
    index: int | None = None,
    n: int | None = None,
) -> Document:
    """Read a job-shop scenario from an Excel workbook or from CSV files.

    Parameters
    ----------
    path
        An ``.xlsx`` workbook; a folder of CSV files; one CSV file of that folder (meaning the
        folder); CSV files named one by one (a list, each file's name saying its table, such as
        ``orders.csv`` or ``bakery-orders.csv``); or a mapping ``{table: file}``.
    index
        The importer registry's instance number: a workbook holds one scenario, so None or 1.
    n
        Unused (part of the importer signature).

    Returns
    -------
    Document
        The scenario, without schedules.

    Raises
    ------
    TableFormatError
        Bad cells, missing sheets or columns: every one, each naming sheet (or file), row and column.
    FileFormatError
        The file or folder cannot be read at all.
    ValidationError
        The tables are well-formed but the scenario is not usable (every issue).
    OpsPlanError
        A workbook without pandas and openpyxl installed.
    """
    if index not in (None, 1):
        where = str(path) if isinstance(path, (str, os.PathLike)) else "tables"
        raise FileFormatError(where, None, f"a workbook or CSV folder holds one scenario; no instance {index}")
    source, scenario = _read(path)
    issues = validate_jobshop(scenario)
    if issues:
        raise ValidationError(issues, source=source)
    return Document(scenario)


# --------------------------------------------------------------------------- writing
def scenario_tables(scenario: JobShopScenario, *, dates: bool | None = None
                    ) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """The scenario as tables: ``{table: (headers, rows)}`` in the layout :func:`import_jobshop_tables` reads.

    Parameters
    ----------
    scenario
        The job-shop scenario.
    dates
        Write release, due, deadline and calendar times as date-times (needs an epoch). None: when
        the scenario has an epoch and every time falls within the calendar (years 1-9999).

    Every operation is written with its id and every setup matrix in full (zeros too), so that
    reading the tables back gives an equal scenario.
    """
    unit = TimeUnit(scenario.time_unit)
    epoch = epoch_of(scenario)
    if dates and epoch is None:
        raise OpsPlanError("dates need the scenario's epoch (the date-time of time 0)")

    def stamp(t: int) -> datetime:
        assert epoch is not None
        # Excel has no time zones: the wall clock of the epoch's offset (as the schedule export writes)
        return (epoch + timedelta(seconds=t * unit.seconds)).replace(tzinfo=None)

    use_dates = epoch is not None and dates is not False
    if use_dates:
        times = [t for m in scenario.machines for w in m.calendar.windows for t in (w.start, w.end)]
        times += [t for j in scenario.jobs for t in (j.release, j.due, j.deadline) if t is not None]
        try:
            for t in times:
                stamp(t)
        except OverflowError:
            if dates:
                raise OpsPlanError("a time falls outside the calendar (years 1-9999) after the epoch: "
                                   "write numbers instead of dates") from None
            use_dates = False

    def when(t: int | None) -> Any:
        return None if t is None else stamp(t) if use_dates else t

    u = f" ({unit.value})"
    tu = "" if use_dates else u
    out: dict[str, tuple[list[str], list[list[Any]]]] = {}
    out["scenario"] = (["setting", "value"], [
        ["name", scenario.name],
        ["description", scenario.description],
        ["time_unit", unit.value],
        ["epoch", scenario.epoch],
        ["objective", Objective(scenario.objective).value],
    ])
    out["machines"] = (["id", "name", "capacity"], [[m.id, m.name, m.capacity] for m in scenario.machines])
    out["calendars"] = (["machine", "start" + tu, "end" + tu, "reason"], [
        [m.id, when(w.start), when(w.end), w.reason] for m in scenario.machines for w in m.calendar.windows
    ])
    out["orders"] = (["id", "name", "release" + tu, "due" + tu, "deadline" + tu, "weight"], [
        [j.id, j.name, when(j.release), when(j.due), when(j.deadline), j.weight] for j in scenario.jobs
    ])
    out["routings"] = (["job", "step", "operation", "name", "machine", "duration" + u], [
        [j.id, k + 1, op.id, op.name, mode.resource, mode.duration]
        for j in scenario.jobs for k, op in enumerate(j.operations) for mode in op.modes
    ])
    out["setups"] = (["machine", "from_job", "to_job", "time" + u], [
        [s.machine, a, b, s.matrix[i][k]]
        for s in scenario.setups for i, a in enumerate(s.jobs) for k, b in enumerate(s.jobs)
    ])
    for _, rows in out.values():  # empty text is an empty cell (read back as "")
        for row in rows:
            for i, v in enumerate(row):
                if v == "":
                    row[i] = None
    return out


def write_scenario_sheets(writer: Any, scenario: JobShopScenario, *, dates: bool | None = None) -> None:
    """Add the scenario's sheets to an open ``pandas.ExcelWriter`` (openpyxl engine).

    The hook for the schedule export: an exported workbook that also holds these sheets imports
    back to the same scenario with :func:`import_jobshop_tables` (its other sheets are ignored).
    """
    pd = excel_pandas("Excel export")
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    for name, (headers, rows) in scenario_tables(scenario, dates=dates).items():
        clean = [[ILLEGAL_CHARACTERS_RE.sub("\ufffd", v) if isinstance(v, str) else v for v in row] for row in rows]
        pd.DataFrame(clean, columns=headers, dtype=object).to_excel(writer, sheet_name=name, index=False)
        sheet = writer.sheets[name]
        sheet.freeze_panes = "A2"
        for k, header in enumerate(headers):
            values = [header, *(row[k] for row in clean)]
            width = max(len(v.isoformat(sep=" ")) if isinstance(v, datetime) else len(str(v))
                        for v in values if v is not None)
            sheet.column_dimensions[get_column_letter(k + 1)].width = min(60, width + 2)
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                v = cell.value
                if isinstance(v, datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm:ss" if v.second else "yyyy-mm-dd hh:mm"
                elif isinstance(v, str):
                    if v.startswith("="):  # an id such as "=1+2" is text, never a live formula
                        cell.data_type = "s"
                    if len(v) > 60:
                        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _csv_cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, datetime):  # 2026-12-02 04:30, as a planner types it
        return v.isoformat(sep=" ", timespec="minutes" if not (v.second or v.microsecond) else "auto")
    return v


def write_jobshop_tables(scenario: JobShopScenario, path: PathArg, *, dates: bool | None = None) -> Path:
    """Write ``scenario`` as an Excel workbook (``.xlsx``) or as a folder of CSV files (any other path).

    Parameters
    ----------
    scenario
        The job-shop scenario.
    path
        ``<name>.xlsx`` for a workbook (written atomically); otherwise a folder, created if
        missing, that receives ``scenario.csv``, ``machines.csv``, ``calendars.csv``,
        ``orders.csv``, ``routings.csv`` and ``setups.csv`` (each written atomically; other files
        in it are left alone).
    dates
        See :func:`scenario_tables`.

    Returns
    -------
    Path
        ``path``.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".xlsx":
        pd = excel_pandas("Excel export")
        with atomic_path(p) as tmp:
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                write_scenario_sheets(writer, scenario, dates=dates)
        return p
    if suffix in (".xls", ".xlsm", CSV_SUFFIX):
        raise OpsPlanError(f"{p}: write a workbook (.xlsx) or a folder of CSV files (a path without .csv)")
    if p.exists() and not p.is_dir():
        raise OpsPlanError(f"{p}: not a folder (CSV tables go into a folder; name a workbook .xlsx)")
    for name, (headers, rows) in scenario_tables(scenario, dates=dates).items():
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(headers)
        for row in rows:
            w.writerow([_csv_cell(v) for v in row])
        atomic_write_text(p / f"{name}.csv", buf.getvalue())
    return p
