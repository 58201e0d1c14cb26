"""Self-labeling training of a job-shop dispatch policy on generated instances.

The method is *self-labeling* (Corsini, Porrello, Calderara, Dell'Amico, "Self-Labeling
the Job Shop Scheduling Problem", NeurIPS 2024): for every batch of generated
instances the current policy samples ``N`` schedules per instance
(:class:`~opsplan.policies.jobshop_env.JobShopEnv` with ``rollouts=N``, softmax sampling
through :func:`~opsplan.policies.env.run_rollouts`;
rollout 0 stays greedy), the best one per instance (makespan) becomes the
pseudo-label, and the network is trained with cross-entropy to pick, at every
decision of that schedule, the candidate it picked. The decisions are recovered
by replaying the best rollout's recorded actions through a fresh environment
(the simulator is deterministic), so only action indices are kept while sampling.

Training data are **generated only** (:func:`generate_instance`: Taillard-style
random job shops, durations uniform in ``[low, high]``, random machine orders,
a fraction flexible); no file is read, in particular nothing from the public
benchmark sets, which stay for evaluation.

Everything is seeded from :attr:`TrainConfig.seed`: the same config gives the same
network on the same machine and thread count (:func:`train_from_card` re-runs a card).
A time budget stops early; the card then records the iterations actually run,
so re-running the card needs no budget.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from opsplan.models import objective_value
from opsplan.models.jobshop.build import random_jobshop
from opsplan.models.jobshop.scenario import JobShopScenario
from opsplan.policies.env import Observation, run_rollouts
from opsplan.policies.features import FeatureSpec, spec_for
from opsplan.policies.jobshop_env import JobShopEnv
from opsplan.policies.jobshop_features import JOBSHOP_V1
from opsplan.policies.training.export import export_onnx, write_card
from opsplan.policies.training.model import ScoringNet
from opsplan.solvers.dispatch.jobshop import best_rule, dispatch
from torch import nn

METHOD = "self-labeling"
Log = Callable[[str], None]


@dataclass(frozen=True)
class TrainConfig:
    """Settings of a self-labeling run (all of it goes into the card's ``training.config``).

    Parameters
    ----------
    iterations
        Iterations; each generates ``instances`` new instances.
    instances
        Instances per iteration.
    samples
        ``N``: sampled schedules per instance (the best is the label).
    jobs, machines
        Inclusive ranges of the instance sizes (machines at most jobs when possible).
    low, high
        Range of the processing times.
    flexible_fraction
        Share of flexible instances; those allow 1 to ``k`` machines per
        operation, ``k`` drawn from ``flexible``.
    flexible
        Inclusive range of ``k``.
    hidden
        Width of the network.
    lr
        Adam learning rate.
    weight_decay
        Adam weight decay.
    batch_decisions
        Decisions per gradient step (the iteration's decisions are shuffled and split).
    epochs
        Passes over an iteration's decisions.
    clip_grad
        Gradient-norm clip.
    temperature
        Sampling temperature.
    greedy_first
        Keep rollout 0 of each instance greedy (the label is never worse than greedy).
    scheme
        Schedule-generation scheme of the environment.
    seed
        Seed of everything (instances, sampling, shuffling, initialisation).
    time_budget_s
        Stop before an iteration once this many seconds have passed (None: no limit).
    threads
        torch threads during training (None: leave torch's setting). Default 1: the
        batches are small, and on a busy 2-core machine two threads made a forward
        pass ~40x slower (2 ms -> 75-120 ms for 128 x 15 candidates).
    eval_every, eval_instances
        Every ``eval_every`` iterations (and after the last) the greedy policy runs on
        ``eval_instances`` held-out generated instances (:func:`generate_instances`
        with iteration -1); the weights with the lowest mean ratio to MWKR there are
        the ones exported. ``eval_every=0`` turns this off (the last weights are exported).
    """

    iterations: int = 200
    instances: int = 8
    samples: int = 32
    jobs: tuple[int, int] = (6, 30)
    machines: tuple[int, int] = (6, 20)
    low: int = 1
    high: int = 99
    flexible_fraction: float = 0.25
    flexible: tuple[int, int] = (2, 3)
    hidden: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    batch_decisions: int = 128
    epochs: int = 2
    clip_grad: float = 1.0
    temperature: float = 1.0
    greedy_first: bool = True
    scheme: str = "active"
    seed: int = 0
    time_budget_s: float | None = None
    threads: int | None = 1
    eval_every: int = 10
    eval_instances: int = 16

    def __post_init__(self) -> None:
        if self.eval_every < 0 or self.eval_instances < 1:
            raise ValueError(f"eval_every must be >= 0 and eval_instances >= 1, got {self.eval_every}, "
                             f"{self.eval_instances}")
        for name in ("iterations", "instances", "samples", "hidden", "batch_decisions", "epochs"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("jobs", "machines", "flexible"):
            lo, hi = getattr(self, name)
            if not 1 <= lo <= hi:
                raise ValueError(f"{name} must be a range 1 <= lo <= hi, got {(lo, hi)}")
        if not 1 <= self.low <= self.high:
            raise ValueError(f"processing times need 1 <= low <= high, got {(self.low, self.high)}")
        if not 0.0 <= self.flexible_fraction <= 1.0:
            raise ValueError(f"flexible_fraction must lie in [0, 1], got {self.flexible_fraction}")

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (tuples become lists)."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        """The config written by :meth:`as_dict` (unknown keys are refused)."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown training settings {unknown}")
        kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items()}
        return cls(**kw)

    def data_description(self) -> str:
        """One line for the card's ``training.data``."""
        return (
            f"generated only (opsplan.models.jobshop.build.random_jobshop): {self.jobs[0]}-{self.jobs[1]} jobs x "
            f"{self.machines[0]}-{self.machines[1]} machines, random machine orders, durations uniform in "
            f"[{self.low}, {self.high}], {self.flexible_fraction:.0%} flexible with up to "
            f"{self.flexible[0]}-{self.flexible[1]} machines per operation; no benchmark instance"
        )


# -- instances ---------------------------------------------------------------------------------------
def generate_instance(
    seed: int,
    n_jobs: int,
    n_machines: int,
    *,
    flexible: int = 1,
    low: int = 1,
    high: int = 99,
    name: str | None = None,
) -> JobShopScenario:
    """One generated training instance; it depends only on these numbers (no file is ever read)."""
    label = name or f"gen-{n_jobs}x{n_machines}-f{flexible}-s{seed}"
    return random_jobshop(n_jobs, n_machines, seed=int(seed), low=low, high=high, flexible=flexible, name=label)


def generate_instances(config: TrainConfig, iteration: int, count: int | None = None) -> list[JobShopScenario]:
    """The instances of ``iteration`` (sizes, flexibility and seeds drawn from ``config.seed``).

    The instances of a training iteration (``iteration >= 0``) share one size, drawn
    per iteration: a batch then finishes its rollouts together (no finished
    environments or padding to carry along). A negative ``iteration`` gives a
    held-out set of mixed sizes (e.g. ``-1`` for evaluation) that no training
    iteration sees.
    """
    rng = np.random.default_rng([config.seed, abs(iteration), 0 if iteration >= 0 else 1])

    def size() -> tuple[int, int]:
        n_jobs = int(rng.integers(config.jobs[0], config.jobs[1] + 1))
        m_hi = max(min(config.machines[1], n_jobs), config.machines[0])
        return n_jobs, int(rng.integers(config.machines[0], m_hi + 1))

    shared = size() if iteration >= 0 else None
    out = []
    for k in range(config.instances if count is None else count):
        n_jobs, n_machines = shared or size()
        flex = 1
        if rng.random() < config.flexible_fraction:
            flex = int(rng.integers(config.flexible[0], config.flexible[1] + 1))
        seed = int(rng.integers(0, 2**31 - 1))
        tag = f"i{iteration}" if iteration >= 0 else f"h{-iteration}"
        out.append(
            generate_instance(seed, n_jobs, n_machines, flexible=flex, low=config.low, high=config.high,
                              name=f"gen-{tag}-{k}-{n_jobs}x{n_machines}-f{flex}-s{seed}")
        )
    return out


# -- acting with a torch model --------------------------------------------------------------------------
def torch_policy(model: nn.Module) -> Callable[[Observation], np.ndarray]:
    """``policy_fn(obs) -> scores`` for :func:`~opsplan.policies.env.run_rollouts` (no gradients; finished rows
    skipped)."""

    def fn(obs: Observation) -> np.ndarray:
        out = np.zeros(obs.mask.shape, np.float32)
        live = ~obs.done
        if live.any():
            with torch.no_grad():
                s = model(
                    torch.from_numpy(obs.candidates[live]),
                    torch.from_numpy(obs.mask[live]),
                    torch.from_numpy(obs.globals[live]),
                )
            out[live] = s.numpy()
        return out

    return fn


def _sample(
    env: JobShopEnv, policy: Callable[[Observation], np.ndarray], rng: np.random.Generator, temperature: float,
    greedy_first: bool,
) -> list[list[int]]:
    """Sampled rollouts of every env; returns each env's chosen candidate indices in decision order."""
    run = run_rollouts(env, policy, greedy=False, greedy_first=greedy_first, temperature=temperature, rng=rng,
                       reset=True, record=True)
    assert run.actions is not None
    return run.actions


@dataclass
class Decisions:
    """Labelled decisions: candidate features (per decision ``[n, F]``), globals and chosen index."""

    candidates: list[np.ndarray] = field(default_factory=list)
    globals: list[np.ndarray] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.labels)

    def batch(self, idx: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Padded tensors ``(candidates, mask, globals, labels)`` of the decisions ``idx``."""
        k = max(self.candidates[i].shape[0] for i in idx)
        f = self.candidates[idx[0]].shape[1]
        cand = np.zeros((len(idx), k, f), np.float32)
        mask = np.zeros((len(idx), k), bool)
        for r, i in enumerate(idx):
            n = self.candidates[i].shape[0]
            cand[r, :n] = self.candidates[i]
            mask[r, :n] = True
        glob = np.stack([self.globals[i] for i in idx])
        lab = np.asarray([self.labels[i] for i in idx], np.int64)
        return torch.from_numpy(cand), torch.from_numpy(mask), torch.from_numpy(glob), torch.from_numpy(lab)


def replay(
    scenarios: Sequence[JobShopScenario], actions: Sequence[Sequence[int]], spec: FeatureSpec, scheme: str
) -> tuple[Decisions, list[int]]:
    """Replay one action sequence per scenario; return its labelled decisions and the objective values."""
    env = JobShopEnv(scenarios, 1, spec, scheme=scheme)
    data = Decisions()
    ptr = np.zeros(len(scenarios), np.int64)
    obs = env.observe()
    while not obs.done.all():
        act = np.zeros(len(scenarios), np.int64)
        for b in np.flatnonzero(~obs.done):
            a = actions[b][ptr[b]]
            n = int(obs.n_candidates[b])
            data.candidates.append(obs.candidates[b, :n].copy())
            data.globals.append(obs.globals[b].copy())
            data.labels.append(int(a))
            act[b] = a
            ptr[b] += 1
        obs = env.step(act)
    values = [int(objective_value(sc, s)) for sc, s in zip(scenarios, env.schedules())]
    return data, values


def cross_entropy(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of the masked scores (masked entries are very negative: probability ~0)."""
    return nn.functional.cross_entropy(scores, labels)


# -- training ---------------------------------------------------------------------------------------------
def _mwkr_values(scenarios: Sequence[JobShopScenario]) -> list[int]:
    return [int(objective_value(sc, dispatch(sc, "mwkr"))) for sc in scenarios]


def train(
    config: TrainConfig,
    out_dir: str | Path,
    name: str | None = None,
    log: Log = print,
    *,
    spec: FeatureSpec = JOBSHOP_V1,
    command: str | None = None,
) -> dict[str, Any]:
    """Train a policy by self-labeling, export ``<out_dir>/<name>.onnx`` and its card; return the card.

    Every iteration logs ``it``, the loss, the mean ratio of the best sampled makespan
    (and of the greedy rollout's) to the MWKR rule's on the same instances, and the
    seconds so far. The card's ``training`` holds the method, the data, the counts,
    the seconds, the command, the torch version, the full ``config`` (with the
    iterations actually run, time budget cleared) and a short ``curve``.
    """
    if spec.kind != "jobshop":
        raise ValueError(f"self-labeling training is for job shops, got {spec.id}")
    name = name or f"{spec.kind}-policy"
    out_dir = Path(out_dir)
    old_threads = torch.get_num_threads()
    if config.threads is not None:
        torch.set_num_threads(int(config.threads))
    try:
        model, history, seconds, selected = _train_loop(config, spec, log)
    finally:
        torch.set_num_threads(old_threads)

    onnx_path = export_onnx(model, spec, out_dir / f"{name}.onnx", name, scheme=config.scheme)
    done = len(history)
    ran = dataclasses.replace(config, iterations=max(done, 1), time_budget_s=None)
    training = {
        "method": METHOD,
        "data": config.data_description(),
        "instances": done * config.instances,
        "iterations": done,
        "samples": config.samples,
        "seed": config.seed,
        "time_s": round(seconds, 1),
        "command": command or f"opsplan policy train --card {name}.json",
        "torch": torch.__version__,
        "config": ran.as_dict(),
        "decisions": int(sum(h["decisions"] for h in history)),
        "stopped": "time budget" if done < config.iterations else "iterations",
        "curve": _curve(history),
    }
    if selected is not None:
        training["selected"] = selected
    _, card = write_card(name, spec, onnx_path, model.architecture(), training)
    return card


class _Selector:
    """Greedy ratio to MWKR on a fixed held-out generated set; keeps the best weights seen."""

    def __init__(self, config: TrainConfig, spec: FeatureSpec) -> None:
        self.scenarios = generate_instances(config, -1, count=config.eval_instances)
        self.mwkr = np.asarray(_mwkr_values(self.scenarios), np.float64)
        self.spec, self.scheme = spec, config.scheme
        self.best: dict[str, Any] | None = None
        self.state: dict[str, torch.Tensor] | None = None
        self.last_it = -1

    def __call__(self, model: nn.Module, it: int, log: Log) -> None:
        model.eval()
        env = JobShopEnv(self.scenarios, 1, self.spec, scheme=self.scheme)
        env.rollout(torch_policy(model), greedy=True)
        values = [int(objective_value(sc, sched)) for sc, sched in zip(self.scenarios, env.schedules())]
        ratio = float(np.mean(np.asarray(values) / self.mwkr))
        self.last_it = it
        kept = self.best is None or ratio < self.best["heldout_vs_mwkr"]
        if kept:
            self.best = {"it": it, "heldout_vs_mwkr": round(ratio, 5), "heldout_instances": len(self.scenarios)}
            self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        log(f"eval after it {it}: held-out greedy/mwkr {ratio:.4f}{'  (best so far)' if kept else ''}")


def _train_loop(
    config: TrainConfig, spec: FeatureSpec, log: Log
) -> tuple[ScoringNet, list[dict[str, Any]], float, dict[str, Any] | None]:
    model = ScoringNet(spec.n_candidate, spec.n_global, config.hidden, seed=config.seed)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    history: list[dict[str, Any]] = []
    selector = _Selector(config, spec) if config.eval_every else None
    t0 = time.perf_counter()
    for it in range(config.iterations):
        if config.time_budget_s is not None and it > 0 and time.perf_counter() - t0 >= config.time_budget_s:
            log(f"time budget of {config.time_budget_s:g} s reached after {it} iterations")
            break
        scenarios = generate_instances(config, it)
        env = JobShopEnv(scenarios, config.samples, spec, seed=config.seed, scheme=config.scheme)
        model.eval()
        rng = np.random.default_rng([config.seed, it, 2])
        actions = _sample(env, torch_policy(model), rng, config.temperature, config.greedy_first)
        best = env.best_per_scenario()
        greedy = [int(objective_value(sc, env.sims[i * config.samples].schedule())) for i, sc in enumerate(scenarios)]
        data, values = replay(scenarios, [actions[b.env] for b in best], spec, config.scheme)
        if values != [b.value for b in best]:  # the simulator is deterministic: a mismatch is a bug
            raise RuntimeError(f"replayed makespans {values} differ from the sampled {[b.value for b in best]}")
        mwkr = _mwkr_values(scenarios)

        model.train()
        order_rng = np.random.default_rng([config.seed, it, 3])
        losses: list[float] = []
        for _ in range(config.epochs):
            order = order_rng.permutation(len(data))
            for s in range(0, len(order), config.batch_decisions):
                cand, mask, glob, lab = data.batch(order[s : s + config.batch_decisions].tolist())
                loss = cross_entropy(model(cand, mask, glob), lab)
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), config.clip_grad)
                opt.step()
                losses.append(float(loss.detach()))
        loss_mean = float(np.mean(losses)) if losses else float("nan")
        row = {
            "it": it,
            "loss": loss_mean,
            "best_vs_mwkr": float(np.mean(np.asarray([b.value for b in best]) / np.asarray(mwkr))),
            "greedy_vs_mwkr": float(np.mean(np.asarray(greedy) / np.asarray(mwkr))),
            "decisions": len(data),
            "seconds": time.perf_counter() - t0,
        }
        history.append(row)
        log(
            f"it {it:4d}  loss {row['loss']:.4f}  best/mwkr {row['best_vs_mwkr']:.4f}  "
            f"greedy/mwkr {row['greedy_vs_mwkr']:.4f}  decisions {row['decisions']}  {row['seconds']:.1f} s"
        )
        if selector is not None and (it + 1) % config.eval_every == 0:
            selector(model, it, log)
    seconds = time.perf_counter() - t0
    if selector is None:
        return model.eval(), history, seconds, None
    if selector.last_it != len(history) - 1:
        selector(model, len(history) - 1, log)
    assert selector.state is not None
    model.load_state_dict(selector.state)
    return model.eval(), history, seconds, selector.best


def _curve(history: Sequence[Mapping[str, Any]], points: int = 20) -> list[dict[str, Any]]:
    """At most ``points`` rows of the history (first and last included), rounded."""
    if not history:
        return []
    idx = sorted({round(i) for i in np.linspace(0, len(history) - 1, min(points, len(history)))})
    out = []
    for i in idx:
        h = history[i]
        out.append({k: (round(v, 5) if isinstance(v, float) and math.isfinite(v) else v) for k, v in h.items()})
    return out


def train_from_card(
    card: Mapping[str, Any], out_dir: str | Path, log: Log = print, *, name: str | None = None
) -> dict[str, Any]:
    """Re-run the training that made ``card`` (its ``training.config``) into ``out_dir``; return the new card.

    The feature specification must be the registered one of the card's kind/version,
    and the method self-labeling.
    """
    training = card.get("training") or {}
    if training.get("method") != METHOD:
        raise ValueError(f"cannot reproduce training method {training.get('method')!r} (only {METHOD!r})")
    if "config" not in training:
        raise ValueError("the card's training section has no 'config' to re-run")
    spec = FeatureSpec.from_dict(card["features"])
    spec_for(spec.kind, spec.version).check(spec, "card")
    config = TrainConfig.from_dict(training["config"])
    config = dataclasses.replace(config, iterations=int(training.get("iterations", config.iterations)),
                                 time_budget_s=None)
    arch = card.get("architecture") or {}
    if "hidden" in arch and int(arch["hidden"]) != config.hidden:
        raise ValueError(f"card architecture hidden={arch['hidden']} differs from training config {config.hidden}")
    return train(config, out_dir, name or str(card["name"]), log, spec=spec, command=training.get("command"))


# -- evaluation -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Evaluation:
    """Greedy policy vs. the best deterministic rule per instance (``ratio`` < 1: the policy is better)."""

    mean_ratio: float
    ratios: tuple[float, ...]
    policy: tuple[int, ...]
    rules: tuple[int, ...]
    rule_names: tuple[str, ...]
    seconds: float


def evaluate(
    policy: nn.Module | Callable[[Observation], np.ndarray],
    scenarios: Sequence[JobShopScenario],
    spec: FeatureSpec = JOBSHOP_V1,
    *,
    scheme: str = "active",
    rules: Sequence[str] | None = None,
) -> Evaluation:
    """Mean ratio of the policy's greedy objective to the best rule's on ``scenarios``.

    ``policy`` is a torch model or any ``policy_fn(obs) -> scores`` (e.g. an ONNX
    session wrapped by the runtime). The rules are :func:`~opsplan.solvers.dispatch.best_rule`'s
    (every deterministic rule under both schemes unless ``rules`` names some).
    """
    fn = torch_policy(policy) if isinstance(policy, nn.Module) else policy
    t0 = time.perf_counter()
    env = JobShopEnv(scenarios, 1, spec, scheme=scheme)
    env.rollout(fn, greedy=True)
    seconds = time.perf_counter() - t0
    pol = [int(objective_value(sc, s)) for sc, s in zip(scenarios, env.schedules())]
    names, vals = [], []
    for sc in scenarios:
        rule, _, value = best_rule(sc, rules)
        names.append(rule)
        vals.append(int(value))
    ratios = tuple(p / max(v, 1) for p, v in zip(pol, vals))
    return Evaluation(float(np.mean(ratios)), ratios, tuple(pol), tuple(vals), tuple(names), seconds)


def onnx_policy(path: str | Path) -> Callable[[Observation], np.ndarray]:
    """``policy_fn(obs) -> scores`` of an exported ONNX file on onnxruntime's CPU provider (for :func:`evaluate`)."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])

    def fn(obs: Observation) -> np.ndarray:
        feed = {"candidates": obs.candidates, "mask": obs.mask, "globals": obs.globals}
        return sess.run(["scores"], feed)[0]

    return fn


__all__ = [
    "METHOD",
    "Decisions",
    "Evaluation",
    "TrainConfig",
    "cross_entropy",
    "evaluate",
    "generate_instance",
    "generate_instances",
    "onnx_policy",
    "replay",
    "torch_policy",
    "train",
    "train_from_card",
]
