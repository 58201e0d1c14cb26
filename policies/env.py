"""Kind-neutral learned dispatch: the environment protocol, masked choice, the rollout driver, the registry.

Every scenario kind that runs learned policies has a *dispatch environment* on the
same simulator its dispatch rules use (each in its kind's own module of this package,
registered by :mod:`opsplan.policies.registrations`). An environment holds
``B = len(scenarios) * rollouts`` independent episodes, env ``b`` being rollout
``b % rollouts`` of scenario ``b // rollouts``, and implements
:class:`DispatchEnv`: at every step :meth:`~DispatchEnv.observe` returns an
:class:`Observation` (padded numpy arrays: candidates ``[B, K, F]``, mask
``[B, K]``, globals ``[B, G]``, done ``[B]``), a policy scores the candidates
(``[B, K]``), :func:`masked_argmax` or :func:`masked_sample` picks one per
environment and :meth:`~DispatchEnv.step` applies them. :func:`run_rollouts` is
the one driver of that loop (greedy, sampled, best-of-N with a greedy first
rollout), used by the runtime, the solver backend and training alike.

A kind plugs in by registering an :class:`Environment` (its factory, the
schedule-generation schemes it accepts, optionally a deadline fallback) with
:func:`register_environment`, beside its feature specification
(:func:`opsplan.policies.features.register`). The built-in kinds are registered by
:mod:`opsplan.policies.registrations`, imported on the first look-up; nothing here
imports a kind. :func:`check_actions`, :func:`pack_observation` and
:func:`select_best` are the pieces a kind's environment reuses.

No torch or onnxruntime here: a policy is any ``policy_fn(obs) -> scores``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from opsplan.models.schedule import Assignment, Schedule
from opsplan.policies.registry import Registry

TraceStep = tuple[str, str, int]  # (task_id, resource_id, start) of one dispatched task
PolicyFn = Callable[["Observation"], np.ndarray]


@dataclass(frozen=True)
class Observation:
    """The padded state of all ``B`` environments at one step.

    ``candidates`` float32 ``[B, K, F]`` (zeros in padded slots), ``mask`` bool
    ``[B, K]`` (True = a feasible candidate; all False for a finished env),
    ``globals`` float32 ``[B, G]``, ``done`` bool ``[B]``, ``n_candidates`` int
    ``[B]``. ``K`` is the largest candidate count this step (at least 1).
    """

    candidates: np.ndarray
    mask: np.ndarray
    globals: np.ndarray
    done: np.ndarray
    n_candidates: np.ndarray

    @property
    def batch_size(self) -> int:
        return int(self.mask.shape[0])


@dataclass(frozen=True)
class Best:
    """The best rollout of one scenario: its schedule, objective value and env index.

    ``late`` says, one line each, which hard deadlines the schedule misses (empty: none).
    """

    schedule: Schedule
    value: int
    env: int
    late: tuple[str, ...] = ()


def _masked_scores(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    s = np.asarray(scores, dtype=np.float64)
    m = np.asarray(mask, dtype=bool)
    if s.shape != m.shape:
        raise ValueError(f"scores have shape {s.shape}, the mask {m.shape}")
    # nan and -inf never win over a finite score; +inf wins (ties to the first)
    s = np.nan_to_num(s, nan=-np.inf, posinf=np.finfo(np.float64).max / 4, neginf=-np.inf)
    return np.where(m, s, -np.inf)


def masked_argmax(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Index of the best feasible score per row (ties to the lowest index); 0 for rows without any.

    A row whose feasible scores are all nan/-inf picks its first feasible slot.
    """
    m = np.asarray(mask, dtype=bool)
    raw = np.asarray(scores)
    if raw.shape == m.shape and raw.shape[1] > 0 and np.isfinite(raw[m]).all():
        # the common case (every feasible score finite): one pass, no float64 copy
        best = np.where(m, raw, -np.inf).argmax(axis=1)
        return best.astype(np.int64)  # a row without feasible slots: all -inf, argmax 0
    s = _masked_scores(scores, m)
    if s.shape[1] == 0:
        return np.zeros(s.shape[0], np.int64)
    best = s.argmax(axis=1)
    lost = ~np.isfinite(s[np.arange(len(s)), best]) & m.any(axis=1)
    best[lost] = m[lost].argmax(axis=1)
    return best.astype(np.int64)


def masked_sample(
    scores: np.ndarray, mask: np.ndarray, rng: np.random.Generator | None, temperature: float = 1.0,
    *, u: np.ndarray | None = None,
) -> np.ndarray:
    """Sample one feasible index per row from ``softmax(scores / temperature)`` over the mask.

    ``temperature == 0`` is :func:`masked_argmax`. Masked entries have probability 0;
    a row whose feasible scores are all nan/-inf samples uniformly among them;
    rows without any feasible entry get 0.
    """
    if temperature < 0 or not np.isfinite(temperature):
        raise ValueError(f"temperature must be finite and >= 0, got {temperature}")
    if temperature == 0:
        return masked_argmax(scores, mask)
    m = np.asarray(mask, dtype=bool)
    s = _masked_scores(scores, m)
    n_rows, k = s.shape
    if k == 0:
        return np.zeros(n_rows, np.int64)
    top = s.max(axis=1, keepdims=True)
    finite_top = np.isfinite(top)
    z = np.where(finite_top, (s - np.where(finite_top, top, 0.0)) / temperature, 0.0)
    p = np.where(m, np.exp(np.minimum(z, 0.0)), 0.0)
    p[~finite_top[:, 0]] = m[~finite_top[:, 0]]  # all feasible scores -inf: uniform
    total = p.sum(axis=1, keepdims=True)
    empty = total[:, 0] <= 0
    p = p / np.where(total > 0, total, 1.0)
    cdf = np.cumsum(p, axis=1)
    draws = rng.random((n_rows, 1)) if u is None else np.asarray(u, dtype=float).reshape(n_rows, 1)
    u = draws * cdf[:, -1:]
    pick = (cdf <= u).sum(axis=1)
    pick = np.minimum(pick, k - 1)
    # guard against rounding landing on a masked slot: take the nearest feasible one at or before it
    bad = ~m[np.arange(n_rows), pick] & ~empty
    for r in np.flatnonzero(bad):
        feas = np.flatnonzero(m[r])
        pick[r] = feas[feas <= pick[r]][-1] if (feas <= pick[r]).any() else feas[0]
    pick[empty] = 0
    return pick.astype(np.int64)


# -- pieces a kind's environment reuses -----------------------------------------------------------
def pack_observation(rows: Sequence[tuple[np.ndarray, np.ndarray]], n_candidate: int, n_global: int) -> Observation:
    """One padded :class:`Observation` from each env's ``(candidate features [n_b, F], globals [G])``.

    ``n_b`` (0 for a finished env) is its candidate count; ``K = max(n_b, 1)``; padding is zero.
    """
    n_b = len(rows)
    counts = np.fromiter((len(x) for x, _ in rows), dtype=np.int64, count=n_b)
    k = max(int(counts.max(initial=0)), 1)
    cand = np.zeros((n_b, k, n_candidate), np.float32)
    glob = np.zeros((n_b, n_global), np.float32)
    mask = np.zeros((n_b, k), bool)
    for b, (x, g) in enumerate(rows):
        n = counts[b]
        glob[b] = g
        if n:
            cand[b, :n] = x
            mask[b, :n] = True
    return Observation(cand, mask, glob, counts == 0, counts)


def check_actions(actions: np.ndarray | Sequence[int], obs: Observation) -> np.ndarray:
    """``actions`` as an integer array, checked against ``obs``: what :meth:`DispatchEnv.step` does first.

    Actions of finished envs are not checked (they are ignored).

    Raises
    ------
    ValueError
        When ``actions`` is not ``B`` integers, or an unfinished env's action is
        masked (negative, a padded slot or beyond its candidates); the message
        names every such env.
    """
    a = np.asarray(actions)
    n_b = obs.batch_size
    if a.shape != (n_b,):
        raise ValueError(f"actions must have shape ({n_b},), got {a.shape}")
    if a.dtype.kind not in "iub":
        if a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
            a = a.astype(np.int64)
        else:
            raise ValueError(f"actions must be integers, got dtype {a.dtype}")
    bad = []
    for b in range(n_b):
        if obs.done[b]:
            continue
        i = int(a[b])
        n = int(obs.n_candidates[b])
        if not 0 <= i < n:
            why = "a padded slot" if n <= i < obs.mask.shape[1] else "out of range"
            bad.append(f"env {b}: action {i} is masked ({why}; candidates 0..{n - 1})")
    if bad:
        raise ValueError("masked action: " + "; ".join(bad))
    return a


def select_best(
    scenarios: Sequence[Any],
    rollouts: int,
    schedules: Sequence[Schedule],
    value: Callable[[Any, Schedule], int],
    late: Callable[[Any, Schedule], Iterable[str]] | None = None,
) -> list[Best]:
    """For each scenario, its best rollout among ``schedules`` (laid out as the environments are).

    A schedule that meets every hard deadline (``late`` returns nothing) beats one
    that misses any; then the lower ``value`` wins; ties go to the lower rollout.
    """
    out: list[Best] = []
    for i, sc in enumerate(scenarios):
        best: Best | None = None
        best_key: tuple[bool, int] | None = None
        for r in range(rollouts):
            b = i * rollouts + r
            sched = schedules[b]
            v = int(value(sc, sched))
            missed = tuple(late(sc, sched)) if late is not None else ()
            key = (bool(missed), v)
            if best_key is None or key < best_key:
                best, best_key = Best(sched, v, b, missed), key
        assert best is not None
        out.append(best)
    return out


# -- the protocol every kind's environment implements ---------------------------------------------
@runtime_checkable
class DispatchEnv(Protocol):
    """A batched dispatch environment: ``B = len(scenarios) * rollouts`` episodes stepped together.

    Env ``b`` is rollout ``b % rollouts`` of scenario ``b // rollouts`` (the runtime and
    :func:`run_rollouts` rely on this layout). Decisions with a single candidate may be
    taken automatically, so every observed decision is a real choice.
    """

    scenarios: Sequence[Any]
    rollouts: int
    traces: list[list[TraceStep]]
    """Per env, every dispatched task ``(task_id, resource_id, start)`` in decision order (pins left out)."""

    @property
    def batch_size(self) -> int:
        """``B``."""
        ...

    def reset(self) -> Observation:
        """Start every episode again (pins stay) and return the first observation."""
        ...

    def observe(self) -> Observation:
        """The current observation (the same object until the next step or reset)."""
        ...

    def step(self, actions: np.ndarray | Sequence[int]) -> Observation:
        """Apply ``actions[b]`` (an index into env ``b``'s candidates) in every unfinished env.

        All actions are checked before any is applied (:func:`check_actions`);
        actions of finished envs are ignored.
        """
        ...

    def schedules(self, name: str = "policy") -> list[Schedule]:
        """The schedule (so far) of every env, named ``name``."""
        ...

    def best_per_scenario(self, name: str = "policy") -> list[Best]:
        """Per scenario its best finished rollout (:func:`select_best`); ValueError while some env runs."""
        ...


# -- the rollout driver ---------------------------------------------------------------------------
@dataclass
class RolloutRun:
    """What :func:`run_rollouts` did.

    ``finished`` is False when ``should_stop`` interrupted the run (the env is then
    left mid-episode). ``actions`` (with ``record=True``) holds, per env, the index it
    chose at each of its decisions, in order: replaying them through a fresh
    environment rebuilds the same schedules. ``decisions`` counts the choices made
    (unfinished envs summed over steps), ``inference_calls`` the calls of the policy;
    ``inference_s`` and ``env_s`` split the time between the policy and the environment.
    """

    finished: bool = True
    actions: list[list[int]] | None = None
    decisions: int = 0
    inference_calls: int = 0
    inference_s: float = 0.0
    env_s: float = 0.0


def run_rollouts(
    env: DispatchEnv,
    policy_fn: PolicyFn,
    *,
    greedy: bool = True,
    greedy_first: bool = False,
    temperature: float = 1.0,
    rng: np.random.Generator | None = None,
    rngs: Sequence[np.random.Generator] | None = None,
    reset: bool = False,
    should_stop: Callable[[], bool] | None = None,
    record: bool = False,
) -> RolloutRun:
    """Run every environment of ``env`` to the end with ``policy_fn(obs) -> scores [B, K]``.

    Parameters
    ----------
    greedy
        Masked arg-max at every decision; otherwise masked softmax sampling at ``temperature``.
    greedy_first
        When sampling, rollout 0 of each scenario stays greedy (best-of-N then never
        loses to greedy).
    rng, rngs
        The sampling's randomness: one generator for the whole batch (one draw per env
        and step), or one generator per env that draws only while its env runs (its
        ``k``-th draw is its ``k``-th decision, however the envs are batched). One of
        them is needed to sample.
    reset
        Start from :meth:`DispatchEnv.reset` (default: from the current state).
    should_stop
        Polled before every step; True stops the run (``finished`` False).
    record
        Keep the chosen indices per env (:attr:`RolloutRun.actions`).

    The schedules are then :meth:`DispatchEnv.schedules` and, for best-of-N,
    :meth:`DispatchEnv.best_per_scenario`.

    Raises
    ------
    ValueError
        When ``policy_fn`` returns scores whose shape is not the mask's, or sampling has no generator.
    """
    if not greedy and rng is None and rngs is None:
        raise ValueError("sampling needs a generator: pass rng or rngs")
    if rngs is not None and len(rngs) != env.batch_size:
        raise ValueError(f"rngs must hold one generator per env ({env.batch_size}), got {len(rngs)}")
    run = RolloutRun(actions=[[] for _ in range(env.batch_size)] if record else None)
    t = time.perf_counter()
    obs = env.reset() if reset else env.observe()
    run.env_s += time.perf_counter() - t
    first = np.arange(env.batch_size) % env.rollouts == 0
    while not obs.done.all():
        if should_stop is not None and should_stop():
            run.finished = False
            return run
        t = time.perf_counter()
        scores = np.asarray(policy_fn(obs))
        run.inference_s += time.perf_counter() - t
        run.inference_calls += 1
        if scores.shape != obs.mask.shape:
            raise ValueError(f"policy returned scores of shape {scores.shape}, expected {obs.mask.shape}")
        t = time.perf_counter()
        live = ~obs.done
        run.decisions += int(live.sum())
        if greedy:
            act = masked_argmax(scores, obs.mask)
        else:
            if rngs is not None:
                u = np.array([0.0 if d else g.random() for g, d in zip(rngs, obs.done, strict=True)])
                act = masked_sample(scores, obs.mask, None, temperature, u=u)
            else:
                act = masked_sample(scores, obs.mask, rng, temperature)
            if greedy_first:
                act = np.where(first, masked_argmax(scores, obs.mask), act)
        if run.actions is not None:
            for b in np.flatnonzero(live):
                run.actions[b].append(int(act[b]))
        obs = env.step(act)
        run.env_s += time.perf_counter() - t
    return run


# -- one environment per scenario kind --------------------------------------------------------------
Fallback = Callable[[Any, tuple[Assignment, ...], Mapping[str, int] | None], tuple[str, Schedule] | None]


@dataclass(frozen=True)
class Environment:
    """How the runtime builds and backs up a kind's batched environment.

    Parameters
    ----------
    kind
        The scenario kind.
    factory
        ``factory(scenarios, rollouts, spec, *, scheme, pinned, earliest) -> DispatchEnv``.
    schemes
        The schedule-generation schemes it accepts (the first is the default; a policy
        names its own in its metadata).
    fallback
        ``fallback(scenario, pinned, earliest) -> (solver name, schedule) | None``: a
        deterministic schedule that meets every hard deadline, used by the ``policy``
        solver when the policy's best one misses some (None: no such schedule). Without
        it such a run returns no schedule.
    errors
        Exceptions the environment raises when the pins (or earliest starts) leave no
        schedule: the ``policy`` solver reports them as an error result.
    """

    kind: str
    factory: Callable[..., DispatchEnv]
    schemes: tuple[str, ...]
    fallback: Fallback | None = None
    errors: tuple[type[BaseException], ...] = ()


ENVIRONMENTS: Registry[Environment] = Registry("dispatch environments")


def register_environment(
    kind: str,
    factory: Callable[..., DispatchEnv],
    schemes: Sequence[str],
    *,
    fallback: Fallback | None = None,
    errors: Iterable[type[BaseException]] = (),
) -> Environment:
    """Register (or replace) the environment of ``kind``; returns it."""
    if not schemes:
        raise ValueError(f"environment of {kind!r} needs at least one scheme")
    env = ENVIRONMENTS[kind] = Environment(kind, factory, tuple(schemes), fallback, tuple(errors))
    return env


def unregister_environment(kind: str) -> None:
    """Remove the environment of ``kind`` (tests that register a toy kind clean up with this)."""
    ENVIRONMENTS.pop(kind, None)


def environment_for(kind: str) -> Environment:
    """The registered environment of ``kind`` (KeyError naming the registered kinds when none)."""
    try:
        return ENVIRONMENTS[kind]
    except KeyError:
        raise KeyError(f"no dispatch environment for kind {kind!r} (registered: {', '.join(ENVIRONMENTS)})") from None


__all__ = [
    "ENVIRONMENTS",
    "Best",
    "DispatchEnv",
    "Environment",
    "Fallback",
    "Observation",
    "PolicyFn",
    "RolloutRun",
    "TraceStep",
    "check_actions",
    "environment_for",
    "masked_argmax",
    "masked_sample",
    "pack_observation",
    "register_environment",
    "run_rollouts",
    "select_best",
    "unregister_environment",
]
