"""The race (``race``): several backends in parallel processes on one scenario, under one wall-clock limit.

How it runs
-----------
1. **Seed.** The warm start, else the best deterministic dispatch rule, is
   computed once here; it is the first incumbent and the warm start (hint, MIP
   start) of every exact member.
2. **Members** (``Params.options["solvers"]``, default :func:`default_members`: the kind's
   ``race_members``; a member whose ``why_not`` refuses the scenario is left out)
   each run in their own process, forked by a ``forkserver`` (``spawn`` where there is none):
   a helper process started once per application that has imported the solvers and loaded
   the compiled kernels (:mod:`opsplan.solvers.race_server`), so a member starts in
   milliseconds rather than the second and a half a fresh process takes; it is safe beside
   Qt and solver threads, since the server itself is a fresh single-threaded process.
   Thread shares: by default (``options["race_threads"] = "lead"``) the first
   member is the *lead* and gets every thread at normal priority, the others
   one thread each at the lowest CPU priority, so on a small machine the race
   never starves the lead and the others use what is left; ``"even"`` splits
   the threads evenly at equal priority. Each member gets a seed of its own
   (the lead keeps the caller's: ``seed + k`` for the k-th member).
3. **Sharing.** Every improving solution goes to the parent, which forwards it
   to the other members: a backend with an inbox (``mip``: HiGHS takes it as a
   user solution mid-search; ``tabu`` and ``ils`` jump to it) gets it at once;
   ``cpsat`` (like any backend without an inbox) is restarted on it, warm-started,
   when it is better than its own best, enough time is left, and the member's own
   best has not improved for ``RESTART_STILL_S``: a member that is still improving
   keeps its path (measured on la27: CP-SAT started from a better shared schedule
   did worse than from its own). A backend that builds its own start (capability
   ``own_start``: cpsat's tabu phase) is never restarted before it says it is done
   (``options["started"]``): restarted while starting, cpsat would begin its walk
   from the other walk's schedule, and both walks would search the same place.
4. **Stop.** A member's proof (optimal or infeasible) stops all; so does a
   bound from one member that meets another's solution. The result says which
   member found the best solution and when (``stats["winner"]``,
   ``stats["found_at_s"]``), who proved it, and each member's curve
   (``stats["curves"]``).
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import queue
import threading
import time
from dataclasses import replace
from typing import Any

from opsplan.models import objective_value
from opsplan.models.errors import SolverError
from opsplan.models.kinds import descriptor
from opsplan.models.schedule import Schedule
from opsplan.solvers import registry
from opsplan.solvers.registry import EARLIEST, INBOX, OWN_START, PINS
from opsplan.solvers.result import (
    Params,
    Progress,
    ProgressCallback,
    Result,
    SolutionStatus,
    StopToken,
    Termination,
)
from opsplan.solvers.starting import feasible_start, start_deadline

NAME = "race"
VERSION = "1"
RESTART_MIN_LEFT_S = 3.0  # restart a member on a better shared solution only with this much time left
MAX_RESTARTS = 4
INBOX_ACTIVE_S = 0.5  # a member that read its inbox this recently is not restarted on a shared solution
RESTART_STILL_S = 5.0  # ... nor one whose own best improved this recently (it keeps its path)
_GRACE_S = 3.0  # after the limit or a stop: wait this long for members to report, then end them
_REPORTED_JOIN_S = 0.05  # a member that has reported gets this long to exit before it is ended


def members(sc, params: Params, skipped: dict[str, str] | None = None) -> list[str]:  # noqa: ANN001
    """The member solver names for ``sc``: ``options["solvers"]`` (a list or 'a,b,c') or the kind's default.

    A member whose ``why_not`` refuses the scenario is left out (with its reason in ``skipped``),
    and so is a default member that is not installed.
    """
    raw = params.options.get("solvers")
    if isinstance(raw, str):
        raw = [s for s in (x.strip() for x in raw.split(",")) if s]
    names = list(raw) if raw else default_members(sc, params)
    out: list[str] = []
    for name in names:
        backend, _ = registry.split_name(name)  # raises on unknown names
        if backend.name == NAME:
            raise SolverError("a race cannot be a member of a race")
        if sc.kind not in backend.kinds:
            raise SolverError(f"race member '{name}' does not handle {sc.kind} scenarios")
        registry.split_name(name, sc.kind)  # its variant must be one of the kind's
        if not registry.is_installed(backend, sc.kind):
            if raw:
                raise SolverError(f"race member '{name}' is not installed (needs: {', '.join(backend.requires)})")
            continue  # a default member that is missing is left out
        caps = registry.capabilities(backend, sc.kind)
        if params.pinned and PINS not in caps:
            raise SolverError(f"race member '{name}' cannot keep pinned {descriptor(sc).task_word}s")
        if params.options.get("earliest") and EARLIEST not in caps:
            raise SolverError(f"race member '{name}' cannot honour earliest start times")
        why = registry.why_not(backend, sc, params)
        if why:
            if skipped is not None:
                skipped[name] = why
            continue
        if name not in out:
            out.append(name)
    if not out:
        why = "; ".join(f"{k}: {v}" for k, v in (skipped or {}).items())
        raise SolverError("the race has no installed member solver" + (f" that can run here ({why})" if why else ""))
    return out


def default_members(sc, params: Params) -> list[str]:  # noqa: ANN001
    """The kind's default members (its ``race_members``, see :class:`~opsplan.solvers.registry.KindSolvers`)."""
    ref = registry.kind_solvers(sc.kind).race_members
    return list(registry.resolve(ref)(sc, params)) if ref is not None else []


def _thread_shares(names: list[str], threads: int, how: str) -> dict[str, tuple[int, int]]:
    """member -> (threads, nice increment)."""
    total = threads or os.cpu_count() or 1
    if how == "even":
        each = max(1, total // len(names))
        return {n: (each, 0) for n in names}
    # a quick member (a rule or a learned policy) keeps normal priority: it ends within seconds, and
    # under the lead's threads a niced one might not even start before the race is over
    return {n: ((total, 0) if k == 0 else (1, 0 if _quick(n) else 19)) for k, n in enumerate(names)}


def _member_params(params: Params, names: list[str], shares: dict[str, tuple[int, int]]) -> dict[str, Params]:
    """Each member's parameters: its thread share, and a seed of its own (the lead keeps the
    caller's), so two randomised searches from the same start never walk the same path."""
    return {n: replace(params, threads=shares[n][0], seed=params.seed + k) for k, n in enumerate(names)}


def _quick(name: str) -> bool:
    return registry.family(name).quick


# -- the member process -------------------------------------------------------------
def _restart_due(better: bool, left_s: float, restarts: int, read_ago_s: float, starting: bool,
                 still_s: float) -> bool:
    """Whether a member without an inbox is restarted on a shared solution: it must be ``better``
    than the member's own, with enough time left and restarts to spare; the member must not be
    taking shared solutions itself (it read its inbox ``read_ago_s`` ago), nor be ``starting`` (cpsat
    before its tabu phase is over), nor be improving on its own (its best is ``still_s`` old)."""
    if starting or read_ago_s < INBOX_ACTIVE_S or still_s < RESTART_STILL_S:
        return False
    return better and left_s > RESTART_MIN_LEFT_S and restarts < MAX_RESTARTS


def _member_main(name: str, sc, params: Params, nice: int, deadline: float | None, t0: float,  # noqa: ANN001
                 out_q, inbox_q, alive, registrations: tuple[str, ...] = ()) -> None:  # noqa: ANN001
    """Run one member; report progress, solutions and the final result on ``out_q``.

    ``alive`` is the read end of a pipe whose only writer is the race's parent and which it never
    writes: it reads as ended once the parent is gone, however it died. ``registrations`` are the
    parent's registration modules (a family a higher layer registered, such as ``policy``).
    """
    import signal
    import sys

    preloaded = "opsplan.solvers.race_server" in sys.modules  # forked by the fork server, ready

    if threading.current_thread() is threading.main_thread():
        # Ctrl+C reaches the whole process group: the parent turns it into a stop for every member
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if nice:
        try:
            os.nice(nice)
        except OSError:
            pass
    from opsplan.solvers import solve

    registry.load_registrations(registrations)
    caps = registry.capabilities(name, sc.kind)
    has_inbox = INBOX in caps
    stop = StopToken()
    done = threading.Event()
    lock = threading.Lock()
    own: list[float | None] = [None]  # this member's best objective
    incoming: list[tuple[float, Schedule] | None] = [None]  # best shared solution not yet used
    restart = threading.Event()
    run_stop: list[StopToken] = [StopToken()]
    own_start = OWN_START in caps
    started = threading.Event()  # for such a member: this run has built its start

    def elapsed() -> float:
        return time.monotonic() - t0

    def listen() -> None:
        """The only reader of this member's inbox: shared solutions and the stop message.

        A member whose parent died stops too: no orphan runs on. (Not by its parent process id:
        a member's parent is the fork server, which lives on while any member holds its pipe.)
        """
        while not done.is_set():
            try:
                msg = inbox_q.get(timeout=0.1)
            except queue.Empty:
                if _ended(alive):
                    stop.set()
                    run_stop[0].set()
                    return
                continue
            except (EOFError, OSError):
                return
            if msg[0] == "stop":
                stop.set()
                run_stop[0].set()
                return
            _, obj, sched = msg
            with lock:
                if incoming[0] is None or obj < incoming[0][0]:
                    incoming[0] = (obj, sched)

    inbox_read = [-math.inf]  # when the backend last read its inbox (monotonic time)
    own_at = [time.monotonic()]  # when this member's own best last improved (or it started)
    decided_at = [0.0]  # when the restart watcher last decided to restart (seconds since t0)

    def inbox() -> Schedule | None:
        """The best shared solution better than our own, once (read by backends with an inbox)."""
        inbox_read[0] = time.monotonic()
        with lock:
            got, incoming[0] = incoming[0], None
            if got is None or (own[0] is not None and got[0] >= own[0]):
                return None
            return got[1]

    def poll_restart() -> None:
        """For backends without an inbox: restart the run on a better shared solution."""
        while not done.is_set() and not stop.is_set():
            time.sleep(0.2)
            with lock:
                got = incoming[0]
                better = got is not None and (own[0] is None or got[0] < own[0])
            now = time.monotonic()
            left = math.inf if deadline is None else deadline - now
            if not restart.is_set() and _restart_due(better, left, restarts[0], now - inbox_read[0],
                                                     own_start and not started.is_set(), now - own_at[0]):
                decided_at[0] = now - t0
                restart.set()
                run_stop[0].set()

    def on_progress(p: Progress) -> None:
        out_q.put(("progress", name, p.objective, p.bound, elapsed()))

    def on_solution(schedule: Schedule, objective: float) -> None:
        with lock:
            if own[0] is not None and objective >= own[0]:
                return
            own[0] = objective
            own_at[0] = time.monotonic()
            at = own_at[0] - t0
        out_q.put(("solution", name, objective, at, schedule))

    threading.Thread(target=listen, daemon=True).start()
    restarts = [0]
    if not has_inbox:
        threading.Thread(target=poll_restart, daemon=True).start()
    options = dict(params.options)
    options.pop("solvers", None)
    options["on_solution"] = on_solution
    options["explain"] = False  # the parent explains once
    options["inbox"] = inbox  # read by backends with an inbox
    options["started"] = started.set  # cpsat: its tabu phase is over (or skipped)
    warm = params.warm_start
    best_bound: float | None = None
    proven = False
    final: Result | None = None
    try:
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            run = replace(params, time_limit=left, warm_start=warm, options=options)
            r = solve(sc, name, run, on_progress, run_stop[0])
            if r.schedule is not None and r.objective is not None:
                on_solution(r.schedule, r.objective)
            if r.bound is not None and r.termination != Termination.INFEASIBLE:
                best_bound = r.bound if best_bound is None else max(best_bound, r.bound)
            final = r
            if r.solution_status == SolutionStatus.OPTIMAL or r.termination == Termination.INFEASIBLE:
                proven = True
                break
            if not restart.is_set() or stop.is_set():
                break
            # a better shared solution arrived: start again from it
            with lock:
                got, incoming[0] = incoming[0], None
            restart.clear()
            started.clear()  # the new run builds its start again
            restarts[0] += 1
            run_stop[0] = StopToken()
            if stop.is_set():
                break
            if got is not None:
                warm = got[1]
                out_q.put(("restart", name, got[0], elapsed(), decided_at[0]))
    except Exception as exc:  # report, never hang the parent
        out_q.put(("error", name, f"{type(exc).__name__}: {exc}", elapsed()))
        done.set()
        return
    done.set()
    assert final is not None
    out_q.put(("done", name, {
        "status": final.status,
        "termination": final.termination.value,
        "objective": own[0],
        "bound": best_bound,
        "proven": proven,
        "runtime_s": round(elapsed(), 3),
        "restarts": restarts[0],
        "preloaded": preloaded,
        "message": final.message,
        "version": final.solver_version,
        "stats": {k: v for k, v in final.stats.items() if isinstance(v, int | float | str | bool | type(None))},
    }, elapsed()))


def _ended(alive) -> bool:  # noqa: ANN001 - a multiprocessing connection
    """Whether the parent's end of ``alive`` is closed (the parent never writes to it)."""
    try:
        return alive.poll()
    except (EOFError, OSError):
        return True


# -- the parent -------------------------------------------------------------------
def _context(names: list[str], kind: str | None = None):  # noqa: ANN202 - a multiprocessing context
    """The members' process context: the fork server where the platform has one, else spawn.

    The server's preload list is fixed when it starts (the first race of the application): the
    registration modules, the members' entry point and kernels (:mod:`opsplan.solvers.race_server`)
    and that race's member backends (for ``kind``; for every kind they serve when None). A later
    race with other members imports what the server lacks in the member.
    """
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    backends = []
    for n in names:
        fam = registry.family(n)
        backends += [registry.entry(fam, k).module for k in fam.kinds if kind is None or k == kind]
    modules = [*registry.registration_modules(), "opsplan.solvers.race_server", *backends]
    ctx.set_forkserver_preload(list(dict.fromkeys(modules)))
    return ctx


class _Server:
    """Gets the members' process context ready in the background (starting the fork server takes
    about as long as a fresh process), so the race can compute its seed meanwhile."""

    def __init__(self, names: list[str], kind: str) -> None:
        self._ctx = _context(names, kind)
        self._thread: threading.Thread | None = None
        if self._ctx.get_start_method() == "forkserver":
            from multiprocessing import forkserver

            # a failure here is not lost: starting a member tries again and raises it
            self._thread = threading.Thread(target=forkserver.ensure_running, daemon=True,
                                            name="race-forkserver")
            self._thread.start()

    def join(self):  # noqa: ANN201 - a multiprocessing context
        if self._thread is not None:
            self._thread.join()
        return self._ctx


def solve(sc, params: Params, on_progress: ProgressCallback | None, stop: StopToken, variant=None) -> Result:  # noqa: ANN001
    t0 = time.monotonic()
    skipped: dict[str, str] = {}
    names = members(sc, params, skipped)
    if params.options.get("max_changes") is not None:
        raise SolverError("the race does not support a change budget (max_changes)")
    if stop.is_set():
        return Result(Termination.CANCELLED, SolutionStatus.NONE, None, None, None, 0.0, NAME, VERSION,
                      message="cancelled before the race started")
    deadline = None if params.time_limit is None else t0 + float(params.time_limit)

    curves: dict[str, list[tuple[float, float | None, float | None]]] = {n: [] for n in names}
    best: dict[str, Any] = {"objective": None, "schedule": None, "by": "", "at": None}
    bound: float | None = None

    def elapsed() -> float:
        return time.monotonic() - t0

    def stop_members() -> None:
        if not stop_all.is_set():
            stop_all.set()
            for q in inboxes.values():
                q.put(("stop",))

    def report(member: str, objective: float | None, b: float | None) -> None:
        curves.setdefault(member, []).append((round(elapsed(), 3), objective, b))
        if on_progress is not None:
            on_progress(Progress(objective, b, elapsed(), member))

    def offer(member: str, objective: float, schedule: Schedule) -> bool:
        if best["objective"] is None or objective < best["objective"]:
            best.update(objective=objective, schedule=schedule, by=member, at=round(elapsed(), 3))
            return True
        return False

    server = _Server(names, sc.kind)  # starts the fork server (first race only) while the seed is computed
    # the race's own clock is monotonic; the start's deadline is on perf_counter, from now
    seed, source = feasible_start(sc, params, deadline=start_deadline(time.perf_counter(), params), stop=stop)
    if seed is not None:
        value = objective_value(sc, seed)
        offer(source, value, seed)
        report(source, value, None)
        params = replace(params, warm_start=seed)

    shares = _thread_shares(names, params.threads, str(params.options.get("race_threads", "lead")))
    ctx = server.join()
    out_q = ctx.Queue()
    stop_all = threading.Event()  # not a multiprocessing.Event: a member ending inside its wait would hold its lock
    inboxes = {n: ctx.Queue() for n in names}
    alive_r, alive_w = ctx.Pipe(duplex=False)  # the members' sign of this process's life: kept open
    procs: dict[str, Any] = {}
    child_params = replace(params, options={k: v for k, v in params.options.items()
                                            if k not in ("on_solution", "inbox", "solvers")})
    member_params = _member_params(child_params, names, shares)
    registrations = registry.registration_modules()
    for n in names:
        p = ctx.Process(target=_member_main, name=f"race-{n}",
                        args=(n, sc, member_params[n], shares[n][1], deadline, t0,
                              out_q, inboxes[n], alive_r, registrations), daemon=True)
        p.start()
        procs[n] = p

    finals: dict[str, dict] = {}
    errors: dict[str, str] = {}
    proved_by = ""
    bound_by = ""
    infeasible_by = ""
    stopped_at: float | None = None
    while len(finals) + len(errors) < len(names):
        now = time.monotonic()
        if stop.is_set() or (deadline is not None and now > deadline):
            stop_members()
        if stop_all.is_set() and stopped_at is None:
            stopped_at = now
        if stopped_at is not None and now - stopped_at > _GRACE_S:
            break
        if all(not p.is_alive() for p in procs.values()) and out_q.empty():
            time.sleep(0.2)  # let the feeder threads flush, then read once more
            if out_q.empty():
                break
        try:
            msg = out_q.get(timeout=0.1)
        except queue.Empty:
            continue
        kind, member = msg[0], msg[1]
        if kind == "progress":
            _, _, obj, b, _t = msg
            if b is not None and (bound is None or b > bound):
                bound, bound_by = b, member
            report(member, obj, b)
        elif kind == "solution":
            _, _, obj, _t, schedule = msg
            value = objective_value(sc, schedule)  # never trust a number we can recompute
            if offer(member, value, schedule):
                for other, q in inboxes.items():
                    if other != member:
                        q.put(("solution", value, schedule))
        elif kind == "restart":
            curves.setdefault(member, [])
        elif kind == "done":
            info = msg[2]
            finals[member] = info
            b = info["bound"]
            if b is not None and info["status"] != "infeasible" and (bound is None or b > bound):
                bound, bound_by = b, member
            if info["proven"] and info["status"] == "optimal" and not proved_by:
                proved_by = member
                stop_members()
            elif info["proven"] and info["status"] == "infeasible" and not infeasible_by:
                infeasible_by = member
                stop_members()
        elif kind == "error":
            errors[member] = msg[2]
        if best["objective"] is not None and bound is not None and bound >= best["objective"] and not proved_by:
            proved_by = bound_by
            stop_members()

    stop_members()
    ended: list[str] = []  # members the race itself ended after the grace period (not failures)
    for n, p in procs.items():
        # a member that reported has nothing left to say: its interpreter's teardown (OR-Tools,
        # Pyomo, HiGHS unloading) is not the user's time, so it gets a moment, not a second
        p.join(timeout=_REPORTED_JOIN_S if n in finals or n in errors else 1.0)
        if p.is_alive():
            p.terminate()
            p.join(timeout=1.0)
            if n not in finals and n not in errors:
                ended.append(n)
    for q in (out_q, *inboxes.values()):
        q.cancel_join_thread()
        q.close()
    alive_r.close()
    alive_w.close()
    for n, p in procs.items():
        if n not in finals and n not in errors and n not in ended:
            errors[n] = (f"process ended without a result (exit code {p.exitcode})" if p.exitcode
                         else "no result before the grace period ended")

    runtime = elapsed()
    objective = best["objective"]
    schedule = best["schedule"].renamed(NAME) if best["schedule"] is not None else None
    if bound is not None and objective is not None:
        bound = min(bound, objective)
    if schedule is not None and (proved_by or (bound is not None and bound >= objective)):
        term, sol = Termination.OPTIMAL, SolutionStatus.OPTIMAL
        bound = objective
        proved_by = proved_by or best["by"]
    elif infeasible_by and schedule is None:
        term, sol = Termination.INFEASIBLE, SolutionStatus.NONE
        bound = None
    else:
        sol = SolutionStatus.FEASIBLE if schedule is not None else SolutionStatus.NONE
        if stop.is_set():
            term = Termination.CANCELLED
        elif deadline is not None and time.monotonic() >= deadline - 0.05:
            term = Termination.TIME_LIMIT
        elif errors and not finals:
            term = Termination.ERROR
        else:
            term = Termination.COMPLETED
    parts = []
    if best["by"]:
        parts.append(f"best from {best['by']} at {best['at']:.2f} s")
    if proved_by:
        parts.append(f"optimality proven by {proved_by}")
    if infeasible_by:
        parts.append(f"infeasibility proven by {infeasible_by}")
    if ended:
        parts.append("ended by the race before reporting: " + ", ".join(ended))
    if errors:
        parts.append("failed: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
    if skipped:
        parts.append("left out: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()))
    stats = {
        "members": names,
        "threads": {n: shares[n][0] for n in names},
        "seed": source,
        "winner": best["by"],
        "found_at_s": best["at"],
        "proved_by": proved_by,
        "per_member": finals,
        "errors": errors,
        "ended": ended,
        "skipped": skipped,
        "curves": curves,
    }
    versions = ", ".join(f"{n}: {finals[n]['version']}" for n in names if n in finals and finals[n]["version"])
    return Result(term, sol, schedule, objective, bound, runtime, NAME, versions or VERSION,
                  message="; ".join(parts), stats=stats)
