"""The jobs of ``opsplan batch``: which inputs a command line names, one job per (scenario, solver,
seed), and running one job in whatever process gets it (a local pool's worker, a Dask worker).

A :class:`JobSpec` is plain data (strings and numbers): it is pickled to the process that runs it,
which reads the scenario file itself; no OR-Tools object ever crosses a process boundary. Its
``job_id`` is the resume key: a hash of the input file's content, the instance index, the format,
the solver, the seed and the parameters, so renaming or moving a file does not rerun it and editing
it does. :func:`run_job` never raises: a malformed file, an unknown solver or a solver that fails
is a row with ``status="error"`` and the message in ``error``.
"""

from __future__ import annotations

import glob
import hashlib
import json
import math
import os
import re
import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from opsplan.app.results import empty_row
from opsplan.models.errors import OpsPlanError

RACE = "race"
INDEX = "index.json"
# files a folder holds beside its scenarios: never inputs
_NOT_INPUTS = re.compile(r"(?i)(index\.json|readme(\..*)?|license(\..*)?|.*\.manifest\.json|.*\.md)\Z")
_GLOB = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class JobSpec:
    """One job: a scenario (``input``, ``index`` in a multi-instance file, ``fmt`` or None to detect),
    a solver and a seed, with the run's parameters and where the schedule goes (None: not saved).

    Plain data only, so that it pickles to any worker. ``solver`` ``race:a+b`` is a race of
    members a and b. ``reference`` is the best known objective (from a benchmark ``index.json``).
    """

    job_id: str
    input: str
    index: int | None
    fmt: str | None
    solver: str
    seed: int
    time_limit: float | None
    threads: int
    reference: float | None
    family: str
    schedules_dir: str | None


class InputItem(NamedTuple):
    """One scenario an INPUTS argument names: a file (and its instance in a multi-instance file),
    its benchmark family ('' for a planner's own file), its reference value, its kind when known."""

    path: str
    index: int | None
    family: str
    reference: float | None
    kind: str | None = None


# -- inputs ---------------------------------------------------------------------------------------
def _family_of(name: str) -> str:
    """``la21`` -> ``la`` (as ``opsplan bench`` groups instances)."""
    m = re.match(r"[a-z]+", name.lower())
    return m.group(0) if m else name


def _reference(entry: dict[str, Any]) -> float | None:
    """The optimum where the index has one, else the best known upper bound."""
    for key in ("optimum", "ub", "best_known"):
        v = entry.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            return float(v)
    return None


def _read_index(folder: Path) -> dict[str, dict[str, Any]]:
    path = folder / INDEX
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise OpsPlanError(f"{path}: not valid JSON (line {err.lineno}: {err.msg})") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise OpsPlanError(f"{path}: not a benchmark index (an object of instance name -> entry)")
    return data


def _entry_item(folder: Path, name: str, entry: dict[str, Any]) -> InputItem:
    file = entry.get("file")
    if not isinstance(file, str):
        raise OpsPlanError(f"{folder / INDEX}: instance '{name}' names no 'file' (not a format batch reads)")
    position = entry.get("position")
    index = int(position) if isinstance(position, int) and not isinstance(position, bool) else None
    # a multi-instance file's family is the file (wt40); a set with classes says so; else the name's letters
    family = Path(file).stem if index is not None else str(entry.get("class") or _family_of(name))
    return InputItem(str(folder / file), index, family, _reference(entry))


def _index_folder_items(folder: Path) -> list[InputItem]:
    return [_entry_item(folder, name, entry) for name, entry in _read_index(folder).items()]


def _file_item(path: Path, index: int | None = None) -> InputItem:
    """A file given by name: its reference and family when it lies in a benchmark folder whose index names it."""
    if (path.parent / INDEX).is_file():
        try:
            entries = _read_index(path.parent)
        except OpsPlanError:
            entries = {}
        for name, entry in entries.items():
            if entry.get("file") == path.name and entry.get("position") == index:
                return _entry_item(path.parent, name, entry)._replace(path=str(path))
    return InputItem(str(path), index, "", None)


def _folder_items(folder: Path, exclude: set[Path]) -> list[InputItem]:
    if (folder / INDEX).is_file():
        return _index_folder_items(folder)
    files = sorted(p for p in folder.iterdir()
                   if p.is_file() and not p.name.startswith(".") and not _NOT_INPUTS.match(p.name)
                   and p.resolve() not in exclude
                   # a results file of an earlier batch (its manifest beside it) is no scenario
                   and not Path(str(p) + ".manifest.json").is_file())
    return [_file_item(p) for p in files]


def _one(path: Path, given: str, exclude: set[Path], index: int | None = None) -> list[InputItem]:
    if path.is_dir():
        return _folder_items(path, exclude)
    if path.is_file():
        return [_file_item(path, index)]
    if path.exists():  # a named pipe would block the reading worker forever
        raise OpsPlanError(f"{given}: not a regular file or folder")
    raise OpsPlanError(f"{given}: no such file or folder")


def expand_inputs(inputs: Iterable[str], fmt: str | None = None,
                  exclude: Iterable[str | os.PathLike[str]] = ()) -> list[InputItem]:
    """The scenarios INPUTS name, each once, in the order given.

    Parameters
    ----------
    inputs
        Files, folders and globs. A folder with an ``index.json`` (a benchmark folder, see
        ``shared/benchmarks/README.md``) gives its instances with their references (the optimum,
        else the best known bound) and families; another folder gives its files (not hidden ones,
        READMEs, indexes or manifests). ``FILE#K`` is instance K of a multi-instance file.
    fmt
        The import format all inputs are read with (None: detected per file when the job runs).
        Used here only to say which formats exist when nothing matches.
    exclude
        Files never taken from a folder or glob (the results file and its manifest).

    Raises
    ------
    OpsPlanError
        A name that is no file, folder or matching glob, a named pipe or a broken index: before
        anything runs.
    """
    skip = {Path(p).resolve() for p in exclude}
    out: list[InputItem] = []
    for given in inputs:
        path = Path(given)
        m = re.fullmatch(r"(.*)#(\d+)", given)
        if not path.exists() and m and Path(m.group(1)).is_file():
            if int(m.group(2)) < 1:
                raise OpsPlanError(f"{given}: instance numbers start at 1")
            out += _one(Path(m.group(1)), given, skip, int(m.group(2)))
        elif not path.exists() and _GLOB.search(given):
            matches = sorted(glob.glob(given, recursive=True))
            matches = [p for p in matches if Path(p).resolve() not in skip]
            if not matches:
                raise OpsPlanError(f"{given}: no file or folder matches")
            for p in matches:
                out += _one(Path(p), p, skip)
        else:
            out += _one(path, given, skip)
    seen: set[tuple[str, int | None]] = set()
    unique = []
    for item in out:
        key = (str(Path(item.path).resolve()), item.index)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    if not unique:
        raise OpsPlanError(f"no scenario file in {', '.join(inputs)}")
    return unique


# -- jobs -----------------------------------------------------------------------------------------
def file_hash(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def job_id(content_hash: str, index: int | None, fmt: str | None, solver: str, seed: int,
           time_limit: float | None, threads: int) -> str:
    """The resume key of a job: what decides its result, hashed (the file's place and name do not)."""
    key = json.dumps({"input": content_hash, "index": index, "format": fmt, "solver": solver, "seed": seed,
                      "time_limit": time_limit, "threads": threads}, sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def split_solver(name: str) -> tuple[str, dict[str, Any]]:
    """``race:a+b`` -> (``race``, ``{"solvers": [a, b]}``); any other name -> (name, {})."""
    if name.startswith(RACE + ":"):
        members = [m.strip() for m in name[len(RACE) + 1:].split("+") if m.strip()]
        if not members:
            raise OpsPlanError(f"solver '{name}': name the race's members, e.g. race:cpsat+tabu")
        return RACE, {"solvers": members}
    return name, {}


def check_solver(name: str) -> None:
    """An unknown solver name (or race member) is an error now, before any job runs."""
    from opsplan.solvers.registry import split_name

    solver, options = split_solver(name)
    for s in [solver, *options.get("solvers", ())]:
        split_name(s)


def race_name(members: Sequence[str]) -> str:
    """The solver name of a race of ``members``: ``race:a+b``."""
    return f"{RACE}:{'+'.join(members)}"


def make_jobs(inputs: Iterable[str] | Iterable[InputItem], solvers: Sequence[str], seeds: int | Sequence[int] = 1,
              time_limit: float | None = None, threads: int = 1, fmt: str | None = None,
              schedules_dir: str | os.PathLike[str] | None = None) -> list[JobSpec]:
    """Every (scenario, solver, seed) of the run as a job, scenario by scenario.

    ``inputs`` are INPUTS arguments (expanded with :func:`expand_inputs`) or items it made;
    ``seeds`` a count K (seeds 0..K-1) or the seeds themselves. Each input file is read once here,
    for its content hash (see :func:`job_id`).
    """
    items = list(inputs)
    if any(not isinstance(i, tuple) for i in items):
        items = expand_inputs([str(i) for i in items], fmt)
    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    hashes: dict[str, str] = {}
    jobs = []
    for item in items:
        path, index, family, reference = item[0], item[1], item[2], item[3]
        try:
            content = hashes.setdefault(path, file_hash(path))
        except OSError as err:
            raise OpsPlanError(f"{path}: cannot read ({err.strerror or err})") from None
        for solver in solvers:
            for seed in seed_list:
                jobs.append(JobSpec(job_id(content, index, fmt, solver, seed, time_limit, threads), str(path),
                                    index, fmt, solver, seed, time_limit, threads, reference, family,
                                    None if schedules_dir is None else str(schedules_dir)))
    return jobs


# -- one job --------------------------------------------------------------------------------------
def opsplan_version() -> str:
    from opsplan.app.common import package_version

    return package_version()


def input_label(spec: JobSpec) -> str:
    """The ``input`` column: the path as given, ``#K`` for an instance of a multi-instance file."""
    return spec.input + (f"#{spec.index}" if spec.index is not None else "")


def _num(v: float | None) -> float:
    return math.nan if v is None else float(v)


def _message(err: BaseException) -> str:
    if isinstance(err, OpsPlanError):
        text = " ".join(str(err).split())
    else:
        text = f"{type(err).__name__}: {' '.join(str(err).split())}".rstrip(": ")
    return text if len(text) <= 500 else text[:500] + " ..."


def base_row(spec: JobSpec, **values: Any) -> dict[str, Any]:
    """The row of ``spec`` with what is known before it runs (and ``values``)."""
    stem = Path(spec.input).stem + (f"_{spec.index:03d}" if spec.index is not None else "")
    row = dict(job_id=spec.job_id, input=input_label(spec), instance=stem, family=spec.family,
               solver=spec.solver, seed=spec.seed, time_limit=_num(spec.time_limit), threads=spec.threads,
               reference=_num(spec.reference), host=socket.gethostname(), worker=str(os.getpid()),
               opsplan_version=opsplan_version(),
               finished_at=datetime.now(UTC).isoformat(timespec="seconds"))
    row.update(values)
    return empty_row(**row)


def error_row(spec: JobSpec, error: BaseException | str, **values: Any) -> dict[str, Any]:
    """The row of a job that failed: ``status="error"``, the message in ``error``, no schedule."""
    text = error if isinstance(error, str) else _message(error)
    return base_row(spec, status="error", error=text, violations=-1, **values)


def _schedule_path(spec: JobSpec, instance: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{instance}_{spec.solver}_s{spec.seed}")
    return Path(spec.schedules_dir or ".") / f"{safe}_{spec.job_id[:8]}.json"


def run_job(spec: JobSpec) -> dict[str, Any]:
    """Solve one job here and return its results row (every column of :mod:`opsplan.app.results`).

    Loads the scenario, solves it (:func:`opsplan.solvers.solve` with the job's time limit,
    threads and seed), checks the schedule with the independent checker and, with
    ``schedules_dir``, saves it as an OpsPlan document. Never raises (but for KeyboardInterrupt):
    whatever goes wrong is a row with ``status="error"``.
    """
    t0 = time.perf_counter()
    instance = Path(spec.input).stem
    kind = ""
    try:
        from opsplan.models import check
        from opsplan.models.io.importers import import_file
        from opsplan.solvers import Params, solve

        solver, options = split_solver(spec.solver)
        doc = import_file(spec.input, spec.fmt, index=spec.index)
        sc = doc.scenario
        instance, kind = sc.name, sc.kind
        progress: list[list[float | None]] = []

        def on_progress(p) -> None:  # noqa: ANN001 - a solvers.Progress
            progress.append([round(p.elapsed_s, 3), p.objective, p.bound])

        params = Params(time_limit=spec.time_limit, threads=spec.threads, seed=spec.seed, options=options)
        result = solve(sc, solver, params, on_progress)
        violations = len(check(sc, result.schedule)) if result.schedule is not None else -1
        ref_gap = math.nan
        if result.objective is not None and spec.reference:
            ref_gap = (result.objective - spec.reference) / abs(spec.reference)
        error = result.message if result.status == "error" else ""
        saved = ""
        if spec.schedules_dir and result.schedule is not None:
            from opsplan.models.io.document import Document, save

            path = _schedule_path(spec, instance)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                save(Document(sc, (result.schedule.renamed(spec.solver),)), path)
                saved = str(path)
            except (OSError, OpsPlanError, ValueError) as err:
                error = f"schedule not saved: {_message(err)}"
        return base_row(spec, instance=instance, kind=kind, status=result.status,
                        objective=_num(result.objective), bound=_num(result.bound), gap=_num(result.gap),
                        ref_gap=ref_gap, runtime_s=round(result.runtime_s, 4), violations=violations,
                        error=error or "", solver_version=result.solver_version or "",
                        progress=json.dumps(progress) if progress else "", schedule_file=saved)
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # noqa: BLE001 - a job's failure is its row; the batch goes on
        return error_row(spec, err, instance=instance, kind=kind, runtime_s=round(time.perf_counter() - t0, 4))


__all__ = [
    "InputItem",
    "JobSpec",
    "base_row",
    "check_solver",
    "error_row",
    "expand_inputs",
    "file_hash",
    "input_label",
    "job_id",
    "make_jobs",
    "race_name",
    "run_job",
    "split_solver",
]
