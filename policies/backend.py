"""The ``policy`` solver backend: a learned dispatch policy (ONNX) builds the schedule.

``solve(scenario, "policy:<name>")`` runs a shipped policy (``policies/shipped/<name>.json``),
``solve(scenario, "policy:/path/to/model.onnx")`` any file that fits the contract of
:mod:`opsplan.policies.runtime`. It solves every kind whose dispatch environment and
feature specification are registered (:mod:`opsplan.policies.registrations`); a policy
made for another kind than the scenario's is refused.

>>> from opsplan.solvers import Params, solve
>>> solve(scenario, "policy:/tmp/p.onnx", Params(options={"samples": 64}, time_limit=5))  # doctest: +SKIP

``Params.options``: ``samples`` (default 1: greedy; N: best of the greedy rollout
and N - 1 sampled ones), ``temperature`` (sampling, default 1.0), ``batch``
(sampled rollouts stepped together; default 256 on CUDA, 64 on the CPU),
``provider`` (``auto``/``cpu``/``cuda``; default the ``OPSPLAN_ORT_PROVIDER``
environment variable, else automatic) and ``earliest`` (task id -> earliest
start). ``Params.pinned`` are kept; ``Params.seed`` seeds the sampling;
``Params.threads`` sets the CPU threads of inference.

The greedy rollout always finishes (only the stop token interrupts it); the
sampled batches stop when ``time_limit`` runs out (termination ``time_limit``)
or the stop token is set (``cancelled``); a batch interrupted midway is dropped
and the best finished schedule is returned. Like the dispatch rules, a policy
cannot promise hard deadlines: when its best schedule misses one, the kind's
deterministic fallback (its environment's ``fallback``, e.g. the best dispatch
rule) is returned instead when it meets them all (``stats["fallback"]``), or no
schedule when it does not.
"""

from __future__ import annotations

import time
from typing import Any

from opsplan.models import objective_value
from opsplan.models.errors import SolverError
from opsplan.models.schedule import Schedule
from opsplan.policies.env import Environment, environment_for
from opsplan.policies.runtime import CUDA, PolicyRollout, load_policy
from opsplan.solvers.result import Params, Progress, ProgressCallback, Result, SolutionStatus, StopToken, Termination

NAME = "policy"


_VERSION: str | None = None


def _version() -> str:
    global _VERSION
    if _VERSION is None:
        _VERSION = _find_version()
    return _VERSION


def _find_version() -> str:
    """``opsplan X, onnxruntime Y``: whichever onnxruntime build is installed (GPU or CPU), and what
    the source tree says when there is no package metadata."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        import onnxruntime

        ort = onnxruntime.__version__
    except Exception:  # noqa: BLE001 - any import failure: the policy solver says so elsewhere
        ort = "?"
    try:
        ours = version("opsplan")
    except PackageNotFoundError:
        ours = "dev"
    return f"opsplan {ours}, onnxruntime {ort}"


def solve(
    scenario,  # noqa: ANN001 - a scenario of a kind with a registered dispatch environment
    params: Params,
    on_progress: ProgressCallback | None,
    stop: StopToken,
    variant: str | None,
) -> Result:
    """Backend entry for ``opsplan.solvers.solve(scenario, "policy:<name or path.onnx>")``.

    Returns a FEASIBLE result (bound None) whose ``stats`` hold ``provider``,
    ``samples`` (rollouts finished), ``decisions``, ``inference_calls``,
    ``inference_s``, ``env_s``, ``policy`` (name and, for a card, ``card``) and
    ``trace``: the decisions of the rollout whose schedule is returned, as
    ``[[task_id, resource_id, start], ...]`` in decision order (forced ones included,
    pinned tasks not); absent when the kind's fallback schedule is returned
    instead (``fallback``).

    Raises
    ------
    PolicyFileError
        When the policy file does not fit the contract (one line naming the file).
    ProviderError
        When the asked execution provider cannot be used.
    SolverError
        Without a variant, for another kind of scenario, or for options it cannot honour.
    """
    t0 = time.perf_counter()
    if not variant:
        raise SolverError("solver 'policy' needs a policy: 'policy:<shipped name>' or 'policy:<path>.onnx'")
    options: dict[str, Any] = dict(params.options)
    if options.get("max_changes") is not None:
        raise SolverError("solver 'policy' cannot honour a change budget (max_changes); use cpsat")
    earliest = options.get("earliest")
    samples = max(1, int(options.get("samples", 1)))
    temperature = float(options.get("temperature", 1.0))
    policy = load_policy(variant, provider=options.get("provider"), threads=max(0, int(params.threads)))
    solver = f"{NAME}:{policy.name}"
    kind = getattr(scenario, "kind", None)
    if kind != policy.kind:
        raise SolverError(f"policy '{policy.name}' is for {policy.kind} scenarios, not {kind}")
    env = environment_for(kind)
    batch = max(1, int(options.get("batch", 256 if policy.provider == CUDA else 64)))
    where = f"{policy.device} ({policy.provider})"
    stats: dict[str, Any] = {
        "provider": policy.provider, "policy": policy.name, "samples": 0, "decisions": 0, "inference_calls": 0,
        "inference_s": 0.0, "env_s": 0.0,
    }  # fmt: skip
    if policy.card is not None:
        stats["card"] = policy.card.get("name", policy.name)
    best: PolicyRollout | None = None

    def result(term: Termination, status: SolutionStatus, sched: Schedule | None, obj: int | None, msg: str) -> Result:
        return Result(term, status, sched, None if obj is None else float(obj), None, time.perf_counter() - t0,
                      solver, _version(), msg, stats=dict(stats))

    def absorb(got: PolicyRollout) -> None:
        nonlocal best
        for key in ("decisions", "inference_calls", "inference_s", "env_s"):
            stats[key] = round(stats[key] + got.stats[key], 6)
        stats["samples"] += got.rollouts
        if got.schedule is None:
            return
        if best is None or (bool(got.late), got.value) < (bool(best.late), best.value):
            best = got
            if on_progress is not None and not got.late:  # a plan that misses a deadline is no answer
                on_progress(Progress(float(got.value), None, time.perf_counter() - t0, solver))

    if stop.is_set():
        return result(Termination.CANCELLED, SolutionStatus.NONE, None, None, "cancelled before start")
    common = {"pinned": params.pinned, "earliest": earliest, "temperature": temperature, "name": solver}
    try:
        # the greedy rollout first, whatever the time limit: it is the answer when nothing else finishes
        absorb(policy.rollout([scenario], 1, should_stop=stop.is_set, **common)[0])
        termination = Termination.COMPLETED
        if best is None:
            return result(Termination.CANCELLED, SolutionStatus.NONE, None, None, "cancelled during the rollout")

        def out_of_time() -> bool:
            return params.time_limit is not None and time.perf_counter() - t0 >= params.time_limit

        left = samples - 1
        while left > 0:
            if stop.is_set():
                termination = Termination.CANCELLED
                break
            if out_of_time():
                termination = Termination.TIME_LIMIT
                break
            n = min(left, batch)
            # rollouts 1, 2, ... of the seed's streams (0 is the greedy one), whatever the batch size
            got = policy.rollout(
                [scenario], n, seed=params.seed, greedy_first=False, max_batch=n, first_index=samples - left,
                should_stop=lambda: stop.is_set() or out_of_time(), **common,
            )[0]
            absorb(got)
            if got.stats["stopped"]:
                termination = Termination.CANCELLED if stop.is_set() else Termination.TIME_LIMIT
                break
            left -= n
    except env.errors as exc:  # pins that cannot be honoured
        return result(Termination.ERROR, SolutionStatus.NONE, None, None, str(exc))
    assert best is not None
    msg = f"{policy.name} on {where}: best of {stats['samples']} rollout{'s' if stats['samples'] != 1 else ''}"
    if best.late:
        return _deadline_fallback(env, scenario, params, earliest, solver, best, msg, result, stats, on_progress,
                                  t0, termination)
    if best.trace is not None:
        stats["trace"] = [[task, resource, int(start)] for task, resource, start in best.trace]
    return result(termination, SolutionStatus.FEASIBLE, best.schedule, best.value, msg)


def _deadline_fallback(env: Environment, scenario, params: Params, earliest, solver: str,  # noqa: ANN001
                       best: PolicyRollout, msg: str, result, stats: dict[str, Any],  # noqa: ANN001
                       on_progress: ProgressCallback | None, t0: float,
                       termination: Termination = Termination.COMPLETED) -> Result:
    """The policy's best schedule misses a hard deadline: the kind's fallback when it meets them all, or none."""
    missed = f"{msg}; its best misses a deadline ({'; '.join(best.late)})"
    stats["late"] = list(best.late)
    got = env.fallback(scenario, tuple(params.pinned), earliest) if env.fallback is not None else None
    if got is None:
        what = "no fallback schedule meets them all" if env.fallback is not None else f"{env.kind} has no fallback"
        return result(termination, SolutionStatus.NONE, None, None, f"{missed}, and {what}: no schedule "
                      "(try cpsat or mip)")
    name, schedule = got
    schedule = schedule.renamed(solver)
    stats["fallback"] = name
    value = int(objective_value(scenario, schedule))
    if on_progress is not None:
        on_progress(Progress(float(value), None, time.perf_counter() - t0, solver))
    return result(termination, SolutionStatus.FEASIBLE, schedule, value,
                  f"{missed}; used {name}, which meets every deadline")


__all__ = ["NAME", "solve"]
