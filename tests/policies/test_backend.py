"""The ``policy`` solver backend through the registry: end to end, limits, cancel, pins, deadlines."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from opsplan.models import check, objective_value
from opsplan.models.errors import SolverError
from opsplan.models.jobshop.build import random_jobshop
from opsplan.policies import runtime
from opsplan.policies.jobshop_env import JobShopEnv
from opsplan.policies.runtime import PolicyFileError, load_policy
from opsplan.solvers import EARLIEST, PINS, Params, StopToken, Termination, available, registry, solve, supports

from tests.policies.tiny_onnx import write
from tests.solvers.strategies import jobshops


@pytest.fixture
def spt_path(tmp_path):
    """A linear SPT policy file (no card) in a temporary folder."""
    return write(tmp_path / "spt.onnx", name="spt")


@pytest.fixture
def random_path(tmp_path):
    """A random linear policy (samples differ a lot), with a card."""
    w = np.random.default_rng(3).normal(size=(18, 1)).astype(np.float32)
    return write(tmp_path / "rnd.onnx", card=True, name="rnd", w=w)


@pytest.fixture
def shop():
    """A classic 8 x 5 random job shop."""
    return random_jobshop(8, 5, seed=4)


@pytest.fixture
def big_shop():
    """A 30 x 10 shop: one sampled batch takes a while."""
    return random_jobshop(30, 10, seed=5)


def test_end_to_end_via_the_registry(shop, random_path):
    """solve(sc, 'policy:<path>.onnx', samples=4) gives a checked, feasible result with the runtime's stats."""
    progress = []
    r = solve(shop, f"policy:{random_path}", Params(options={"samples": 4}, seed=2), on_progress=progress.append)
    assert r.status == "feasible" and r.termination == Termination.COMPLETED
    assert r.bound is None and r.solver == "policy:rnd"
    assert check(shop, r.schedule) == []
    assert r.objective == objective_value(shop, r.schedule)
    st = r.stats
    assert st["samples"] == 4 and st["policy"] == "rnd" and st["card"] == "rnd"
    assert st["provider"] in ("CPUExecutionProvider", "CUDAExecutionProvider")
    assert st["provider"] in r.message
    assert st["decisions"] > 0 and st["inference_calls"] > 0 and st["inference_s"] > 0 and st["env_s"] > 0
    assert progress and progress[-1].objective == r.objective and progress[-1].solver == "policy:rnd"
    greedy = load_policy(random_path).rollout([shop])[0]
    assert r.objective <= greedy.value
    again = solve(shop, f"policy:{random_path}", Params(options={"samples": 4}, seed=2))
    assert again.objective == r.objective  # same seed, same answer


def test_greedy_default_is_the_runtime_greedy(shop, spt_path):
    """Without samples the backend returns the greedy rollout."""
    r = solve(shop, f"policy:{spt_path}")
    assert r.stats["samples"] == 1
    assert r.objective == load_policy(spt_path).rollout([shop])[0].value


def test_registry_names(spt_path):
    """policy:<path>.onnx is accepted; other variants name what is known; policy honours pins and earliest."""
    backend, variant = registry.split_name(f"policy:{spt_path}")
    assert backend.name == "policy" and variant == str(spt_path)
    assert supports(f"policy:{spt_path}", PINS) and supports(f"policy:{spt_path}", EARLIEST)
    with pytest.raises(SolverError, match=r"solver 'policy' needs a variant, e\.g\. 'policy:"):
        registry.split_name("policy")
    with pytest.raises(SolverError, match=r"unknown policy variant 'nosuch'; known: .*\.onnx"):
        registry.split_name("policy:nosuch")
    with pytest.raises(SolverError, match="unknown dispatch variant 'x.onnx'; known: fifo"):
        registry.split_name("dispatch:x.onnx")  # other backends are as before


def test_shipped_policy_listed_and_solved(tmp_path, monkeypatch, shop):
    """A card in policies/shipped/ makes 'policy:<name>' available and solvable."""
    shipped = tmp_path / "policies" / "shipped"
    shipped.mkdir(parents=True)
    write(shipped / "fast.onnx", card=True, name="fast")
    from opsplan.policies import solver_registrations

    monkeypatch.setattr(solver_registrations, "shipped_dir", lambda: shipped)
    monkeypatch.setattr(runtime, "shipped_dir", lambda: shipped)
    assert "policy:fast" in available("jobshop")
    r = solve(shop, "policy:fast")
    assert r.solver == "policy:fast" and check(shop, r.schedule) == []


def test_the_policies_layer_registers_its_family_with_the_shipped_policies():
    """The policies layer plugs the policy family into the solvers' registry (the layer rule: solvers
    never import policies); its variants for a kind are the shipped policies of that kind."""
    from opsplan.policies import solver_registrations

    assert "opsplan.policies.solver_registrations" in registry.registration_modules()
    assert (solver_registrations.shipped_dir().parent / "features.py").is_file()
    assert set(registry.variants("policy", "jobshop")) == set(runtime.shipped_policies())


def test_bad_file_raises_policy_file_error(tmp_path, shop):
    """A file that does not fit the contract is refused before solving, naming the file."""
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"garbage")
    with pytest.raises(PolicyFileError, match="bad.onnx: not a valid ONNX model"):
        solve(shop, f"policy:{bad}")


def test_time_limit_stops_sampling(big_shop, random_path):
    """With a short limit the greedy rollout is kept and sampling stops near the limit (TIME_LIMIT)."""
    t = time.perf_counter()
    r = solve(big_shop, f"policy:{random_path}", Params(time_limit=1.0, options={"samples": 100_000, "batch": 16}))
    wall = time.perf_counter() - t
    assert r.termination == Termination.TIME_LIMIT and r.status == "feasible"
    assert 1 <= r.stats["samples"] < 100_000
    assert wall < 6.0, wall
    assert check(big_shop, r.schedule) == []


def test_zero_time_limit_still_returns_greedy(shop, spt_path):
    """time_limit=0: only the greedy rollout, flagged as stopped by the limit."""
    r = solve(shop, f"policy:{spt_path}", Params(time_limit=0.0, options={"samples": 50}))
    assert r.termination == Termination.TIME_LIMIT and r.stats["samples"] == 1 and r.schedule is not None


def test_cancel_before_start(shop, spt_path):
    """A stop token already set: cancelled, no schedule."""
    stop = StopToken()
    stop.set()
    r = solve(shop, f"policy:{spt_path}", stop=stop)
    assert r.termination == Termination.CANCELLED and r.schedule is None


def test_cancel_during_sampling(big_shop, random_path):
    """Setting the token from another thread stops within a second, keeping the best finished schedule."""
    stop = StopToken()
    done = {}

    def run() -> None:
        done["r"] = solve(big_shop, f"policy:{random_path}", Params(options={"samples": 100_000, "batch": 16}),
                          on_progress=lambda p: done.setdefault("first", time.perf_counter()), stop=stop)
        done["end"] = time.perf_counter()

    th = threading.Thread(target=run)
    th.start()
    while "first" not in done and th.is_alive():
        time.sleep(0.02)
    time.sleep(0.3)
    t_stop = time.perf_counter()
    stop.set()
    th.join(30)
    r = done["r"]
    assert done["end"] - t_stop < 1.5
    assert r.termination == Termination.CANCELLED and r.status == "feasible"
    assert check(big_shop, r.schedule) == []


def test_pins_and_earliest_are_kept(shop, spt_path):
    """Pinned assignments stay exactly; an earliest start is honoured; the schedule checks."""
    free = solve(shop, f"policy:{spt_path}")
    pin = max(free.schedule.work(), key=lambda a: a.start)
    pin = type(pin)(pin.task, pin.resource, pin.start + 5, pin.end + 5, pin.category)
    op = shop.jobs[0].operations[0].id
    r = solve(shop, f"policy:{spt_path}", Params(pinned=(pin,), options={"earliest": {op: 17}, "samples": 3}))
    assert check(shop, r.schedule) == []
    by = r.schedule.by_task()
    assert (by[pin.task].resource, by[pin.task].start) == (pin.resource, pin.start)
    assert by[op].start >= 17


def _assert_trace_rebuilds(sc, trace, schedule, pinned=()):
    """Every unpinned operation once; replaying its choices in a fresh env gives its starts and the schedule."""
    work = schedule.by_task()
    ops = [op for op, _, _ in trace]
    assert len(ops) == len(set(ops)) and set(ops) == set(work) - {a.task for a in pinned}
    env = JobShopEnv([sc], 1, pinned=pinned)
    sim = env.sims[0]
    while not env.all_done:
        op, machine, _ = trace[len(env.traces[0])]
        pairs = sim.candidate_pairs()
        index = next(i for i, p in enumerate(pairs)
                     if (sim.op_ids[int(sim.pair_op[p])], sim.machine_ids[int(sim.pair_machine[p])]) == (op, machine))
        env.step([index])
    assert [list(step) for step in env.traces[0]] == [list(step) for step in trace]
    assert set(env.schedules()[0].work()) == set(schedule.work())


@pytest.mark.parametrize("samples", [1, 8])
def test_trace_of_the_returned_schedule(shop, random_path, samples):
    """stats['trace'] lists every operation once, in decision order, with the returned machines and starts."""
    r = solve(shop, f"policy:{random_path}", Params(options={"samples": samples}, seed=3))
    trace = r.stats["trace"]
    assert all(isinstance(step, list) and len(step) == 3 for step in trace)
    _assert_trace_rebuilds(shop, trace, r.schedule)
    for j in shop.jobs:  # a job's operations are decided in route order
        order = [op for op, _, _ in trace if op in {o.id for o in j.operations}]
        assert order == [o.id for o in j.operations]
    assert r.stats["provider"] in ("CPUExecutionProvider", "CUDAExecutionProvider")


def test_trace_leaves_out_pinned_operations(shop, spt_path):
    """With a pin the trace holds the other operations only."""
    free = solve(shop, f"policy:{spt_path}")
    pin = max(free.schedule.work(), key=lambda a: a.start)
    r = solve(shop, f"policy:{spt_path}", Params(pinned=(pin,)))
    _assert_trace_rebuilds(shop, r.stats["trace"], r.schedule, (pin,))


def test_deadline_fallback_has_no_trace(shop, spt_path, monkeypatch):
    """When a dispatch rule's schedule is returned instead, there is no policy trace."""
    from opsplan.policies import jobshop_env

    # the policy's schedules (named policy:...) miss a deadline, the fallback rule's (dispatch:...) do not
    monkeypatch.setattr(jobshop_env, "late_jobs", lambda sc, s: ["J0"] if s.name.startswith("policy") else [])
    r = solve(shop, f"policy:{spt_path}")
    assert r.stats["fallback"].startswith("dispatch:")
    assert "trace" not in r.stats and r.stats["provider"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sc=jobshops())
def test_every_schedule_passes_the_checker(sc):
    """Random rich shops (calendars, setups, flexible modes, deadlines): checked schedule, or none for deadlines."""
    path = _PROPERTY_POLICY
    r = solve(sc, f"policy:{path}", Params(options={"samples": 3}, seed=1))
    if r.schedule is None:
        assert any(j.deadline is not None for j in sc.jobs), r
        assert r.status == "no_solution", r
        return
    assert check(sc, r.schedule) == []
    assert r.objective == objective_value(sc, r.schedule)


@pytest.fixture(autouse=True, scope="module")
def _property_policy(tmp_path_factory):
    """One random linear policy file for the property test (hypothesis cannot take function fixtures)."""
    global _PROPERTY_POLICY
    w = np.random.default_rng(9).normal(size=(18, 1)).astype(np.float32)
    _PROPERTY_POLICY = write(tmp_path_factory.mktemp("prop") / "prop.onnx", w=w, name="prop")
    yield


_PROPERTY_POLICY = None


# -- the policy as a starting schedule and as a race member ---------------------------------------
def test_cpsat_starts_from_the_policy_when_it_beats_the_best_rule(shop, random_path):
    """options start_from='policy:...': cpsat's hint is the better of the policy's schedule and the best rule's."""
    from opsplan.solvers.dispatch.jobshop import best_rule

    name = f"policy:{random_path}"
    pol = solve(shop, name, Params(seed=0, options={"samples": 16}))
    rule, _, value = best_rule(shop)
    # (no_tabu: on this classic shop the tabu search would start from that hint and take its place)
    r = solve(shop, "cpsat", Params(time_limit=5, threads=1, options={"start_from": name, "samples": 16,
                                                                      "no_tabu": True}))
    assert r.stats["hint"] == (pol.solver if pol.objective < value else f"dispatch:{rule}")
    assert check(shop, r.schedule) == [] and r.objective <= min(pol.objective, value)


def test_a_policy_start_replaces_a_worse_rule_start(shop, random_path, monkeypatch):
    """With a (deliberately) poor best rule, cpsat and mip both start from the policy's schedule."""
    from opsplan.solvers.dispatch import jobshop as dispatch

    def lpt_only(sc, rules=None, **kw):  # noqa: ANN001 - the worst plausible "best rule"
        sched = dispatch.dispatch(sc, "lpt")
        return "lpt", sched, objective_value(sc, sched) * 10

    monkeypatch.setattr(dispatch, "best_rule", lpt_only)
    name = f"policy:{random_path}"
    r = solve(shop, "cpsat", Params(time_limit=5, threads=1, options={"start_from": name, "no_tabu": True}))
    assert r.stats["hint"] == "policy:rnd" and check(shop, r.schedule) == []
    from opsplan.solvers.starting import feasible_start

    start, source = feasible_start(shop, Params(options={"start_from": name}))
    assert source == "policy:rnd" and start == solve(shop, name, Params()).schedule


def test_cancel_reaches_the_start_solver(random_path):
    """A cancel while cpsat builds its start with --start-from policy:... stops the policy's rollouts
    too (it waited for the policy's whole share of the limit: 6 s of 24)."""
    from opsplan.solvers import StopToken

    shop = random_jobshop(20, 8, seed=5)
    stop = StopToken()
    threading.Timer(1.0, stop.set).start()
    t0 = time.perf_counter()
    r = solve(shop, "cpsat", Params(time_limit=24, threads=1, options={"start_from": f"policy:{random_path}",
                                                                       "samples": 100_000}), stop=stop)
    assert time.perf_counter() - t0 < 4.0 and r.termination.value == "cancelled"


def test_an_unknown_start_solver_is_a_clear_error(shop):
    from opsplan.models.errors import OpsPlanError

    with pytest.raises(OpsPlanError, match="missing.onnx: no such policy file"):
        solve(shop, "cpsat", Params(time_limit=1, options={"start_from": "policy:/nope/missing.onnx"}))


def test_a_policy_races_beside_cpsat(random_path):
    """--solvers cpsat,policy:PATH: both run (no proof on a 20 x 15 shop ends the race early); the result is
    checked and the policy, a quick member at normal priority, reports its own schedule."""
    shop = random_jobshop(20, 15, seed=6)
    r = solve(shop, "race", Params(time_limit=15, threads=2, options={"solvers": ["cpsat", f"policy:{random_path}"],
                                                                      "samples": 8}))
    assert check(shop, r.schedule) == [] and r.status in ("optimal", "feasible")
    assert r.stats["members"] == ["cpsat", f"policy:{random_path}"]
    assert r.stats["threads"] == {"cpsat": 2, f"policy:{random_path}": 1}
    member = r.stats["per_member"][f"policy:{random_path}"]
    assert member["status"] == "feasible" and r.objective <= member["objective"]


def test_the_start_solver_is_used_when_no_rule_gives_a_start(shop, random_path, monkeypatch):
    """When every rule fails (here: raises), the named start solver's schedule still becomes the start."""
    from opsplan.solvers.dispatch import jobshop as dispatch
    from opsplan.solvers.starting import feasible_start

    def broken(*a, **kw):  # noqa: ANN002, ANN003
        raise RuntimeError("no rule today")

    monkeypatch.setattr(dispatch, "best_rule", broken)
    assert feasible_start(shop, Params()) == (None, "")
    start, source = feasible_start(shop, Params(options={"start_from": f"policy:{random_path}"}))
    assert source == "policy:rnd" and check(shop, start) == []


def test_a_single_sampled_rollout_samples(shop, random_path):
    """rollout(samples=1, greedy_first=False) is a sample, not the greedy rollout again: --samples 2
    (and a last batch of one) was greedy twice, so the best of N was not the best of N samples."""
    policy = runtime.load_policy(random_path)
    greedy = policy.rollout([shop], 1)[0].schedule
    sampled = [policy.rollout([shop], 1, seed=s, greedy_first=False)[0].schedule for s in range(8)]
    assert any(s.work() != greedy.work() for s in sampled)
    r = solve(shop, f"policy:{random_path}", Params(seed=0, options={"samples": 20, "batch": 1}))
    assert r.objective <= objective_value(shop, greedy)
    assert r.stats.get("samples", 20) == 20


def test_the_deadline_fallback_keeps_why_the_run_stopped_and_progress_shows_only_answers(random_path):
    """The policy's plans miss deadlines only SPT's plan meets: the rule fallback is the answer, reported
    with the run's own termination (it always said completed), and no late plan is shown as progress."""
    from dataclasses import replace

    from opsplan.models.schedule import Category
    from opsplan.solvers.dispatch.jobshop import late_jobs

    sc = random_jobshop(5, 3, seed=0)
    ends = {}
    for a in solve(sc, "dispatch:spt", Params()).schedule.assignments:
        if a.category == Category.WORK:
            j = a.task.split(".")[0]
            ends[j] = max(ends.get(j, 0), a.end)
    sc = replace(sc, jobs=tuple(replace(j, deadline=ends[j.id]) for j in sc.jobs))
    seen = []
    r = solve(sc, f"policy:{random_path}", Params(time_limit=0.05, options={"samples": 10**6, "batch": 4}),
              on_progress=seen.append)
    assert r.termination.value == "time_limit" and r.stats.get("fallback") and r.schedule is not None
    assert not late_jobs(sc, r.schedule) and check(sc, r.schedule) == []
    assert all(p.objective >= r.objective for p in seen[:-1] if p.solver == r.solver)


def test_a_seed_gives_the_same_samples_however_they_are_batched(shop, random_path):
    """Each rollout draws from its own stream: the batch size (the provider's default differs between
    CPU and CUDA), other scenarios in the batch and the solve/bench path do not change the result."""
    policy = runtime.load_policy(random_path)
    other = random_jobshop(6, 4, seed=11)
    alone = policy.rollout([shop], 12, seed=5, max_batch=12)[0]
    for kw in ({"max_batch": 5}, {"max_batch": 1}):
        assert policy.rollout([shop], 12, seed=5, **kw)[0].schedule.work() == alone.schedule.work()
    together = policy.rollout([other, shop], 12, seed=5, max_batch=7)[1]
    assert together.schedule.work() == alone.schedule.work()
    values = {solve(shop, f"policy:{random_path}", Params(seed=5, options={"samples": 12, "batch": b})).objective
              for b in (1, 4, 64)}
    assert values == {alone.value}
