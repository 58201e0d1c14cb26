"""A vectorized job-shop dispatch environment on the rules' simulator.

:class:`JobShopEnv` holds one :class:`~opsplan.solvers.dispatch.simulator.JobShopSim`
per (scenario, rollout): ``B = len(scenarios) * rollouts`` environments, env
``b`` being rollout ``b % rollouts`` of scenario ``b // rollouts``. At every step
:meth:`JobShopEnv.observe` returns padded numpy arrays (candidates ``[B, K, F]``,
mask ``[B, K]``, globals ``[B, G]``, done ``[B]``), a policy scores the
candidates (``[B, K]``), :func:`masked_argmax` or :func:`masked_sample` picks
one per environment and :meth:`JobShopEnv.step` dispatches them.

Decisions with a single candidate are taken automatically (``skip_forced``), as
:meth:`JobShopSim.run` does for the rules, so every observed decision is a real
choice. Every dispatched operation, forced or chosen, is recorded in the env's
:attr:`JobShopEnv.traces` as ``(op_id, machine_id, start)``.

No torch or onnxruntime here: a policy is any ``policy_fn(obs) -> scores``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from opsplan.models import objective_value
from opsplan.models.jobshop.scenario import JobShopScenario
from opsplan.models.schedule import Assignment, Schedule
from opsplan.policies.features import JOBSHOP_V1, FeatureSpec, features
from opsplan.solvers.dispatch import late_jobs
from opsplan.solvers.dispatch.simulator import JobShopSim

TraceStep = tuple[str, str, int]  # (op_id, machine_id, start)


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
    """The best rollout of one scenario: its schedule, objective value and env index."""

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


class JobShopEnv:
    """Vectorized dispatch environment: one simulator per (scenario, rollout).

    Parameters
    ----------
    scenarios
        Validated job-shop scenarios.
    rollouts
        Environments per scenario (best-of-N sampling).
    spec
        Feature specification (a job-shop one).
    seed
        Seed of the environment's generator (used by :meth:`act_sample` and
        :meth:`rollout` when no generator is given).
    scheme
        Schedule-generation scheme of the simulators: ``"active"`` (default:
        Giffler–Thompson, the space that always holds an optimal schedule) or
        ``"nondelay"`` (the rules' default; fewer, greedier candidates).
    skip_forced
        Dispatch lone candidates automatically (default), so that every observed
        decision has at least two candidates.
    pinned, earliest
        Passed to every simulator (meant for one scenario with N rollouts:
        pins/earliest starts of the runtime's ``Params``).
    """

    def __init__(
        self,
        scenarios: Sequence[JobShopScenario],
        rollouts: int = 1,
        spec: FeatureSpec = JOBSHOP_V1,
        seed: int = 0,
        *,
        scheme: str = "active",
        skip_forced: bool = True,
        pinned: Iterable[Assignment] = (),
        earliest: Mapping[str, int] | None = None,
    ) -> None:
        if rollouts < 1:
            raise ValueError(f"rollouts must be at least 1, got {rollouts}")
        if spec.kind != "jobshop":
            raise ValueError(f"JobShopEnv needs a job-shop feature specification, got {spec.id}")
        self.scenarios: tuple[JobShopScenario, ...] = tuple(scenarios)
        if not self.scenarios:
            raise ValueError("JobShopEnv needs at least one scenario")
        self.rollouts = int(rollouts)
        self.spec = spec
        self.skip_forced = skip_forced
        self.rng = np.random.default_rng(seed)
        pins = tuple(pinned)
        self.sims: list[JobShopSim] = []
        for sc in self.scenarios:
            # one simulator per rollout: the static tables are cheap next to a rollout
            self.sims.extend(JobShopSim(sc, pins, scheme, earliest) for _ in range(self.rollouts))
        self.traces: list[list[TraceStep]] = [[] for _ in self.sims]
        self._obs: Observation | None = None
        self.reset()

    # -- basics ---------------------------------------------------------------------------
    @property
    def batch_size(self) -> int:
        """``B``: the number of environments."""
        return len(self.sims)

    def scenario_of(self, b: int) -> int:
        """Index of the scenario env ``b`` runs."""
        return b // self.rollouts

    @property
    def done(self) -> np.ndarray:
        """bool ``[B]``: which environments have dispatched every operation."""
        return np.fromiter((s.done for s in self.sims), dtype=bool, count=len(self.sims))

    @property
    def all_done(self) -> bool:
        return all(s.done for s in self.sims)

    def reset(self) -> Observation:
        """Start every environment again (pins stay) and return the first observation."""
        for b, sim in enumerate(self.sims):
            sim.reset()
            self.traces[b] = []
            self._skip(b)
        self._obs = None
        return self.observe()

    def _dispatch(self, b: int, index: int) -> None:
        sim = self.sims[b]
        p = sim.candidate_pairs()[index]
        start, _ = sim.step(index)
        self.traces[b].append((sim.op_ids[int(sim.pair_op[p])], sim.machine_ids[int(sim.pair_machine[p])], start))

    def _skip(self, b: int) -> None:
        if not self.skip_forced:
            return
        sim = self.sims[b]
        while not sim.done and len(sim.candidate_pairs()) == 1:
            self._dispatch(b, 0)

    # -- observe / step ---------------------------------------------------------------------
    def observe(self) -> Observation:
        """The current padded observation (cached until the next :meth:`step` or :meth:`reset`)."""
        if self._obs is not None:
            return self._obs
        spec = self.spec
        n_b = len(self.sims)
        batches = [s.batch() for s in self.sims]
        counts = np.asarray([len(bt) for bt in batches], dtype=np.int64)
        k = max(int(counts.max(initial=0)), 1)
        cand = np.zeros((n_b, k, spec.n_candidate), np.float32)
        glob = np.zeros((n_b, spec.n_global), np.float32)
        mask = np.zeros((n_b, k), bool)
        for b, bt in enumerate(batches):
            n = counts[b]
            x, glob[b] = features(bt, spec)
            if n:
                cand[b, :n] = x
                mask[b, :n] = True
        done = counts == 0
        self._obs = Observation(cand, mask, glob, done, counts)
        return self._obs

    def step(self, actions: np.ndarray | Sequence[int]) -> Observation:
        """Dispatch ``actions[b]`` (an index into env ``b``'s candidates) in every unfinished env.

        Actions of finished envs are ignored. All actions are checked before any
        is applied.

        Raises
        ------
        ValueError
            When ``actions`` is not ``B`` integers, or an unfinished env's action
            is masked (negative, a padded slot or beyond its candidates); the
            message names the env.
        """
        a = np.asarray(actions)
        n_b = len(self.sims)
        if a.shape != (n_b,):
            raise ValueError(f"actions must have shape ({n_b},), got {a.shape}")
        if a.dtype.kind not in "iub":
            if a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
                a = a.astype(np.int64)
            else:
                raise ValueError(f"actions must be integers, got dtype {a.dtype}")
        obs = self.observe()
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
        for b in range(n_b):
            if not obs.done[b]:
                self._dispatch(b, int(a[b]))
                self._skip(b)
        self._obs = None
        return self.observe()

    # -- acting -----------------------------------------------------------------------------------
    def act_greedy(self, scores: np.ndarray) -> np.ndarray:
        """Masked arg-max of ``scores [B, K]`` under the current mask."""
        return masked_argmax(scores, self.observe().mask)

    def act_sample(
        self, scores: np.ndarray, rng: np.random.Generator | None = None, temperature: float = 1.0
    ) -> np.ndarray:
        """Masked softmax sample of ``scores [B, K]`` (``rng`` defaults to the env's)."""
        return masked_sample(scores, self.observe().mask, self.rng if rng is None else rng, temperature)

    def rollout(
        self,
        policy_fn: Callable[[Observation], np.ndarray],
        greedy: bool = True,
        *,
        rng: np.random.Generator | None = None,
        temperature: float = 1.0,
        greedy_first: bool = False,
        reset: bool = True,
    ) -> list[Schedule]:
        """Run every environment to the end with ``policy_fn(obs) -> scores [B, K]``.

        ``greedy`` picks the masked arg-max, otherwise masked softmax sampling at
        ``temperature``; with ``greedy_first`` rollout 0 of each scenario stays
        greedy while the others sample (best-of-N then never loses to greedy).
        Starts from a :meth:`reset` unless ``reset`` is False. Returns
        :meth:`schedules`.
        """
        obs = self.reset() if reset else self.observe()
        first = np.asarray([b % self.rollouts == 0 for b in range(len(self.sims))])
        while not obs.done.all():
            scores = np.asarray(policy_fn(obs))
            if scores.shape != obs.mask.shape:
                raise ValueError(f"policy returned scores of shape {scores.shape}, expected {obs.mask.shape}")
            if greedy:
                act = masked_argmax(scores, obs.mask)
            else:
                act = masked_sample(scores, obs.mask, self.rng if rng is None else rng, temperature)
                if greedy_first:
                    act = np.where(first, masked_argmax(scores, obs.mask), act)
            obs = self.step(act)
        return self.schedules()

    # -- results ----------------------------------------------------------------------------------
    def schedules(self, name: str = "policy") -> list[Schedule]:
        """The schedule (so far) of every environment, named ``name``."""
        return [sim.schedule(name) for sim in self.sims]

    def best_per_scenario(self, name: str = "policy") -> list[Best]:
        """For each scenario, its best rollout by the scenario's objective.

        A schedule that meets every hard deadline beats one that misses any (as
        :func:`~opsplan.solvers.dispatch.best_rule` does); ties go to the lower rollout.

        Raises
        ------
        ValueError
            When some environment has not finished.
        """
        if not self.all_done:
            raise ValueError(f"environments {np.flatnonzero(~self.done).tolist()} have not finished")
        out: list[Best] = []
        for i, sc in enumerate(self.scenarios):
            best: Best | None = None
            best_key: tuple[bool, int] | None = None
            for r in range(self.rollouts):
                b = i * self.rollouts + r
                sched = self.sims[b].schedule(name)
                value = int(objective_value(sc, sched))
                late = tuple(late_jobs(sc, sched))
                key = (bool(late), value)
                if best_key is None or key < best_key:
                    best, best_key = Best(sched, value, b, late), key
            assert best is not None
            out.append(best)
        return out


# -- one environment per scenario kind --------------------------------------------------------------
@dataclass(frozen=True)
class Environment:
    """How the runtime builds a kind's batched environment.

    ``factory(scenarios, rollouts, spec, *, scheme, pinned, earliest)`` returns an object
    with ``observe() -> Observation``, ``step(actions) -> Observation``,
    ``best_per_scenario(name) -> list[Best]``, ``traces`` and ``batch_size``, as
    :class:`JobShopEnv` does; ``schemes`` are the generation schemes it accepts (the
    first is the default). The next kinds (migration, cluster placement, fleet) register
    theirs with :func:`register_environment`, beside their feature specification, and the
    runtime runs their policies unchanged.
    """

    kind: str
    factory: Callable[..., JobShopEnv]
    schemes: tuple[str, ...]


ENVIRONMENTS: dict[str, Environment] = {}


def register_environment(kind: str, factory: Callable[..., JobShopEnv], schemes: Sequence[str]) -> Environment:
    """Register (or replace) the environment of ``kind``; returns it."""
    if not schemes:
        raise ValueError(f"environment of {kind!r} needs at least one scheme")
    env = ENVIRONMENTS[kind] = Environment(kind, factory, tuple(schemes))
    return env


def environment_for(kind: str) -> Environment:
    """The registered environment of ``kind`` (KeyError naming the registered kinds when none)."""
    try:
        return ENVIRONMENTS[kind]
    except KeyError:
        raise KeyError(f"no dispatch environment for kind {kind!r} (registered: {', '.join(ENVIRONMENTS)})") from None


register_environment("jobshop", JobShopEnv, ("active", "nondelay"))

__all__ = [
    "ENVIRONMENTS",
    "Best",
    "Environment",
    "JobShopEnv",
    "Observation",
    "TraceStep",
    "environment_for",
    "masked_argmax",
    "masked_sample",
    "register_environment",
]
