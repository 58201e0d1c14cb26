"""Importers of the public job-shop benchmark formats (see ``shared/benchmarks/README.md``).

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

Identifiers are the same for every format (:mod:`opsplan.models.jobshop.build`):
machines ``M0..M{m-1}``, jobs ``J0..``, operations ``J<j>.<k>``. In ``fjs`` files
machine ``i`` (1-based) becomes ``M{i-1}``, so ``M0`` is always the first machine
of the file whatever its numbering. The declared machine count is kept even when
some machines are never used (mk06 declares 15 and uses 10).

Every problem raises :class:`FileFormatError` naming the file, the line and what
is wrong; nothing here lets a raw ``ValueError``/``IndexError`` escape.
"""

from __future__ import annotations

import re
from pathlib import Path

from opsplan.models.io.document import Document
from opsplan.models.io.textfile import (
    NUMBER,
    Cursor,
    Lines,
    check_index,
    data_lines,
    is_comment,
    name_of,
    positive,
    starts_numeric,
    time_value,
    trailing,
)
from opsplan.models.jobshop import tabular
from opsplan.models.jobshop.build import from_routes
from opsplan.models.jobshop.scenario import Objective
from opsplan.models.kinds import ImporterSpec

_WT_NAME = re.compile(r"wt_?(\d+)", re.IGNORECASE)
MAX_MACHINES = 10_000


def _sizes_and_job_lines(
    lines: Lines, lineno: int, head: list[int], data: list[tuple[int, str]]
) -> tuple[int, int, list[tuple[int, str]]]:
    """Check the header's job and machine counts; return them and the job lines after it."""
    n_jobs = positive(lines, lineno, head[0], "the number of jobs")
    n_machines = positive(lines, lineno, head[1], "the number of machines")
    if n_machines > MAX_MACHINES:  # every declared machine is built: a typo here would eat the memory
        raise lines.fail(lineno, f"{n_machines} machines: at most {MAX_MACHINES} are supported")
    body = data[1:]
    if len(body) < n_jobs:
        raise lines.fail(lines.end_line(), f"file ends after {len(body)} of {n_jobs} job lines (is it truncated?)")
    return n_jobs, n_machines, body


# --------------------------------------------------------------------------- orlib-jobshop
def import_orlib_jobshop(path: Path, *, index: int | None = None, n: int | None = None) -> Document:
    """Read an OR-Library job-shop file (machines numbered from 0)."""
    lines = Lines(path)
    check_index(lines, "orlib-jobshop", index)
    data = data_lines(lines, "n_jobs n_machines")
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
            route.append([(m, time_value(lines, lineno, d, "processing time"))])
        routes.append(route)
    trailing(lines, body[n_jobs:], f"the {n_jobs} job lines")
    scenario = from_routes(name_of(path), routes, n_machines)
    return Document(scenario)


# --------------------------------------------------------------------------- fjs
def import_fjs(path: Path, *, index: int | None = None, n: int | None = None) -> Document:
    """Read a Brandimarte ``.fjs`` flexible job-shop file (machines numbered from 1, stored as M0..)."""
    lines = Lines(path)
    check_index(lines, "fjs", index)
    data = data_lines(lines, "n_jobs n_machines avg_machines_per_op")
    lineno, text = data[0]
    toks = text.split()
    if len(toks) not in (2, 3):
        raise lines.fail(lineno, f"expected 'n_jobs n_machines [avg_machines_per_op]', got {len(toks)} numbers")
    head = lines.ints(lineno, " ".join(toks[:2]))
    if len(toks) == 3 and not NUMBER.match(toks[2]):
        raise lines.fail(lineno, f"not a number: {toks[2]!r}")
    n_jobs, n_machines, body = _sizes_and_job_lines(lines, lineno, head, data)
    routes = []
    for j, (lineno, text) in enumerate(body[:n_jobs]):
        cur = Cursor(lines, lineno, lines.ints(lineno, text), f"job {j + 1}")
        n_ops = positive(lines, lineno, cur.take(1, "the number of operations")[0], f"job {j + 1}: operations")
        route = []
        for k in range(n_ops):
            at = f"job {j + 1}, operation {k + 1}"
            n_modes = positive(
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
                modes.append((m - 1, time_value(lines, lineno, d, "processing time")))
            route.append(modes)
        if cur.left:
            raise lines.fail(lineno, f"job {j + 1}: {cur.left} number(s) left over after its {n_ops} operations")
        routes.append(route)
    trailing(lines, body[n_jobs:], f"the {n_jobs} job lines")
    scenario = from_routes(name_of(path), routes, n_machines)
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
    lines = Lines(path)
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
        if is_comment(text):
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
    p = [time_value(lines, ln, v, "processing time") for ln, v in chunk[:n]]
    w = [time_value(lines, ln, v, "weight") for ln, v in chunk[n : 2 * n]]
    d = [time_value(lines, ln, v, "due date") for ln, v in chunk[2 * n :]]
    name = f"{name_of(path)}_{idx:03d}" if count > 1 or index is not None else name_of(path)
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


# --------------------------------------------------------------------------- detection
def _first_numeric_width(path: Path) -> int | None:
    """How many numbers the first numeric line of a text file holds (None: no such line, or no file)."""
    if not path.is_file():
        return None
    lines = Lines(path)
    if lines.items and lines.items[0][1].startswith("{"):
        return None  # a JSON document
    for _, text in lines.items:
        if is_comment(text) or not starts_numeric(text):
            continue
        return len(text.split())
    return None


def _is_orlib_wt(path: Path) -> bool:
    return path.is_file() and wt_size_from_name(path) is not None


# detection tries these in order: orlib-wt by its name first (wt40.txt: its first line holds many numbers)
IMPORTERS = (
    ImporterSpec(
        "orlib-wt", import_orlib_wt, "OR-Library single-machine weighted tardiness (--index N)", (),
        _is_orlib_wt, takes_index=True,
    ),
    ImporterSpec(
        "orlib-jobshop", import_orlib_jobshop, "OR-Library job shop (machines from 0)", (".jss",),
        lambda p: _first_numeric_width(p) == 2,
    ),
    ImporterSpec(
        "fjs", import_fjs, "Brandimarte / FJSPLIB flexible job shop", (".fjs",),
        lambda p: _first_numeric_width(p) == 3,
    ),
    ImporterSpec(
        "jobshop-xlsx", tabular.import_jobshop_tables,
        "Job-shop tables: an Excel workbook (machines, calendars, orders, routings, setups, scenario sheets)",
        (".xlsx", ".xlsm"),
    ),
    ImporterSpec(
        "jobshop-csv", tabular.import_jobshop_tables,
        "Job-shop tables: a folder of CSV files (machines.csv, orders.csv, routings.csv, ...)",
        (".csv",), tabular.looks_like_tables,
    ),
)
