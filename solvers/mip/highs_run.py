"""Hand a Pyomo model to HiGHS (highspy) and drive the solve: MIP start, progress, cancel, injection.

Pyomo stays the modelling layer; this module does the hand-off itself (one
``generate_standard_repn`` per constraint, the matrix passed to ``highspy`` in one
call) so that the ``highspy.Highs`` object is ours to drive:

* a MIP start is a complete column vector passed with ``setSolution`` before the run;
* every improving solution reaches ``on_improve`` (from ``cbMipImprovingSolution``);
* a :class:`StopToken` interrupts the run through the MIP, simplex and IPM interrupt
  callbacks (HiGHS checks them many times a second, but not inside its sub-MIP
  heuristics, which run for seconds on a 20x15 shop: a run that has not ended
  ``DETACH_AFTER_S`` after a stop or its time limit is left to end in the background,
  and the caller gets the best solution and bound seen so far);
* an inbox (a callable giving column vectors) is polled from ``cbMipUserSolution``
  and better feasible vectors are handed to HiGHS as user solutions.

Fixed Pyomo variables are constants of the hand-off (they get no column).
"""

from __future__ import annotations

import atexit
import math
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import highspy
import numpy as np
import pyomo.core as pyo
from pyomo.repn.standard_repn import generate_standard_repn

INF = highspy.kHighsInf
_TOL = 1e-6
_banner_lock = threading.Lock()
_banner_done = False
DETACH_AFTER_S = 0.5  # after a stop (or the time limit) a run that has not ended by then is left behind
_left_behind: list[threading.Thread] = []  # runs told to stop that are still ending (see DETACH_AFTER_S)
_left_lock = threading.Lock()


class BuildStopped(Exception):
    """A stop came while a model was being built or handed over (raised by :func:`checkpoint`)."""


def checkpoint(should_stop: Callable[[], bool] | None, k: int = 0, every: int = 256) -> None:
    """Raise :class:`BuildStopped` at every ``every``-th ``k`` when ``should_stop()`` says so: building
    a large model takes seconds, and a cancel must not wait for it."""
    if should_stop is not None and k % every == 0 and should_stop():
        raise BuildStopped


def wait_for_runs_left_behind(timeout: float = 60.0, should_stop: Callable[[], bool] | None = None) -> bool:
    """Let runs left to end in the background finish (before a new run resets HiGHS's global
    thread scheduler under them, and before the interpreter exits under them).

    False when ``should_stop()`` said stop first (the caller's cancel or time limit).
    """
    end = time.monotonic() + timeout
    with _left_lock:
        threads = list(_left_behind)
    for t in threads:
        while t.is_alive() and time.monotonic() < end:
            if should_stop is not None and should_stop():
                return False
            t.join(min(0.05, max(0.0, end - time.monotonic())))
    with _left_lock:
        _left_behind[:] = [t for t in _left_behind if t.is_alive()]
    return True


atexit.register(wait_for_runs_left_behind)


def new_highs() -> highspy.Highs:
    """A silent ``highspy.Highs``; the copyright banner HiGHS prints once per process goes to /dev/null.

    (``opsplan solve --json`` prints JSON on stdout: the banner must not land there.)
    """
    global _banner_done
    with _banner_lock:
        if _banner_done:
            h = highspy.Highs()
        else:
            sys.stdout.flush()
            saved = os.dup(1)
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, 1)
                h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
                os.close(devnull)
            _banner_done = True
    h.setOptionValue("output_flag", True)  # the log reaches our logging callback ...
    h.setOptionValue("log_to_console", False)  # ... and never the console
    return h


def version() -> tuple[int, int, int]:
    return highspy.HIGHS_VERSION_MAJOR, highspy.HIGHS_VERSION_MINOR, highspy.HIGHS_VERSION_PATCH


# -- the hand-off ---------------------------------------------------------------------
@dataclass
class Lp:
    """The model as arrays (CSR rows), the column of every free Pyomo variable, the objective offset."""

    columns: list  # VarData per column
    index: dict[int, int]  # id(VarData) -> column
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray  # bool per column
    cost: np.ndarray
    offset: float
    row_lower: np.ndarray
    row_upper: np.ndarray
    starts: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    trivially_infeasible: str = ""

    @property
    def n_cols(self) -> int:
        return len(self.columns)

    @property
    def n_rows(self) -> int:
        return len(self.row_lower)

    def objective(self, x: np.ndarray) -> float:
        return float(self.cost @ x + self.offset)

    def is_feasible(self, x: np.ndarray, tol: float = _TOL) -> bool:
        """True when ``x`` meets every bound, row and integrality (absolute tolerance ``tol``)."""
        if x.shape != (self.n_cols,) or not np.all(np.isfinite(x)):
            return False
        if np.any(x < self.col_lower - tol) or np.any(x > self.col_upper + tol):
            return False
        xi = x[self.integer]
        if np.any(np.abs(xi - np.round(xi)) > tol):
            return False
        if self.n_rows:
            # rows without nonzeros have no entry in reduceat's output order: guard with counts
            act = np.zeros(self.n_rows)
            nz = np.diff(self.starts) > 0
            if np.any(nz):
                act[nz] = np.add.reduceat(self.vals * x[self.cols], self.starts[:-1][nz])
            if np.any(act < self.row_lower - tol) or np.any(act > self.row_upper + tol):
                return False
        return True

    def vector(self, values: dict) -> np.ndarray | None:
        """The column vector of ``values`` (VarData -> number); None unless every column has a value
        and every fixed variable named in ``values`` keeps its fixed value."""
        x = np.full(self.n_cols, np.nan)
        for v, val in values.items():
            k = self.index.get(id(v))
            if k is None:
                if v.fixed and abs(pyo.value(v) - val) > _TOL:
                    return None
                continue
            x[k] = val
        return None if np.any(np.isnan(x)) else x


def to_lp(model: pyo.ConcreteModel, should_stop: Callable[[], bool] | None = None) -> Lp:
    """Translate the active linear constraints and the (single, minimised) objective of ``model``
    (``should_stop``: checked as it goes, see :func:`checkpoint`)."""
    columns: list = []
    index: dict[int, int] = {}
    for v in model.component_data_objects(pyo.Var, descend_into=True):
        if not v.fixed:
            index[id(v)] = len(columns)
            columns.append(v)
    lower = np.array([-INF if v.lb is None else v.lb for v in columns], dtype=float)
    upper = np.array([INF if v.ub is None else v.ub for v in columns], dtype=float)
    integer = np.array([v.is_integer() or v.is_binary() for v in columns], dtype=bool)

    row_lower: list[float] = []
    row_upper: list[float] = []
    starts = [0]
    cols: list[int] = []
    vals: list[float] = []
    bad = ""
    for k, con in enumerate(model.component_data_objects(pyo.Constraint, active=True, descend_into=True)):
        checkpoint(should_stop, k)
        repn = generate_standard_repn(con.body, compute_values=True, quadratic=False)
        if not repn.is_linear():
            raise ValueError(f"constraint {con.name} is not linear")
        const = float(repn.constant)
        lb = -INF if con.lb is None else float(con.lb) - const
        ub = INF if con.ub is None else float(con.ub) - const
        row: dict[int, float] = {}
        for c, v in zip(repn.linear_coefs, repn.linear_vars):
            k = index[id(v)]
            row[k] = row.get(k, 0.0) + float(c)
        row = {k: c for k, c in row.items() if c != 0.0}
        if not row:  # a constant row: only its truth matters
            if lb > _TOL or ub < -_TOL:
                bad = bad or f"constraint {con.name} cannot hold"
            continue
        row_lower.append(lb)
        row_upper.append(ub)
        cols.extend(row)
        vals.extend(row.values())
        starts.append(len(cols))

    objs = list(model.component_data_objects(pyo.Objective, active=True, descend_into=True))
    if len(objs) != 1 or objs[0].sense != pyo.minimize:
        raise ValueError("expected exactly one minimised objective")
    repn = generate_standard_repn(objs[0].expr, compute_values=True, quadratic=False)
    cost = np.zeros(len(columns))
    for c, v in zip(repn.linear_coefs, repn.linear_vars):
        cost[index[id(v)]] += float(c)
    return Lp(columns, index, lower, upper, integer, cost, float(repn.constant),
              np.array(row_lower, dtype=float), np.array(row_upper, dtype=float),
              np.array(starts, dtype=np.int32), np.array(cols, dtype=np.int32), np.array(vals, dtype=float),
              trivially_infeasible=bad)


def pass_lp(h: highspy.Highs, lp: Lp) -> None:
    n = lp.n_cols
    idx = np.arange(n, dtype=np.int32)
    h.addVars(n, lp.col_lower, lp.col_upper)
    kinds = np.where(lp.integer, highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous)
    h.changeColsIntegrality(n, idx, np.array(list(kinds)))
    h.changeColsCost(n, idx, lp.cost)
    h.changeObjectiveOffset(lp.offset)
    if lp.n_rows:
        h.addRows(lp.n_rows, lp.row_lower, lp.row_upper, len(lp.cols), lp.starts[:-1], lp.cols, lp.vals)


# -- the run ----------------------------------------------------------------------------
@dataclass
class Outcome:
    """What a run ended with (objective / bound as HiGHS reports them, minimisation)."""

    status: highspy.HighsModelStatus
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    start_accepted: bool | None = None  # None: no start given
    injected: int = 0
    improving: int = 0
    log: str = ""
    stats: dict = field(default_factory=dict)


@dataclass
class RunConfig:
    time_limit: float | None = None
    threads: int = 0
    seed: int = 0
    rel_gap: float = 0.0
    abs_gap: float = 1 - 1e-6  # integral objective
    options: dict = field(default_factory=dict)
    poll_s: float = 0.2


ImproveCallback = Callable[[np.ndarray, float, float | None, float], None]  # x, objective, bound, elapsed


def run(
    lp: Lp,
    cfg: RunConfig,
    *,
    start: np.ndarray | None = None,
    on_improve: ImproveCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    inbox: Callable[[], np.ndarray | None] | None = None,
    t0: float | None = None,
) -> Outcome:
    """Solve ``lp`` with HiGHS; ``start`` is a complete MIP start; ``inbox()`` gives candidate vectors."""
    t0 = time.perf_counter() if t0 is None else t0
    # HiGHS's task scheduler is global: never start while an earlier run is still ending in the
    # background (the wait counts against this run's time limit, and a cancel ends it)
    deadline = None if cfg.time_limit is None else t0 + cfg.time_limit

    def waited_enough() -> bool:
        return (should_stop is not None and should_stop()) or (deadline is not None and time.perf_counter() >= deadline)

    if not wait_for_runs_left_behind(should_stop=waited_enough):
        cancelled = should_stop is not None and should_stop()
        status = highspy.HighsModelStatus.kInterrupt if cancelled else highspy.HighsModelStatus.kTimeLimit
        return Outcome(status, None, None, None, start_accepted=None if start is None else False)
    h = new_highs()
    log: list[str] = []
    h.cbLogging += lambda e: log.append(e.message)
    pass_lp(h, lp)
    if cfg.threads:
        h.setOptionValue("threads", int(cfg.threads))
    h.setOptionValue("random_seed", int(cfg.seed))
    h.setOptionValue("mip_rel_gap", float(cfg.rel_gap))
    h.setOptionValue("mip_abs_gap", float(cfg.abs_gap))
    for key, value in cfg.options.items():
        h.setOptionValue(key, value)
    if cfg.time_limit is not None:
        h.setOptionValue("time_limit", max(0.01, float(cfg.time_limit) - (time.perf_counter() - t0)))

    out = Outcome(highspy.HighsModelStatus.kNotset, None, None, None)
    if start is not None:
        status = h.setSolution(lp.n_cols, np.arange(lp.n_cols, dtype=np.int32), np.asarray(start, dtype=float))
        out.start_accepted = status == highspy.HighsStatus.kOk and lp.is_feasible(start)
    lock = threading.Lock()
    # "left": the caller has gone (see DETACH_AFTER_S): callbacks then only ask the run to stop
    state = {"best": math.inf, "best_x": None, "bound": -math.inf, "nodes": 0, "pending": None, "last_poll": 0.0,
             "left": False}

    def confirm(primal: float) -> None:
        # a user solution shows up as a better primal bound at the next callback (no improving event)
        pending = state["pending"]
        if pending is None:
            return
        x, obj = pending
        if primal <= obj + _TOL:
            state["pending"] = None
            out.injected += 1
            if obj < state["best"] - _TOL:
                state["best"] = obj
                if on_improve is not None:
                    on_improve(x, obj, None, time.perf_counter() - t0)
        elif time.perf_counter() - state["last_poll"] > 2 * cfg.poll_s:
            state["pending"] = None  # rejected (or superseded)

    def seen(e) -> None:  # noqa: ANN001 - the dual bound and node count so far, for a run left behind
        bound = float(e.data_out.mip_dual_bound)
        if math.isfinite(bound):
            state["bound"] = max(state["bound"], bound)
        state["nodes"] = max(state["nodes"], int(e.data_out.mip_node_count))

    def improving(e) -> None:  # noqa: ANN001 - HighsCallbackEvent
        with lock:
            if state["left"]:
                return
            x = np.array(e.data_out.mip_solution, dtype=float)
            obj = float(e.data_out.objective_function_value)
            bound = float(e.data_out.mip_dual_bound)
            seen(e)
            out.improving += 1
            if obj < state["best"] - _TOL:
                state["best"], state["best_x"] = obj, x
                if on_improve is not None:
                    on_improve(x, obj, bound if math.isfinite(bound) else None, time.perf_counter() - t0)

    def interrupt(e) -> None:  # noqa: ANN001
        if state["left"] or (should_stop is not None and should_stop()):
            e.interrupt()

    def mip_interrupt(e) -> None:  # noqa: ANN001
        interrupt(e)
        with lock:
            if state["left"]:
                return
            seen(e)
            if state["pending"] is not None:
                confirm(float(e.data_out.mip_primal_bound))

    def user_solution(e) -> None:  # noqa: ANN001
        interrupt(e)
        now = time.perf_counter()
        with lock:
            if state["left"]:
                return
            primal = float(e.data_out.mip_primal_bound)
            confirm(primal)
            if inbox is None or state["pending"] is not None or now - state["last_poll"] < cfg.poll_s:
                return
            state["last_poll"] = now
        try:
            x = inbox()
        except Exception:  # noqa: BLE001 - a broken mailbox must not stop the search
            x = None
        if x is None:
            return
        obj = lp.objective(x)
        if obj < min(primal, state["best"]) - _TOL and lp.is_feasible(x):
            if e.data_in.setSolution(np.asarray(x, dtype=float)) == highspy.HighsStatus.kOk:
                with lock:
                    state["pending"] = (x, obj)

    if start is not None and out.start_accepted:
        state["best"], state["best_x"] = lp.objective(start), np.asarray(start, dtype=float)
    h.cbMipImprovingSolution += improving
    if should_stop is not None or inbox is not None or cfg.time_limit is not None:
        h.cbMipInterrupt += mip_interrupt
        h.cbSimplexInterrupt += interrupt
        h.cbIpmInterrupt += interrupt
    if inbox is not None:
        h.cbMipUserSolution += user_solution
    if should_stop is not None and should_stop():
        out.status = highspy.HighsModelStatus.kInterrupt
        return out
    # the task scheduler is global and keeps the first run's thread count; a later run with
    # another ``threads`` would be refused, so each run starts with a fresh one
    finished = threading.Event()
    failed: list[BaseException] = []

    def work() -> None:
        try:
            highspy.Highs.resetThreadScheduler(False)
            try:
                h.run()
            finally:
                highspy.Highs.resetThreadScheduler(False)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            failed.append(exc)
        finally:
            finished.set()

    worker = threading.Thread(target=work, name="highs-run", daemon=True)
    worker.start()
    deadline = None if cfg.time_limit is None else t0 + float(cfg.time_limit)
    told: float | None = None  # when the run was told to end (a stop, or its time limit passed)
    while not finished.wait(0.05):
        now = time.perf_counter()
        if told is None and ((should_stop is not None and should_stop()) or (deadline is not None and now > deadline)):
            told = now
        if told is not None and now - told > DETACH_AFTER_S:
            cancelled = should_stop is not None and should_stop()
            return _left_behind_outcome(out, state, lock, worker, log, cancelled=cancelled, t0=t0)
    if failed:
        raise failed[0]
    out.status = h.getModelStatus()
    info = h.getInfo()
    if state["pending"] is not None:
        confirm(float(info.objective_function_value) if info.primal_solution_status == 2 else math.inf)
    if info.primal_solution_status == 2:
        out.x = np.array(h.getSolution().col_value, dtype=float)
        out.objective = float(info.objective_function_value)
    bound = float(info.mip_dual_bound)
    if not lp.integer.any():  # a pure LP (every order fixed, e.g. all pinned): no MIP bound is reported
        optimal = out.status == highspy.HighsModelStatus.kOptimal and out.objective is not None
        bound = out.objective if optimal else math.nan
    out.bound = bound if math.isfinite(bound) else None
    out.start_accepted = out.start_accepted and _start_taken(log)
    out.log = "".join(log)
    out.stats = {"nodes": int(info.mip_node_count), "highs_time": round(float(h.getRunTime()), 4)}
    return out


def _start_taken(log: list[str]) -> bool:
    """HiGHS says in its log that it took the MIP start; a start it could not use leaves no such line."""
    return any("MIP start solution is feasible" in m for m in log)


def _left_behind_outcome(out: Outcome, state: dict, lock: threading.Lock, worker: threading.Thread, log: list[str],
                         cancelled: bool, t0: float) -> Outcome:
    """The outcome of a run still busy after a stop or its time limit: the best solution and bound
    its callbacks reported. The run itself is told to stop and ends in the background."""
    with lock:
        state["left"] = True
        x, best, bound = state["best_x"], state["best"], state["bound"]
    with _left_lock:
        _left_behind.append(worker)
    out.status = highspy.HighsModelStatus.kInterrupt if cancelled else highspy.HighsModelStatus.kTimeLimit
    out.x = x
    out.objective = best if x is not None else None
    out.bound = bound if math.isfinite(bound) else None
    out.start_accepted = out.start_accepted and _start_taken(log)
    out.log = "".join(log) + f"\n(HiGHS was still busy {DETACH_AFTER_S} s after being told to stop; left to end)\n"
    out.stats = {"nodes": state["nodes"], "highs_time": round(time.perf_counter() - t0, 4), "left_running": True}
    return out
