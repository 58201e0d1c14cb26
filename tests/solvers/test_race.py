"""The race: members in parallel processes, shared solutions, the first proof stops all, one wall-clock limit."""

from __future__ import annotations

import json
import multiprocessing
import queue
import threading
import time

import pytest
from opsplan.models import check, objective_value
from opsplan.models.errors import SolverError
from opsplan.models.jobshop.build import random_jobshop
from opsplan.models.schedule import Assignment, Category
from opsplan.solvers import Params, StopToken, Termination, solve
from opsplan.solvers import race as race_mod

pytest.importorskip("pyomo")
pytest.importorskip("highspy")


@pytest.fixture
def hard_shop(bench_dir):
    """abz7 (20x15): no backend proves it in seconds."""
    from opsplan.models.jobshop.importers import import_orlib_jobshop

    return import_orlib_jobshop(bench_dir / "jobshop" / "abz7.txt").scenario


def test_race_proves_a_small_shop_and_says_who_and_when(tiny_jobshop):
    seen = []
    r = solve(tiny_jobshop, "race", Params(time_limit=30, threads=2, options={"solvers": "cpsat,mip"}),
              on_progress=seen.append)
    assert r.status == "optimal" and r.objective == 11 and r.bound == 11
    assert check(tiny_jobshop, r.schedule) == [] and objective_value(tiny_jobshop, r.schedule) == 11
    st = r.stats
    assert st["members"] == ["cpsat", "mip"]
    assert st["winner"] and st["found_at_s"] is not None and st["proved_by"] in ("cpsat", "mip")
    assert "best from" in r.message and "proven by" in r.message
    # every curve point came through on_progress under its member's name
    assert {p.solver for p in seen} <= set(st["curves"])
    assert st["seed"].startswith("dispatch:") and st["seed"] in st["curves"]
    assert r.runtime_s < 25


def test_time_limit_is_one_wall_clock_for_all(hard_shop):
    sc = hard_shop
    t0 = time.perf_counter()
    r = solve(sc, "race", Params(time_limit=4, threads=2))
    wall = time.perf_counter() - t0
    assert wall < 4 + race_mod._GRACE_S + 2
    assert r.termination == Termination.TIME_LIMIT and r.status == "feasible"
    assert check(sc, r.schedule) == []
    assert r.bound is not None and r.bound <= r.objective
    assert set(r.stats["per_member"]) == {"cpsat", "tabu"}  # a classic shop: cpsat and a second tabu walk
    assert r.stats["per_member"]["tabu"]["objective"] is not None


@pytest.mark.skipif("forkserver" not in __import__("multiprocessing").get_all_start_methods(),
                    reason="no fork server on this platform: members are spawned afresh")
def test_members_are_forked_ready_by_the_fork_server(hard_shop):
    """Members come from the fork server, which has imported the solvers and loaded the kernel,
    so they need not start a Python and import everything first (about 1.5 s a member); a race
    with a member the server did not preload still runs (the member imports it)."""
    assert race_mod._context(["cpsat", "tabu"]).get_start_method() == "forkserver"
    r = solve(hard_shop, "race", Params(time_limit=2, threads=2, options={"solvers": "cpsat,tabu"}))
    assert {m: info["preloaded"] for m, info in r.stats["per_member"].items()} == {"cpsat": True, "tabu": True}
    assert check(hard_shop, r.schedule) == []
    r = solve(hard_shop, "race", Params(time_limit=2, threads=2, options={"solvers": "tabu,dispatch:spt"}))
    assert r.stats["per_member"]["dispatch:spt"]["objective"] is not None
    assert all(info["preloaded"] for info in r.stats["per_member"].values())


def test_the_fork_server_loads_the_compiled_kernel():
    """Importing race_server loads the tabu kernel from numba's cache (once, in the server)."""
    import subprocess
    import sys

    from opsplan.solvers.local import tabu_kernel

    tabu_kernel.warm()  # into the cache, as ``make`` does after installing
    code = ("from opsplan.solvers.local import tabu_kernel as k; before = bool(k.run.signatures); "
            "from opsplan.solvers import race_server; print(before, bool(k.run.signatures))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == ["False", "True"]


def test_default_members_by_shape(tiny_jobshop, hard_shop):
    """A classic makespan shop gets cpsat and a tabu walk; as soon as the tabu search cannot
    handle the scenario (a due-date objective, a flexible operation, setups...), cpsat and mip."""
    from dataclasses import replace

    from opsplan.models.jobshop.scenario import Objective

    assert race_mod.default_members(hard_shop, Params()) == ["cpsat", "tabu"]
    tardy = replace(tiny_jobshop, objective=Objective.TOTAL_WEIGHTED_TARDINESS)
    assert race_mod.default_members(tardy, Params()) == ["cpsat", "mip"]
    pin = Assignment(hard_shop.jobs[0].operations[0].id, hard_shop.jobs[0].operations[0].modes[0].resource, 0,
                     hard_shop.jobs[0].operations[0].modes[0].duration, Category.WORK)
    assert race_mod.default_members(hard_shop, Params(pinned=(pin,))) == ["cpsat", "mip"]


def test_every_member_gets_its_own_seed_and_thread_share():
    """The lead's tabu phase and the tabu member start from the same schedule: with one seed they
    would walk the same path."""
    shares = race_mod._thread_shares(["cpsat", "tabu", "mip"], 2, "lead")
    got = race_mod._member_params(Params(seed=7, threads=2), ["cpsat", "tabu", "mip"], shares)
    assert [got[n].seed for n in ("cpsat", "tabu", "mip")] == [7, 8, 9]
    assert [got[n].threads for n in ("cpsat", "tabu", "mip")] == [2, 1, 1]


def test_cancel_stops_every_member(hard_shop):
    sc = hard_shop
    stop = StopToken()
    threading.Timer(2.0, stop.set).start()
    t0 = time.perf_counter()
    r = solve(sc, "race", Params(time_limit=60, threads=2), stop=stop)
    assert time.perf_counter() - t0 < 2.0 + race_mod._GRACE_S + 1.5
    assert r.termination == Termination.CANCELLED and r.schedule is not None
    assert check(sc, r.schedule) == []


def test_members_from_options_and_bad_members():
    sc = random_jobshop(4, 3, seed=1)
    r = solve(sc, "race", Params(time_limit=20, threads=2, options={"solvers": "cpsat,dispatch:spt"}))
    assert r.status == "optimal" and r.stats["members"] == ["cpsat", "dispatch:spt"]
    assert r.stats["per_member"]["dispatch:spt"]["status"] in ("feasible", "cancelled")  # cpsat may prove first
    with pytest.raises(SolverError, match="unknown solver"):
        solve(sc, "race", Params(options={"solvers": ["cpsat", "nosuch"]}))
    with pytest.raises(SolverError, match="cannot be a member"):
        solve(sc, "race", Params(options={"solvers": ["race"]}))
    pin = Assignment(sc.jobs[0].operations[0].id, sc.jobs[0].operations[0].modes[0].resource, 0,
                     sc.jobs[0].operations[0].modes[0].duration, Category.WORK)
    with pytest.raises(SolverError, match="cannot keep pinned"):
        solve(sc, "race", Params(pinned=(pin,), options={"solvers": ["cpsat", "cpsat-textbook"]}))


def test_infeasible_race_is_explained():
    from dataclasses import replace

    from opsplan.models.jobshop.build import from_routes

    sc = from_routes("clash", [[[(0, 5)]], [[(0, 5)]]], 1)
    sc = replace(sc, jobs=tuple(replace(j, deadline=7) for j in sc.jobs))
    r = solve(sc, "race", Params(time_limit=20, threads=2))
    assert r.status == "infeasible" and "infeasibility proven by" in r.message
    assert {c.path for c in r.conflicts} == {"jobs[0].deadline", "jobs[1].deadline"}


def _run_cpsat_member(sc, params, shared, limit_s=6.0):  # noqa: ANN001, ANN202
    """Run cpsat as a race member (in a thread) for ``limit_s`` with ``shared`` (a Result) waiting in
    its inbox; return the messages it sent the race."""
    out_q, inbox = queue.Queue(), queue.Queue()
    t0 = time.monotonic()
    inbox.put(("solution", shared.objective, shared.schedule))
    alive, parent_end = multiprocessing.Pipe(duplex=False)
    worker = threading.Thread(target=race_mod._member_main,
                              args=("cpsat", sc, params, 0, t0 + limit_s, t0, out_q, inbox, alive))
    worker.start()
    worker.join(30)
    parent_end.close()
    msgs = []
    while not out_q.empty():
        msgs.append(out_q.get())
    return msgs


def test_a_member_without_inbox_restarts_on_a_better_shared_solution(hard_shop, monkeypatch):
    """cpsat, started without a hint, gets a far better schedule in its inbox: once its own best has
    been still for a while, it restarts from it."""
    monkeypatch.setattr(race_mod, "RESTART_STILL_S", 0.3)
    sc = hard_shop
    good = solve(sc, "cpsat", Params(time_limit=4, threads=2))
    msgs = _run_cpsat_member(sc, Params(time_limit=None, threads=1, options={"no_hint": True}), good)
    kinds = [m[0] for m in msgs]
    assert "restart" in kinds, kinds
    assert [m for m in msgs if m[0] == "restart"][0][2] == good.objective  # restarted from the shared one
    done = [m for m in msgs if m[0] == "done"][0][2]
    assert done["restarts"] >= 1 and done["objective"] is not None


def test_restart_rules():
    """A member without an inbox is restarted on a better shared solution only with time and restarts
    left, and never while it takes shared solutions itself, is still starting, or still improving."""
    due = race_mod._restart_due
    still = race_mod.RESTART_STILL_S
    assert due(True, 30.0, 0, 10.0, False, still)
    assert not due(False, 30.0, 0, 10.0, False, still)  # not better than its own
    assert not due(True, race_mod.RESTART_MIN_LEFT_S - 0.1, 0, 10.0, False, still)
    assert not due(True, 30.0, race_mod.MAX_RESTARTS, 10.0, False, still)
    assert not due(True, 30.0, 0, race_mod.INBOX_ACTIVE_S / 2, False, still)  # it reads its inbox just now
    assert not due(True, 30.0, 0, 10.0, True, still)  # cpsat before its tabu phase is over
    assert not due(True, 30.0, 0, 10.0, False, still - 0.1)  # its own best improved just now


def test_cpsat_is_not_restarted_before_its_tabu_phase(hard_shop, monkeypatch):
    """A better schedule waits in cpsat's inbox while cpsat is still starting (a slow start, as in a
    freshly spawned process): cpsat is not restarted on it (restarted while starting, its walk would
    begin from the other walk's schedule), and CP-SAT starts from its own walk, not from the shared
    schedule (measured on la27: a better shared start was a worse one for CP-SAT)."""
    from opsplan.solvers import cpsat
    from opsplan.solvers.local import tabu_kernel

    tabu_kernel.warm()  # under a short limit cpsat skips an uncompiled kernel
    sc = hard_shop
    good = solve(sc, "cpsat", Params(time_limit=4, threads=2))
    slow_start = cpsat._initial_schedule

    def initial(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        time.sleep(1.0)  # several of the restart watcher's polls
        return slow_start(*args, **kwargs)

    monkeypatch.setattr(cpsat, "_initial_schedule", initial)
    monkeypatch.setattr(race_mod, "RESTART_STILL_S", 0.0)  # only the start holds the restart back
    msgs = _run_cpsat_member(sc, Params(time_limit=None, threads=1, options={"tabu_stall": 1}), good, limit_s=3.5)
    done = [m for m in msgs if m[0] == "done"][0][2]
    assert "restart" not in [m[0] for m in msgs] and done["restarts"] == 0
    assert done["stats"]["hint"].startswith("tabu search from")
    assert done["stats"]["hint_objective"] > good.objective  # the shared schedule was better, and not taken


def test_a_member_still_improving_is_not_restarted(hard_shop, monkeypatch):
    """A better shared schedule waits while the member's own best keeps improving; once its own best
    has been still for ``RESTART_STILL_S``, the member restarts from the shared schedule."""
    sc = hard_shop
    good = solve(sc, "cpsat", Params(time_limit=4, threads=2))
    slow = Params(time_limit=None, threads=1, options={"no_hint": True})
    monkeypatch.setattr(race_mod, "RESTART_STILL_S", 1e9)
    msgs = _run_cpsat_member(sc, slow, good, limit_s=5.0)
    assert "restart" not in [m[0] for m in msgs]
    assert [m for m in msgs if m[0] == "done"][0][2]["objective"] > good.objective
    monkeypatch.setattr(race_mod, "RESTART_STILL_S", 0.5)
    msgs = _run_cpsat_member(sc, slow, good, limit_s=8.0)
    own = [m[3] for m in msgs if m[0] == "solution"]
    restart = [m for m in msgs if m[0] == "restart"][0]
    assert restart[2] == good.objective
    decided = restart[4]  # the run it stops may still report a solution before the restart message
    assert decided >= 0.5  # started (and so its own best) at least RESTART_STILL_S before
    assert decided - max([t for t in own if t < decided], default=0.0) >= 0.5  # its own best was still


def test_cli_race(tmp_path, capsys, bench_dir):
    from opsplan.app.cli import main

    rc = main(["solve", str(bench_dir / "jobshop" / "ft06.txt"), "--format", "orlib-jobshop",
               "--solvers", "cpsat,mip", "--time-limit", "30", "--threads", "2", "--json"])
    res = json.loads(capsys.readouterr().out)
    assert rc == 0 and res["solver"] == "race" and res["status"] == "optimal" and res["objective"] == 55
    assert res["violations"] == 0 and res["race"]["members"] == ["cpsat", "mip"] and res["race"]["winner"]
    rc = main(["solve", str(bench_dir / "jobshop" / "ft06.txt"), "--format", "orlib-jobshop",
               "--solver", "cpsat", "--solvers", "cpsat,mip"])
    assert rc != 0 and "--solver race" in capsys.readouterr().err


def test_a_member_stops_when_its_parent_dies(hard_shop):
    """No orphans: a member without a time limit stops once its parent process is gone (its end of
    the pipe closes, as the kernel closes it when the parent dies, however it died)."""
    out_q, inbox = queue.Queue(), queue.Queue()
    t0 = time.monotonic()
    alive, parent_end = multiprocessing.Pipe(duplex=False)
    worker = threading.Thread(target=race_mod._member_main,
                              args=("cpsat", hard_shop, Params(threads=1), 0, None, t0, out_q, inbox, alive))
    worker.start()
    time.sleep(1.5)
    assert worker.is_alive()
    parent_end.close()
    worker.join(10)
    assert not worker.is_alive()
    msgs = []
    while not out_q.empty():
        msgs.append(out_q.get())
    done = [m for m in msgs if m[0] == "done"][0][2]
    assert done["termination"] == "cancelled"


def test_ctrl_c_cancels_the_race_cleanly(bench_dir):
    """Ctrl+C reaches the whole process group: the race stops, reports its best, no member prints a traceback."""
    import os
    import signal
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "opsplan.app.cli", "solve", str(bench_dir / "jobshop" / "abz7.txt"),
           "--format", "orlib-jobshop", "--solver", "race", "--time-limit", "60", "--threads", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(5)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stopped: cancelled" in out and "checker    0 violation(s)" in out
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
