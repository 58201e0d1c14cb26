"""The versioned OpsPlan JSON document: one scenario plus zero or more named schedules.

On disk::

    {"format": "opsplan", "version": 2, "kind": "jobshop",
     "scenario": {...},
     "schedules": [{"name": ..., "assignments": [{"task", "resource", "start", "end", "category", "amount"}],
                    "extras": {"pinned": [...], ...}}]}

Loading is three gates, each with a precise message:

1. the envelope (``format``, ``version``, ``kind``) -> :class:`FileFormatError`; an older
   version is migrated to the current one first (:data:`MIGRATIONS`);
2. the JSON Schema (built from the kind registry, :mod:`opsplan.models.io.schema`) ->
   :class:`FileFormatError` naming the JSON path (``$.scenario.jobs[2].operations[0].modes[0].duration``) and the file;
3. the kind's own validation (:func:`opsplan.models.validate`) ->
   :class:`ValidationError` carrying every issue.

Only ``json`` is used to read files; nothing is evaluated or unpickled.
Kinds plug in through the kind registry (:mod:`opsplan.models.kinds`): its descriptor's
``to_json``/``from_json`` is the codec of the ``"scenario"`` object. Nothing here names a kind.

Versions: 1 (the first); 2 adds an assignment's ``amount``, capacities as named vectors and
the typed extras (``pinned``, ``routes``, ``placement``). Every version-1 document is a valid
version-2 document once its version says so; files are always written in the newest version.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from opsplan.models.core import capacity_from_json, capacity_to_json, first_free
from opsplan.models.errors import FileFormatError, OpsPlanError, ValidationError
from opsplan.models.io.atomic import atomic_write_text
from opsplan.models.io.schema import SCHEMA_VERSION, describe, schema_errors
from opsplan.models.kinds import descriptor, is_kind, kinds
from opsplan.models.schedule import Assignment, Category, Schedule

Scenario = Any  # one of the per-kind scenario documents
JsonDict = dict[str, Any]

FORMAT = "opsplan"
VERSION = SCHEMA_VERSION


def _v1_to_v2(data: JsonDict) -> JsonDict:
    # version 2 only adds optional fields: a version-1 document is one once it says so
    return {**data, "version": 2}


# version n -> version n + 1, applied in turn until the document is current
MIGRATIONS: dict[int, Callable[[JsonDict], JsonDict]] = {1: _v1_to_v2}


# --------------------------------------------------------------------------- document
@dataclass(frozen=True)
class Document:
    """A scenario and its named schedules, as held in one OpsPlan file.

    Immutable: edits make new documents (:meth:`with_schedule`, ``dataclasses.replace``).
    """

    scenario: Scenario
    schedules: tuple[Schedule, ...] = field(default=())

    def __post_init__(self) -> None:
        if not isinstance(self.schedules, tuple):
            object.__setattr__(self, "schedules", tuple(self.schedules))

    @property
    def kind(self) -> str:
        return self.scenario.kind

    def schedule(self, name: str) -> Schedule | None:
        """The last schedule called ``name``, or None."""
        for s in reversed(self.schedules):
            if s.name == name:
                return s
        return None

    def with_schedule(self, schedule: Schedule) -> Document:
        """A copy where ``schedule`` replaces the one of the same name (the last, the one
        :meth:`schedule` reads, should a file hold two), or is appended."""
        names = [s.name for s in self.schedules]
        if schedule.name in names:
            i = len(names) - 1 - names[::-1].index(schedule.name)
            return replace(self, schedules=self.schedules[:i] + (schedule,) + self.schedules[i + 1 :])
        return replace(self, schedules=self.schedules + (schedule,))

    def unique_name(self, base: str) -> str:
        """``base``, or ``base (2)``, ``base (3)``… when a schedule already has that name."""
        return first_free(base, {s.name for s in self.schedules})

    def without_schedule(self, name: str) -> Document:
        """A copy without the schedules called ``name``."""
        return replace(self, schedules=tuple(s for s in self.schedules if s.name != name))


# --------------------------------------------------------------------------- schedules
def _jsonable(x: Any) -> Any:
    """Plain JSON data from extras values: tuples become lists, enums their values."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    if hasattr(x, "value") and isinstance(x.value, (int, str)):
        return x.value
    raise TypeError(f"schedule extras must be plain JSON data, got {type(x).__name__}: {x!r}")


def _frozen(x: Any) -> Any:
    """JSON data as stored in a schedule: arrays become tuples (hashable); objects stay dicts."""
    if isinstance(x, list):
        return tuple(_frozen(v) for v in x)
    if isinstance(x, dict):
        return {k: _frozen(v) for k, v in x.items()}
    return x


def schedule_to_json(schedule: Schedule) -> JsonDict:
    """The JSON form of one schedule: ``{"name", "assignments", "extras"}``."""
    return {
        "name": schedule.name,
        "assignments": [
            {
                "task": a.task,
                "resource": a.resource,
                "start": a.start,
                "end": a.end,
                "category": Category(a.category).value,
                # written only when not 1, so unary plans keep their compact form
                **({} if a.amount == 1 else {"amount": capacity_to_json(a.amount)}),
            }
            for a in schedule.assignments
        ],
        "extras": {str(k): _jsonable(v) for k, v in schedule.extras},
    }


def schedule_from_json_data(d: JsonDict) -> Schedule:
    """Build a :class:`Schedule` from schema-valid JSON data (see :func:`schedule_to_json`)."""
    return Schedule(
        assignments=tuple(
            Assignment(
                a["task"],
                a["resource"],
                int(a["start"]),
                int(a["end"]),
                Category(a.get("category", Category.WORK.value)),
                capacity_from_json(a.get("amount", 1)),
            )
            for a in d["assignments"]
        ),
        name=d.get("name", ""),
        extras=tuple((k, _frozen(v)) for k, v in d.get("extras", {}).items()),
    )


# --------------------------------------------------------------------------- dict <-> document
def to_json_dict(doc: Document) -> JsonDict:
    """The complete JSON data of ``doc`` (envelope, scenario, schedules)."""
    kind = doc.scenario.kind
    return {
        "format": FORMAT,
        "version": VERSION,
        "kind": kind,
        "scenario": descriptor(kind).to_json(doc.scenario),
        "schedules": [schedule_to_json(s) for s in doc.schedules],
    }


def check_envelope(data: Any, source: str) -> str:
    """Check ``format``, ``version`` and ``kind``; return the kind or raise FileFormatError."""
    if not isinstance(data, dict):
        kind = "an array" if isinstance(data, list) else f"a {type(data).__name__}"
        raise FileFormatError(source, "$", f"expected a JSON object (an OpsPlan document), got {kind}")
    fmt = data.get("format")
    if fmt != FORMAT:
        got = "no 'format' key" if "format" not in data else f"format {json.dumps(fmt)}"
        raise FileFormatError(source, "$.format", f'not an OpsPlan document ({got}, expected "{FORMAT}")')
    version = data.get("version")
    if "version" not in data:
        raise FileFormatError(source, "$.version", "missing 'version'")
    if isinstance(version, bool) or not isinstance(version, int):
        raise FileFormatError(source, "$.version", f"version must be an integer, got {json.dumps(version)}")
    if version > VERSION:
        raise FileFormatError(
            source,
            "$.version",
            f"file version {version} was written by a newer OpsPlan; this one reads versions 1 to {VERSION}",
        )
    if version < 1:
        raise FileFormatError(source, "$.version", f"unsupported file version {version} (expected 1 to {VERSION})")
    kind = data.get("kind")
    if not is_kind(kind):
        got = "missing 'kind'" if "kind" not in data else f"unknown scenario kind {json.dumps(kind)}"
        raise FileFormatError(source, "$.kind", f"{got} (this build reads: {', '.join(kinds())})")
    return kind


def migrate(data: JsonDict) -> JsonDict:
    """Envelope-checked document data brought to the current :data:`VERSION` (a new dict)."""
    while data["version"] < VERSION:
        data = MIGRATIONS[data["version"]](data)
    return data


def check_schema(data: Any, source: str) -> None:
    """Raise one FileFormatError listing the schema violations of ``data`` (most precise first)."""
    errors = schema_errors(data)
    if not errors:
        return
    first, rest = errors[0], errors[1:]
    what = describe(first)
    for e in rest[:9]:
        what += f"\n  also {e.json_path}: {describe(e)}"
    if len(rest) > 9:
        what += f"\n  ... and {len(rest) - 9} more"
    raise FileFormatError(source, first.json_path, what)


def from_json_dict(data: Any, source: str = "<data>", *, validate: bool = True) -> Document:
    """Build a :class:`Document` from JSON data, checking it on the way.

    Parameters
    ----------
    data
        Parsed JSON (as from :func:`json.load`).
    source
        Where the data came from; named in every error.
    validate
        Also run the kind's scenario validation (off only to open a draft for repair).

    Raises
    ------
    FileFormatError
        Wrong envelope or a schema violation (with the JSON path).
    ValidationError
        The scenario is well-formed but not usable; carries every issue.
    """
    kind = check_envelope(data, source)
    data = migrate(data)
    check_schema(data, source)
    scenario = descriptor(kind).from_json(data["scenario"])
    schedules = tuple(schedule_from_json_data(s) for s in data.get("schedules", ()))
    if validate:
        from opsplan.models import validate as validate_scenario

        issues = validate_scenario(scenario)
        if issues:
            raise ValidationError(issues, source=source)
    return Document(scenario, schedules)


# --------------------------------------------------------------------------- text
class _Refused:
    """Stands in for a value ``json.loads`` met but no document may hold (NaN, 1e999, a
    5000-digit number, an object with a duplicate key); :func:`_check_tree` then names it with
    its JSON path. (The parser's hooks see only the value's text, never where it is.)"""

    __slots__ = ("key", "what")

    def __init__(self, what: str, key: str | None = None) -> None:
        self.what, self.key = what, key


def _reject_constant(name: str) -> _Refused:
    return _Refused(f"{name} is not a JSON number (NaN and Infinity are not allowed)")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> JsonDict | _Refused:
    out: JsonDict = {}
    for k, v in pairs:
        if k in out:
            return _Refused(f"duplicate key {json.dumps(k)[:80]} in one JSON object", key=k)
        out[k] = v
    return out


def _finite_float(text: str) -> float | _Refused:
    """A JSON number that fits a float: ``1e999`` would load as infinity, which no document can
    use and which could never be written back (every later save, autosave included, would fail)."""
    v = float(text)
    if not math.isfinite(v):
        return _Refused(f"the number {text[:40]} is out of range (not a finite number)")
    return v


def _bounded_int(text: str) -> int | _Refused:
    """An integer Python converts (at most ``sys.get_int_max_str_digits()`` digits, 4300 by default)."""
    try:
        return int(text)
    except ValueError:
        digits = len(text.lstrip("-"))
        return _Refused(f"the number {text[:20]}... is too long ({digits} digits)")


def parse_json(text: str, source: str) -> Any:
    """Strict JSON parsing (no NaN/Infinity, no out-of-range or overlong numbers, no duplicate keys,
    no deep nesting); every error names the file and the line and column or the JSON path."""
    hooks: dict[str, Any] = {"parse_constant": _reject_constant, "parse_float": _finite_float,
                             "object_pairs_hook": _no_duplicates}
    try:
        try:
            data = json.loads(text, **hooks)
        except ValueError as e:
            if isinstance(e, json.JSONDecodeError):
                raise
            # only int() raises here (more digits than Python converts): parse again, integers
            # through a hook this time (slower, so only now), to find which one and where
            data = json.loads(text, parse_int=_bounded_int, **hooks)
    except json.JSONDecodeError as e:
        raise FileFormatError(source, f"line {e.lineno} column {e.colno}", f"not valid JSON: {e.msg}") from None
    except ValueError as e:
        raise FileFormatError(source, None, f"not valid JSON: {' '.join(str(e).split())[:200]}") from None
    except RecursionError:
        where = _too_deep_at(text)
        raise FileFormatError(source, where, f"not valid JSON: nested more than {MAX_DEPTH} levels deep") from None
    _check_tree(data, source)
    return data


MAX_DEPTH = 100  # far beyond any document's own nesting; deeper data would exhaust Python's stack later
_SURROGATE = re.compile("[\ud800-\udfff]")
_BRACKETS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _too_deep_at(text: str) -> str | None:
    """``line L column C`` of the bracket that opens level :data:`MAX_DEPTH` + 1 (strings skipped)."""
    depth = 0
    for m in _BRACKETS.finditer(text):
        c = text[m.start()]
        if c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                pos = m.start()
                return f"line {text.count(chr(10), 0, pos) + 1} column {pos - text.rfind(chr(10), 0, pos)}"
        elif c in "]}":
            depth -= 1
    return None


def _short(path: str) -> str:
    return path if len(path) <= 80 else path[:80] + "..."


def _check_tree(data: Any, source: str) -> None:
    """Refuse what json.loads accepts but nothing can use: the values :class:`_Refused` stands
    for, strings with a lone surrogate (an escape like \\ud800 that is no character, and cannot
    be written back as UTF-8) and nesting deeper than :data:`MAX_DEPTH`. Iterative, so the check
    itself cannot run out of stack."""
    stack: list[tuple[Any, str, int]] = [(data, "$", 0)]
    while stack:
        x, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise FileFormatError(source, _short(path), f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(x, _Refused):
            where = path if x.key is None else f"{path}.{x.key}"
            raise FileFormatError(source, _short(where), f"not valid JSON: {x.what}")
        if isinstance(x, str):
            if not x.isascii() and _SURROGATE.search(x):
                raise FileFormatError(source, path, "invalid Unicode: a lone surrogate escape (\\ud800-\\udfff)")
        elif isinstance(x, dict):
            for k in x:
                if not k.isascii() and _SURROGATE.search(k):
                    raise FileFormatError(source, path, "invalid Unicode in a key: a lone surrogate escape")
            # pushed last to first, so the first problem in the file is the one named
            stack.extend((v, f"{path}.{k}", depth + 1) for k, v in reversed(x.items()))
        elif isinstance(x, list):
            stack.extend((x[i], f"{path}[{i}]", depth + 1) for i in range(len(x) - 1, -1, -1))


def _compact(x: Any, level: int, width: int) -> str:
    # Short objects and lists (a mode, a window, a matrix row) stay on one line; the rest is
    # indented, which keeps files both diff-friendly and readable.
    try:  # NaN and Infinity are not JSON: a file with them would not load again
        flat = json.dumps(x, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        raise OpsPlanError(f"cannot write {str(x)[:80]!r}: {exc}") from None
    if len(flat) + 2 * level <= width or not isinstance(x, (dict, list)) or not x:
        return flat
    pad = "  " * (level + 1)
    if isinstance(x, dict):
        body = ",\n".join(
            f"{pad}{json.dumps(k, ensure_ascii=False)}: {_compact(v, level + 1, width)}" for k, v in x.items()
        )
        return "{\n" + body + "\n" + "  " * level + "}"
    body = ",\n".join(pad + _compact(v, level + 1, width) for v in x)
    return "[\n" + body + "\n" + "  " * level + "]"


def dump_json_text(data: Any, width: int = 100) -> str:
    """Readable JSON text of plain data, ending with a newline."""
    return _compact(data, 0, width) + "\n"


def dumps(doc: Document) -> str:
    """The JSON text of ``doc`` (what :func:`save` writes)."""
    return dump_json_text(to_json_dict(doc))


def loads(text: str | bytes, source: str = "<string>", *, validate: bool = True) -> Document:
    """Parse a document from JSON text (see :func:`from_json_dict` for the checks)."""
    if isinstance(text, bytes):
        text = decode_text(text, source)
    return from_json_dict(parse_json(text, source), source, validate=validate)


# --------------------------------------------------------------------------- files
MAX_INPUT_BYTES = 1 << 30  # 1 GiB: far above any real scenario; an endless stream (/dev/zero) stops here


def _not_a_file(mode: int) -> str | None:
    """What a path of this ``st_mode`` is when it is not a regular file (None when it is one)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    what = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file")
    return f"is {what}, not a regular file: only files are read (a pipe or a device could block or never end)"


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """A file's bytes; every OS error becomes a FileFormatError naming the file, and so does a
    file larger than :data:`MAX_INPUT_BYTES` and anything that is not a regular file (a folder,
    a named pipe, a device such as /dev/zero, a socket), refused before a byte is read: reading
    a pipe would block until somebody writes to it, a device might never end."""
    p = Path(path)
    try:
        why = _not_a_file(os.stat(p).st_mode)
        if why:
            raise FileFormatError(str(p), None, why)
        # O_NONBLOCK: should the path have become a pipe since the stat, opening it does not wait for a writer
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as fh:
            why = _not_a_file(os.fstat(fh.fileno()).st_mode)  # the file actually opened
            if why:
                raise FileFormatError(str(p), None, why)
            data = fh.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            raise FileFormatError(str(p), None, f"larger than {MAX_INPUT_BYTES // (1 << 20)} MiB: not a scenario file")
        return data
    except FileNotFoundError:
        raise FileFormatError(str(p), None, "file not found") from None
    except IsADirectoryError:
        raise FileFormatError(str(p), None, "is a folder, not a file") from None
    except PermissionError:
        raise FileFormatError(str(p), None, "permission denied") from None
    except OSError as e:
        raise FileFormatError(str(p), None, f"cannot read: {e.strerror or e}") from None


def decode_text(data: bytes, source: str) -> str:
    """UTF-8 text (a BOM is accepted); a binary or wrongly encoded file gives a FileFormatError."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise FileFormatError(source, f"line {line}", "not UTF-8 text (is this a binary file?)") from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise FileFormatError(source, f"line {line}", "contains NUL bytes (is this a binary file?)")
    return text


def load(path: str | os.PathLike[str], *, validate: bool = True) -> Document:
    """Read an OpsPlan document.

    Raises
    ------
    FileFormatError
        Unreadable file, invalid JSON, wrong envelope or schema violation.
    ValidationError
        The scenario fails validation (every issue, ``source`` = the path).
    """
    source = str(path)
    return loads(decode_text(read_bytes(path), source), source, validate=validate)


def save(doc: Document, path: str | os.PathLike[str]) -> Path:
    """Write ``doc`` atomically: a temporary file in the same folder, fsync, then ``os.replace``.

    The whole text is produced before the disk is touched, so a document that cannot
    be serialized leaves an existing file exactly as it was.
    """
    text = dumps(doc)
    return atomic_write_text(path, text)


def documents_equal(a: Document, b: Document) -> bool:
    """True when both documents write the same JSON data (handy for 'unsaved changes')."""
    return to_json_dict(a) == to_json_dict(b)
