"""The vectorized job-shop dispatch environment: masks, rule reproduction, traces and checked schedules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opsplan.models import check, objective_value
from opsplan.models.jobshop.build import random_jobshop
from opsplan.models.jobshop.checker import DEADLINE_MISSED
from opsplan.policies.env import masked_argmax, masked_sample
from opsplan.policies.jobshop_env import JobShopEnv
from opsplan.policies.jobshop_features import JOBSHOP_V1
from opsplan.solvers import solve
from opsplan.solvers.dispatch.jobshop import dispatch

from tests.solvers.strategies import jobshops

COL = {n: i for i, n in enumerate(JOBSHOP_V1.candidate)}


def _col(obs, name: str) -> np.ndarray:
    return obs.candidates[..., COL[name]].astype(np.float64)


def _assert_checked(env: JobShopEnv) -> None:
    """Every env's schedule passes the checker (a greedy policy cannot promise hard deadlines) and matches its trace."""
    for b, sched in enumerate(env.schedules()):
        sc = env.scenarios[env.scenario_of(b)]
        bad = [v for v in check(sc, sched) if v.code != DEADLINE_MISSED]
        assert bad == [], bad
        work = {(a.task, a.resource, a.start) for a in sched.work()}
        assert set(env.traces[b]) == work
        assert len(env.traces[b]) == env.sims[b].n_to_schedule


def _drive(env: JobShopEnv, rng: np.random.Generator) -> None:
    """Random policy to the end; at every step first try a masked action (must raise, change nothing)."""
    obs = env.observe()
    while not obs.done.all():
        assert obs.candidates.dtype == np.float32 and np.isfinite(obs.candidates).all()
        assert np.isfinite(obs.globals).all()
        assert not obs.candidates[~obs.mask].any()  # padding is zero
        assert (obs.mask.sum(axis=1) == obs.n_candidates).all()
        assert not obs.mask[obs.done].any()
        scores = rng.normal(size=obs.mask.shape) * 3
        scores[~obs.mask] = 1e9  # masked slots must never win, however large
        legal = env.act_sample(scores, rng) if rng.random() < 0.5 else env.act_greedy(np.where(obs.mask, scores, 0))
        assert obs.mask[np.arange(len(legal)), legal][~obs.done].all()

        live = np.flatnonzero(~obs.done)
        b = int(rng.choice(live))
        bad = legal.copy()
        n, k = int(obs.n_candidates[b]), obs.mask.shape[1]
        bad[b] = int(rng.choice([-1, n, k, k + 5] + list(range(n, k))))
        before = [len(t) for t in env.traces]
        with pytest.raises(ValueError, match=f"env {b}: action {bad[b]} is masked"):
            env.step(bad)
        assert [len(t) for t in env.traces] == before and env.observe() is obs

        legal[obs.done] = 10**6  # finished envs: anything is ignored
        obs = env.step(legal)
    assert env.all_done and not env.observe().mask.any()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sc=jobshops(max_jobs=4, max_machines=3, max_ops=3), seed=st.integers(0, 2**16),
       scheme=st.sampled_from(["active", "nondelay"]), skip=st.booleans())
def test_random_policies_on_rich_shops(sc, seed, scheme, skip):
    """Rich shops (flexible, releases, calendars, setups, deadlines): masked actions raise, legal ones never do."""
    env = JobShopEnv([sc], rollouts=2, seed=seed, scheme=scheme, skip_forced=skip)
    _drive(env, np.random.default_rng(seed))
    _assert_checked(env)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 6), m=st.integers(1, 4), flex=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_random_policies_on_random_shops(n, m, flex, seed):
    """Classic and flexible Taillard-style shops, two scenarios batched together."""
    scs = [random_jobshop(n, m, seed=seed, flexible=flex), random_jobshop(m + 1, n, seed=seed + 1, flexible=flex)]
    env = JobShopEnv(scs, rollouts=2, seed=seed)
    _drive(env, np.random.default_rng(seed))
    _assert_checked(env)


RULE_SCORES = {
    "spt": lambda o: -_col(o, "duration"),
    "mwkr": lambda o: _col(o, "work_left"),
    "mor": lambda o: _col(o, "ops_left") * 1e6 + _col(o, "work_left"),
}


@pytest.mark.parametrize("rule", sorted(RULE_SCORES))
@pytest.mark.parametrize("flex", [1, 3])
def test_greedy_reproduces_rules_nondelay(rule, flex):
    """Greedy on a rule's own key equals solve(sc, 'dispatch:<rule>') (non-delay; ties to the lower job)."""
    scs = [random_jobshop(8, 5, seed=s, flexible=flex) for s in range(3)]
    for score in (RULE_SCORES[rule], lambda o: _col(o, f"rank_{rule}")):
        env = JobShopEnv(scs, scheme="nondelay")
        got = env.rollout(score)
        for sc, sched in zip(scs, got):
            ref = solve(sc, f"dispatch:{rule}").schedule
            assert sched.work() == ref.work()
            assert objective_value(sc, sched) == objective_value(sc, ref)
    _assert_checked(env)


@pytest.mark.parametrize("rule", ["spt", "mwkr"])
@pytest.mark.parametrize("flex", [1, 2])
def test_greedy_reproduces_rules_active(rule, flex):
    """Active scheme: the rule's key first, then the earliest start (its tie-break) gives the rule's schedule."""
    scs = [random_jobshop(7, 4, seed=10 + s, flexible=flex) for s in range(3)]
    env = JobShopEnv(scs)
    got = env.rollout(lambda o: RULE_SCORES[rule](o) * 1e4 - _col(o, "start_delay"))
    for sc, sched in zip(scs, got):
        assert sched.work() == dispatch(sc, rule, scheme="active").work()


def test_observation_shapes_and_padding():
    """K is this step's largest candidate count; shorter envs are padded and masked."""
    scs = [random_jobshop(6, 3, seed=1), random_jobshop(2, 3, seed=2)]
    env = JobShopEnv(scs, rollouts=3)
    obs = env.observe()
    b, k, f = obs.candidates.shape
    assert b == 6 == env.batch_size and f == JOBSHOP_V1.n_candidate
    assert obs.globals.shape == (6, JOBSHOP_V1.n_global)
    assert k == obs.n_candidates.max() >= 2
    assert obs.mask.dtype == bool and obs.done.dtype == bool and not obs.done.any()
    assert [env.scenario_of(i) for i in range(6)] == [0, 0, 0, 1, 1, 1]


def test_step_checks_shape_and_dtype():
    """Wrong length or non-integer actions are refused before anything is applied."""
    env = JobShopEnv([random_jobshop(4, 3, seed=0)], rollouts=2)
    before = [list(t) for t in env.traces]
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        env.step(np.zeros(3, int))
    with pytest.raises(ValueError, match="integers"):
        env.step(np.array([0.5, 0.0]))
    assert env.traces == before


def test_done_env_has_empty_mask_and_ignores_actions():
    """A one-job shop finishes at reset (lone candidates are forced): mask all False, any action ignored."""
    env = JobShopEnv([random_jobshop(1, 3, seed=0), random_jobshop(4, 3, seed=0)])
    obs = env.observe()
    assert obs.done.tolist() == [True, False] and not obs.mask[0].any()
    env.step(np.array([-7, 0]))
    assert len(env.traces[0]) == 3


def test_masked_argmax_and_sample():
    """Masked entries are never chosen; nan/-inf lose; temperature 0 is arg-max; empty rows give 0."""
    mask = np.array([[True, False, True], [False, False, False], [False, True, True]])
    scores = np.array([[1.0, 99.0, 2.0], [5.0, 6.0, 7.0], [np.nan, np.nan, -np.inf]])
    assert masked_argmax(scores, mask).tolist() == [2, 0, 1]
    rng = np.random.default_rng(0)
    draws = np.stack([masked_sample(scores, mask, rng) for _ in range(2000)])
    assert set(draws[:, 0]) == {0, 2} and set(draws[:, 1]) == {0} and set(draws[:, 2]) == {1, 2}
    p2 = (draws[:, 0] == 2).mean()
    assert abs(p2 - np.exp(2) / (np.exp(1) + np.exp(2))) < 0.05
    assert masked_sample(scores, mask, rng, temperature=0).tolist() == [2, 0, 1]
    cold = np.stack([masked_sample(scores, mask, rng, temperature=0.01) for _ in range(200)])
    assert (cold[:, 0] == 2).all()
    with pytest.raises(ValueError, match="temperature"):
        masked_sample(scores, mask, rng, temperature=-1)


def test_best_per_scenario_and_sampling():
    """Best-of-N keeps, per scenario, its best rollout; greedy_first keeps rollout 0 greedy."""
    scs = [random_jobshop(6, 4, seed=3, flexible=2), random_jobshop(5, 5, seed=4)]
    greedy = JobShopEnv(scs).rollout(lambda o: -_col(o, "duration"))
    env = JobShopEnv(scs, rollouts=4, seed=1)
    with pytest.raises(ValueError, match="not finished"):
        env.best_per_scenario()
    scheds = env.rollout(lambda o: -_col(o, "duration") * 5, greedy=False, greedy_first=True)
    best = env.best_per_scenario()
    for i, sc in enumerate(scs):
        values = [objective_value(sc, scheds[i * 4 + r]) for r in range(4)]
        assert best[i].value == min(values) <= objective_value(sc, greedy[i])
        assert i * 4 <= best[i].env < (i + 1) * 4 and values[best[i].env - i * 4] == best[i].value
        assert scheds[i * 4].work() == greedy[i].work()
        assert check(sc, best[i].schedule) == []
    _assert_checked(env)
