"""Importers for public benchmark formats (and OpsPlan documents) into :class:`Document`.

Formats (see ``shared/benchmarks/README.md``):

``orlib-jobshop``
    OR-Library job shop: line 1 ``n_jobs n_machines``, then one line per job of
    ``machine time`` pairs in route order, machines numbered from 0. Header text
    before the first numeric line (the classic OR-Library ``instance ft06`` banner),
    ``#`` comment lines and ``+++`` separator lines are skipped.
``fjs``
    Brandimarte / FJSPLIB flexible job shop: line 1 ``n_jobs n_machines [avg]``,
    then one line per job: ``n_ops``, and per operation ``k`` followed by ``k``
    pairs ``machine time``; machines numbered from **1**.
``orlib-wt``
    OR-Library single-machine weighted tardiness (``wt40.txt`` ...): many instances
    one after another, each ``n`` processing times, ``n`` weights, ``n`` due dates.
``opsplan``
    An OpsPlan JSON document (:func:`opsplan.models.io.document.load`).

Identifiers are the same for every format (:mod:`opsplan.models.jobshop.build`):
machines ``M0..M{m-1}``, jobs ``J0..``, operations ``J<j>.<k>``. In ``fjs`` files
machine ``i`` (1-based) becomes ``M{i-1}``, so ``M0`` is always the first machine
of the file whatever its numbering. The declared machine count is kept even when
some machines are never used (mk06 declares 15 and uses 10).

Every problem raises :class:`FileFormatError` naming the file, the line and what
is wrong; nothing here lets a raw ``ValueError``/``IndexError`` escape.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from opsplan.models.core import MAX_TIME
from opsplan.models.errors import FileFormatError, OpsPlanError
from opsplan.models.io.document import Document, decode_text, load, read_bytes
from opsplan.models.jobshop.build import from_routes
from opsplan.models.jobshop.scenario import Objective

_INT = re.compile(r"[+-]?[0-9]+\Z")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\Z")
# Classic OR-Library banners: "+++++", "-----", "=====".
_SEPARATOR = re.compile(r"[+\-=*_~]{3,}\Z")
_WT_NAME = re.compile(r"wt_?(\d+)", re.IGNORECASE)


class Importer(Protocol):
    def __call__(self, path: Path, *, index: int | None = None, n: int | None = None) -> Document: ...


MAX_MACHINES = 10_000

# --------------------------------------------------------------------------- text helpers
class _Lines:
    """The non-blank lines of a text file with their 1-based line numbers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.source = str(path)
        text = decode_text(read_bytes(path), self.source)
        # only line feeds, carriage returns and their pair end a line (str.splitlines also breaks at
        # form feeds, U+2028, ..., which would put every later error on the wrong line)
        raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if raw and raw[-1] == "":
            raw.pop()
        self.n_raw = len(raw)
        self.items = [(i + 1, line.strip()) for i, line in enumerate(raw) if line.strip()]

    def fail(self, line: int | None, what: str) -> FileFormatError:
        return FileFormatError(self.source, None if line is None else f"line {line}", what)

    def end_line(self) -> int:
        """The last line of the file (where missing data was expected)."""
        return max(1, self.n_raw)

    def ints(self, lineno: int, text: str) -> list[int]:
        out = []
        for tok in text.split():
            if not _INT.match(tok):
                raise self.fail(lineno, f"not an integer: {tok!r}")
            try:
                out.append(int(tok))
            except ValueError:  # more digits than Python converts (4300)
                raise self.fail(lineno, f"number too long: {tok[:20]}... ({len(tok)} digits)") from None
        return out


def _is_comment(text: str) -> bool:
    return text.startswith("#") or bool(_SEPARATOR.match(text))


def _starts_numeric(text: str) -> bool:
    first = text.split()[0]
    return bool(_NUMBER.match(first))


def _data_lines(lines: _Lines, what_header: str) -> list[tuple[int, str]]:
    """Drop comments and the free-text banner before the first numeric line."""
    data: list[tuple[int, str]] = []
    for lineno, text in lines.items:
        if _is_comment(text):
            continue
        if not data and not _starts_numeric(text):
            continue  # banner text such as "instance ft06" or "Fisher and Thompson 6x6 instance"
        data.append((lineno, text))
    if not data:
        where = 1 if not lines.items else None
        msg = "empty file" if not lines.items else "no numeric data found"
        raise lines.fail(where, f"{msg}: expected a first line '{what_header}'")
    return data


def _check_index(lines: _Lines, fmt: str, index: int | None) -> None:
    if index not in (None, 1):
        raise lines.fail(None, f"a {fmt} file holds one instance; instance {index} does not exist")


def _positive(lines: _Lines, lineno: int, value: int, what: str) -> int:
    if value < 1:
        raise lines.fail(lineno, f"{what} must be at least 1, got {value}")
    return value


def _name_of(path: Path) -> str:
    """The scenario name a file gives: its stem, with bytes that are not UTF-8 (a Latin-1 file
    name on Linux) replaced, so that the document can be saved."""
    return os.fsencode(path.stem).decode("utf-8", "replace")


def _time(lines: _Lines, lineno: int, value: int, what: str) -> int:
    if value < 0:
        raise lines.fail(lineno, f"negative {what} {value}")
    if value > MAX_TIME:
        raise lines.fail(lineno, f"{what} {value} is beyond the largest time {MAX_TIME}")
    return value


def _trailing(lines: _Lines, rest: list[tuple[int, str]], expected: str) -> None:
    if rest:
        lineno, text = rest[0]
        raise lines.fail(lineno, f"unexpected data after {expected}: {text[:40]!r}")


def _sizes_and_job_lines(
    lines: _Lines, lineno: int, head: list[int], data: list[tuple[int, str]]
) -> tuple[int, int, list[tuple[int, str]]]:
    """Check the header's job and machine counts; return them and the job lines after it."""
    n_jobs = _positive(lines, lineno, head[0], "the number of jobs")
    n_machines = _positive(lines, lineno, head[1], "the number of machines")
    if n_machines > MAX_MACHINES:  # every declared machine is built: a typo here would eat the memory
        raise lines.fail(lineno, f"{n_machines} machines: at most {MAX_MACHINES} are supported")
    body = data[1:]
    if len(body) < n_jobs:
        raise lines.fail(lines.end_line(), f"file ends after {len(body)} of {n_jobs} job lines (is it truncated?)")
    return n_jobs, n_machines, body


# --------------------------------------------------------------------------- orlib-jobshop
def import_orlib_jobshop(path: Path, *, index: int | None = None, n: int | None = None) -> Document:
    """Read an OR-Library job-shop file (machines numbered from 0)."""
    lines = _Lines(path)
    _check_index(lines, "orlib-jobshop", index)
    data = _data_lines(lines, "n_jobs n_machines")
    lineno, text = data[0]
    head = lines.ints(lineno, text)
    if len(head) != 2:
        raise lines.fail(lineno, f"expected 2 numbers 'n_jobs n_machines', got {len(head)}")
    n_jobs, n_machines, body = _sizes_and_job_lines(lines, lineno, head, data)
    routes = []
    for lineno, text in body[:n_jobs]:
        nums = lines.ints(lineno, text)
        want = 2 * n_machines
        if len(nums) != want:
            raise lines.fail(lineno, f"expected {want} numbers for {n_machines} machines, got {len(nums)}")
        route = []
        for k in range(0, want, 2):
            m, d = nums[k], nums[k + 1]
            if not 0 <= m < n_machines:
                raise lines.fail(lineno, f"machine {m} out of range 0..{n_machines - 1}")
            route.append([(m, _time(lines, lineno, d, "processing time"))])
        routes.append(route)
    _trailing(lines, body[n_jobs:], f"the {n_jobs} job lines")
    scenario = from_routes(_name_of(path), routes, n_machines)
    return Document(scenario)


# --------------------------------------------------------------------------- fjs
class _Cursor:
    """Reads the numbers of one line in order, failing precisely when the line ends early."""

    def __init__(self, lines: _Lines, lineno: int, nums: list[int], who: str) -> None:
        self.lines, self.lineno, self.nums, self.who, self.pos = lines, lineno, nums, who, 0

    @property
    def left(self) -> int:
        return len(self.nums) - self.pos

    def take(self, count: int, what: str) -> list[int]:
        if count > self.left:
            raise self.lines.fail(
                self.lineno, f"{self.who}: line ends early, expected {count} numbers for {what}, got {self.left}"
            )
        out = self.nums[self.pos : self.pos + count]
        self.pos += count
        return out


def import_fjs(path: Path, *, index: int | None = None, n: int | None = None) -> Document:
    """Read a Brandimarte ``.fjs`` flexible job-shop file (machines numbered from 1, stored as M0..)."""
    lines = _Lines(path)
    _check_index(lines, "fjs", index)
    data = _data_lines(lines, "n_jobs n_machines avg_machines_per_op")
    lineno, text = data[0]
    toks = text.split()
    if len(toks) not in (2, 3):
        raise lines.fail(lineno, f"expected 'n_jobs n_machines [avg_machines_per_op]', got {len(toks)} numbers")
    head = lines.ints(lineno, " ".join(toks[:2]))
    if len(toks) == 3 and not _NUMBER.match(toks[2]):
        raise lines.fail(lineno, f"not a number: {toks[2]!r}")
    n_jobs, n_machines, body = _sizes_and_job_lines(lines, lineno, head, data)
    routes = []
    for j, (lineno, text) in enumerate(body[:n_jobs]):
        cur = _Cursor(lines, lineno, lines.ints(lineno, text), f"job {j + 1}")
        n_ops = _positive(lines, lineno, cur.take(1, "the number of operations")[0], f"job {j + 1}: operations")
        route = []
        for k in range(n_ops):
            at = f"job {j + 1}, operation {k + 1}"
            n_modes = _positive(
                lines, lineno, cur.take(1, f"the machine count of operation {k + 1}")[0], f"{at}: the machine count"
            )
            pairs = cur.take(2 * n_modes, f"{n_modes} 'machine time' pair(s) of operation {k + 1}")
            modes = []
            seen = set()
            for r in range(0, len(pairs), 2):
                m, d = pairs[r], pairs[r + 1]
                if not 1 <= m <= n_machines:
                    raise lines.fail(lineno, f"{at}: machine {m} out of range 1..{n_machines}")
                if m in seen:
                    raise lines.fail(lineno, f"{at}: machine {m} listed twice")
                seen.add(m)
                modes.append((m - 1, _time(lines, lineno, d, "processing time")))
            route.append(modes)
        if cur.left:
            raise lines.fail(lineno, f"job {j + 1}: {cur.left} number(s) left over after its {n_ops} operations")
        routes.append(route)
    _trailing(lines, body[n_jobs:], f"the {n_jobs} job lines")
    scenario = from_routes(_name_of(path), routes, n_machines)
    return Document(scenario)


# --------------------------------------------------------------------------- orlib-wt
def wt_size_from_name(path: Path) -> int | None:
    """The instance size ``n`` encoded in an OR-Library name (``wt40.txt`` -> 40), or None."""
    m = _WT_NAME.search(path.name)
    return int(m.group(1)) if m else None


def import_orlib_wt(path: Path, *, index: int | None = None, n: int | None = None) -> Document:
    """Read instance ``index`` (1-based; default 1) of an OR-Library weighted-tardiness file.

    ``n`` (jobs per instance) comes from the argument or the file name (``wt40``).
    The result is a single-machine shop: machine ``M0``, job ``J<j>`` with one
    operation ``J<j>.0``, its weight and due date, objective total weighted
    tardiness. The scenario is named ``<stem>_<index:03>`` (``wt40_001``), the key
    used by ``shared/benchmarks/tardiness/index.json``.
    """
    lines = _Lines(path)
    if n is None:
        n = wt_size_from_name(path)
        if n is None:
            raise lines.fail(None, "cannot tell the jobs per instance: name the file wtN.txt "
                                   "or pass the number of jobs (--jobs N)")
    if n < 1:
        raise lines.fail(None, f"jobs per instance must be at least 1, got {n}")
    idx = 1 if index is None else index
    tokens: list[tuple[int, int]] = []
    for lineno, text in lines.items:
        if _is_comment(text):
            continue
        tokens.extend((lineno, v) for v in lines.ints(lineno, text))
    if not tokens:
        raise lines.fail(1, f"empty file: expected instances of {3 * n} numbers ({n} jobs)")
    per = 3 * n
    count, extra = divmod(len(tokens), per)
    if extra:
        raise lines.fail(
            tokens[-1][0],
            f"file holds {len(tokens)} numbers, not a multiple of {per} (3 x {n} jobs): "
            f"instance {count + 1} is incomplete, {extra} of {per} numbers",
        )
    if not 1 <= idx <= count:
        raise lines.fail(None, f"instance {idx} out of range 1..{count}")
    chunk = tokens[(idx - 1) * per : idx * per]
    p = [_time(lines, ln, v, "processing time") for ln, v in chunk[:n]]
    w = [_time(lines, ln, v, "weight") for ln, v in chunk[n : 2 * n]]
    d = [_time(lines, ln, v, "due date") for ln, v in chunk[2 * n :]]
    name = f"{_name_of(path)}_{idx:03d}" if count > 1 or index is not None else _name_of(path)
    scenario = from_routes(
        name,
        [[[(0, pj)]] for pj in p],
        1,
        dues=d,
        weights=w,
        objective=Objective.TOTAL_WEIGHTED_TARDINESS,
        description=f"OR-Library single-machine weighted tardiness, instance {idx} of {path.name} ({n} jobs)",
    )
    return Document(scenario)


# --------------------------------------------------------------------------- opsplan
def import_opsplan(path: Path, *, index: int | None = None, n: int | None = None) -> Document:
    """Read an OpsPlan JSON document (fully checked, see :func:`opsplan.models.io.document.load`)."""
    if index not in (None, 1):
        raise FileFormatError(str(path), None, f"an OpsPlan document holds one scenario; no instance {index}")
    return load(path)


# --------------------------------------------------------------------------- registry
IMPORTERS: dict[str, Callable[..., Document]] = {
    "orlib-jobshop": import_orlib_jobshop,
    "fjs": import_fjs,
    "orlib-wt": import_orlib_wt,
    "opsplan": import_opsplan,
}

_BY_SUFFIX = {".json": "opsplan", ".fjs": "fjs", ".jss": "orlib-jobshop"}


def detect_format(path: str | os.PathLike[str]) -> str:
    """Guess the import format of ``path`` from its name, then its content.

    ``.json`` -> ``opsplan``, ``.fjs`` -> ``fjs``, ``wtNN*`` -> ``orlib-wt``; otherwise
    the first numeric line decides: 2 numbers -> ``orlib-jobshop``, 3 -> ``fjs``.
    Raises FileFormatError when it cannot tell.
    """
    p = Path(path)
    fmt = _BY_SUFFIX.get(p.suffix.lower())
    if fmt:
        return fmt
    if wt_size_from_name(p) is not None:
        return "orlib-wt"
    lines = _Lines(p)
    if lines.items and lines.items[0][1].startswith("{"):
        return "opsplan"
    for lineno, text in lines.items:
        if _is_comment(text) or not _starts_numeric(text):
            continue
        width = len(text.split())
        if width == 2:
            return "orlib-jobshop"
        if width == 3:
            return "fjs"
        raise lines.fail(lineno, f"cannot tell the format from a first line of {width} numbers; pass the format")
    raise lines.fail(None, f"cannot tell the format; pass one of: {', '.join(IMPORTERS)}")


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
        A key of :data:`IMPORTERS`.
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
    try:
        importer = IMPORTERS[fmt]
    except KeyError:
        raise OpsPlanError(f"unknown import format '{fmt}' (known: {', '.join(IMPORTERS)})") from None
    if index is not None and index < 1:
        raise OpsPlanError(f"instance index is 1-based, got {index}")
    return importer(p, index=index, n=n)
