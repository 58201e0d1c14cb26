"""The ONNX runtime of learned dispatch policies: provider choice, validated loading, batched rollouts.

A policy file is an ONNX model with the contract below; :func:`load_policy`
validates it and returns a :class:`PolicySession` that scores observations of
the dispatch environment registered for the policy's kind
(:func:`~opsplan.policies.env.environment_for`) and builds schedules (greedy, or the
best of N sampled rollouts run as one batch). Nothing here knows a kind: a policy
runs on every kind whose environment and feature specification are registered.

The contract (format ``"1"``)
-----------------------------
* inputs ``candidates`` float32 ``[batch, n_candidates, F]``, ``mask`` bool
  ``[batch, n_candidates]``, ``globals`` float32 ``[batch, G]``; ``batch`` and
  ``n_candidates`` are dynamic axes, ``F``/``G`` those of the feature spec;
* output ``scores`` float32 ``[batch, n_candidates]`` (masked entries may hold
  anything: the runtime masks them again);
* metadata ``opsplan.kind``, ``opsplan.features`` (JSON of
  :meth:`FeatureSpec.as_dict`), ``opsplan.policy`` (the name), ``opsplan.format``
  (``"1"``); optional ``opsplan.scheme`` (the environment's schedule-generation
  scheme the policy was trained on: one the kind's environment registers, by default
  its first);
* optionally a card ``<name>.json`` beside ``<name>.onnx`` (always so in
  ``policies/shipped/``) whose ``sha256`` must match the file.

Providers
---------
onnxruntime-gpu lists CUDA even where no GPU works, and asking for it there
prints loader errors on stderr. :func:`available_providers` therefore probes once
per process, with a tiny model, what really works, keeping ONNX Runtime's noise
off the terminal; :func:`choose_providers` then picks CUDA when it works and the
CPU otherwise. ``OPSPLAN_ORT_PROVIDER=cpu|cuda`` forces one (``cuda`` without a
working GPU is a :class:`ProviderError`). onnxruntime is imported only inside
functions, so importing this module loads nothing heavy.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from opsplan.models.errors import FileFormatError, OpsPlanError
from opsplan.models.schedule import Assignment, Schedule
from opsplan.policies.env import ENVIRONMENTS, Observation, TraceStep, environment_for, run_rollouts
from opsplan.policies.features import SPECS, FeatureMismatch, FeatureSpec, spec_for
from opsplan.policies.solver_registrations import shipped, shipped_dir

ENV_PROVIDER = "OPSPLAN_ORT_PROVIDER"
CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
FORMAT = "1"
INPUTS: dict[str, tuple[str, int]] = {  # name -> (element type, rank)
    "candidates": ("tensor(float)", 3),
    "mask": ("tensor(bool)", 2),
    "globals": ("tensor(float)", 2),
}
OUTPUT = "scores"
OUTPUT_TYPE = ("tensor(float)", 2)
METADATA = ("opsplan.kind", "opsplan.features", "opsplan.policy", "opsplan.format")

# y = x + x on float[1]: the smallest model a provider can be tried on (serialized ONNX, IR 7, opset 13)
_PROBE_MODEL = (
    b"\x08\x07\x12\x00:5\n\x0e\n\x01x\n\x01x\x12\x01y\"\x03Add\x12\x01pZ\x0f\n\x01x\x12\n\n\x08\x08\x01\x12\x04"
    b"\n\x02\x08\x01b\x0f\n\x01y\x12\n\n\x08\x08\x01\x12\x04\n\x02\x08\x01B\x04\n\x00\x10\r"
)


class PolicyFileError(FileFormatError):
    """A policy file (or its card) cannot be used; the one-line message names the file and the problem."""

    def __init__(self, path: str | os.PathLike[str], what: str) -> None:
        super().__init__(str(path), None, _one_line(what))


class ProviderError(OpsPlanError):
    """The asked ONNX Runtime execution provider cannot be used (or onnxruntime is missing)."""


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def shipped_policies() -> tuple[str, ...]:
    """Names of the shipped policies (one per card ``shipped/*.json``), sorted."""
    return tuple(sorted(shipped(folder=shipped_dir())))


# -- quiet ONNX Runtime --------------------------------------------------------------------------
_QUIET_LOCK = threading.RLock()


class _QuietStderr:
    """Send file descriptor 2 to a temporary file while ONNX Runtime creates a session.

    The provider loader writes straight to fd 2 (not through Python), so
    ``sys.stderr`` redirection would not catch it. What was written is kept in
    :attr:`text` (for error messages); fd 2 is restored on every exit path.
    """

    def __init__(self) -> None:
        self.text = ""
        self._saved: int | None = None
        self._tmp: Any = None

    def __enter__(self) -> _QuietStderr:
        _QUIET_LOCK.acquire()
        try:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            self._tmp = tempfile.TemporaryFile()
            self._saved = os.dup(2)
            os.dup2(self._tmp.fileno(), 2)
        except OSError:  # no fd 2 to redirect (embedded interpreters): stay loud rather than fail
            self._restore()
        except BaseException:
            self._restore()
            _QUIET_LOCK.release()
            raise
        return self

    def _restore(self) -> None:
        if self._saved is not None:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os.dup2(self._saved, 2)
            os.close(self._saved)
            self._saved = None
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                self._tmp.seek(0)
                self.text = self._tmp.read().decode("utf-8", "replace")
            self._tmp.close()
            self._tmp = None

    def __exit__(self, *exc: object) -> None:
        try:
            self._restore()
        finally:
            _QUIET_LOCK.release()


def _ort():  # noqa: ANN202 - the onnxruntime module
    """Import onnxruntime (lazily) with its default logger at ERROR, or raise :class:`ProviderError`."""
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise ProviderError(
            f"onnxruntime is not installed ({exc}); install onnxruntime-gpu or onnxruntime to run policies"
        ) from None
    global _LOGGER_SET
    if not _LOGGER_SET:
        ort.set_default_logger_severity(3)  # errors only; the provider loader's errors are caught by _QuietStderr
        _LOGGER_SET = True
    return ort


_LOGGER_SET = False


def _session(model: bytes, providers: Sequence[str], threads: int = 0):  # noqa: ANN202 - InferenceSession
    """An InferenceSession on ``providers`` with ONNX Runtime's loader noise kept off stderr."""
    ort = _ort()
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    if threads > 0:
        opts.intra_op_num_threads = int(threads)
        opts.inter_op_num_threads = 1
    # onnxruntime's Python fallback between providers print()s ("EP Error ... Falling back"): that must
    # not land on stdout, where `opsplan solve --json` writes its one object
    with _QuietStderr(), warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return ort.InferenceSession(model, sess_options=opts, providers=list(providers))


# -- providers -------------------------------------------------------------------------------------
_PROBE: tuple[tuple[str, ...], str] | None = None
_PROBE_LOCK = threading.Lock()


def _probe() -> tuple[tuple[str, ...], str]:
    """(providers that really work, why CUDA does not) — computed once per process."""
    global _PROBE
    with _PROBE_LOCK:
        if _PROBE is not None:
            return _PROBE
        ort = _ort()
        listed = set(ort.get_available_providers())
        if CUDA not in listed:
            _PROBE = ((CPU,), f"this onnxruntime build has no CUDA provider (build: {ort.get_device()})")
            return _PROBE
        reason = ""
        works = False
        with _QuietStderr() as quiet, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                opts = ort.SessionOptions()
                opts.log_severity_level = 3
                sess = ort.InferenceSession(_PROBE_MODEL, sess_options=opts, providers=[CUDA, CPU])
                if sess.get_providers()[0] == CUDA:
                    y = sess.run(["y"], {"x": np.ones(1, np.float32)})[0]
                    works = bool(y[0] == 2.0)
                    reason = "" if works else "the CUDA provider computed a wrong result"
            except Exception as exc:  # noqa: BLE001 - any failure means: no CUDA
                reason = _one_line(str(exc))
        if not works and not reason:
            lines = [ln for ln in quiet.text.splitlines() if "fail" in ln.lower() or "error" in ln.lower()]
            reason = _loader_reason(lines[0]) if lines else "CUDAExecutionProvider fell back to the CPU"
        _PROBE = ((CUDA, CPU) if works else (CPU,), reason)
        return _PROBE


def _loader_reason(line: str) -> str:
    """The useful tail of an ONNX Runtime loader line (drop timestamps and source locations)."""
    for marker in ("with error:", "FAIL :", "] "):
        if marker in line:
            line = line.rsplit(marker, 1)[1]
            break
    return _one_line(line).strip("[]m ") or "CUDAExecutionProvider could not be loaded"


def available_providers() -> tuple[str, ...]:
    """Execution providers that really work here, best first: ``(CUDA, CPU)`` or ``(CPU,)``.

    Probed once per process with a tiny model (ONNX Runtime's loader errors are
    kept off stderr). Raises :class:`ProviderError` when onnxruntime is missing.
    """
    return _probe()[0]


def cuda_unavailable_reason() -> str:
    """Why CUDA is not used ('' when it works)."""
    return _probe()[1]


def choose_providers(prefer: str | None = None) -> list[str]:
    """The providers a policy session gets: CUDA (with CPU fallback) when it works, else the CPU.

    Parameters
    ----------
    prefer
        ``"auto"``/None (default: the ``OPSPLAN_ORT_PROVIDER`` environment variable,
        else automatic), ``"cpu"`` or ``"cuda"`` (the full provider names work too).

    Raises
    ------
    ProviderError
        For an unknown choice, or ``cuda`` where CUDA does not work (the message says why).
    """
    source = "asked"
    if prefer is None or str(prefer).strip() == "":
        prefer = os.environ.get(ENV_PROVIDER, "").strip() or "auto"
        source = f"{ENV_PROVIDER}={prefer}" if prefer != "auto" else "auto"
    choice = str(prefer).strip().lower().removesuffix("executionprovider")
    if choice not in ("auto", "cpu", "cuda"):
        raise ProviderError(f"unknown ONNX Runtime provider '{prefer}' ({source}); use cpu, cuda or auto")
    if choice == "cpu":
        return [CPU]
    providers = available_providers()
    if choice == "cuda" and CUDA not in providers:
        raise ProviderError(
            f"CUDA was asked for ({source}) but CUDAExecutionProvider does not work here: "
            f"{cuda_unavailable_reason()}; use {ENV_PROVIDER}=cpu or auto"
        )
    return list(providers)


# -- loading ---------------------------------------------------------------------------------------
def _read_card(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyFileError(path, f"cannot read the policy card: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PolicyFileError(path, f"policy card is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PolicyFileError(path, f"policy card must be a JSON object, not {type(data).__name__}")
    return data


def _locate(path_or_name: str | os.PathLike[str]) -> tuple[Path, Path | None, dict[str, Any] | None]:
    """(onnx path, card path or None, card or None) of a shipped name, a card path or an .onnx path."""
    text = os.fspath(path_or_name)
    is_path = isinstance(path_or_name, os.PathLike) or any(
        c in text for c in ("/", os.sep, os.altsep or "/")
    ) or text.endswith((".onnx", ".json"))
    if not is_path:
        card_path = shipped_dir() / f"{text}.json"
        if not card_path.is_file():
            have = ", ".join(shipped_policies()) or "none"
            raise PolicyFileError(card_path, f"no shipped policy named '{text}' (shipped: {have})")
    elif text.endswith(".json"):
        card_path = Path(text)
        if not card_path.is_file():
            raise PolicyFileError(card_path, "no such policy card")
    else:
        onnx_path = Path(text)
        sibling = onnx_path.with_suffix(".json")
        if not sibling.is_file():
            return onnx_path, None, None
        card_path = sibling
    card = _read_card(card_path)
    onnx_name = card.get("onnx")
    if not isinstance(onnx_name, str) or not onnx_name:
        raise PolicyFileError(card_path, "policy card has no 'onnx' file name")
    onnx_path = card_path.parent / onnx_name
    if is_path and not text.endswith(".json") and onnx_path.resolve() != Path(text).resolve():
        raise PolicyFileError(card_path, f"policy card describes '{onnx_name}', not '{Path(text).name}'")
    return onnx_path, card_path, card


def _dims_ok(shape: Sequence[Any], fixed: Mapping[int, int]) -> str:
    """'' when ``shape`` has dynamic batch/candidate axes and the fixed sizes asked; else what is wrong."""
    bad = []
    for axis, dim in enumerate(shape):
        want = fixed.get(axis)
        if want is None:
            if isinstance(dim, int) and dim > 0:
                bad.append(f"axis {axis} is fixed to {dim} (must be dynamic)")
        elif isinstance(dim, int) and dim != want:
            bad.append(f"axis {axis} is {dim}, the feature spec needs {want}")
    return "; ".join(bad)


def _check_io(path: Path, sess) -> None:  # noqa: ANN001 - InferenceSession
    inputs = {i.name: i for i in sess.get_inputs()}
    if set(inputs) != set(INPUTS):
        missing = [n for n in INPUTS if n not in inputs]
        extra = [n for n in inputs if n not in INPUTS]
        parts = ([f"missing {missing}"] if missing else []) + ([f"unexpected {extra}"] if extra else [])
        raise PolicyFileError(
            path, f"input names {sorted(inputs)} do not match the policy contract {list(INPUTS)} ({', '.join(parts)})"
        )
    outputs = {o.name: o for o in sess.get_outputs()}
    if OUTPUT not in outputs:
        raise PolicyFileError(path, f"no output '{OUTPUT}' (outputs: {sorted(outputs)}); the policy contract needs it")
    checks = [(f"input '{n}'", inputs[n], t, r) for n, (t, r) in INPUTS.items()]
    checks.append((f"output '{OUTPUT}'", outputs[OUTPUT], *OUTPUT_TYPE))
    for what, arg, typ, rank in checks:
        if arg.type != typ:
            raise PolicyFileError(path, f"{what} has element type {arg.type}, the policy contract needs {typ}")
        shape = list(arg.shape or [])
        if len(shape) != rank:
            raise PolicyFileError(path, f"{what} has rank {len(shape)} {shape}, the policy contract needs rank {rank}")


def _check_dims(path: Path, sess, spec: FeatureSpec) -> None:  # noqa: ANN001 - InferenceSession
    inputs = {i.name: i for i in sess.get_inputs()}
    out = {o.name: o for o in sess.get_outputs()}[OUTPUT]
    for what, shape, fixed, label in (
        ("input 'candidates'", inputs["candidates"].shape, {2: spec.n_candidate}, "F"),
        ("input 'mask'", inputs["mask"].shape, {}, ""),
        ("input 'globals'", inputs["globals"].shape, {1: spec.n_global}, "G"),
        (f"output '{OUTPUT}'", out.shape, {}, ""),
    ):
        bad = _dims_ok(list(shape), fixed)
        if bad:
            note = f" ({label} = {next(iter(fixed.values()))} features of {spec.id})" if label else ""
            raise PolicyFileError(path, f"{what} has shape {list(shape)}: {bad}{note}")
    # a symbolic feature axis passes the shape check above: one tiny inference shows whether the
    # network really takes the spec's feature counts (else it would fail at the first decision)
    for batch, k in ((1, 1), (2, 3)):
        feed = {"candidates": np.zeros((batch, k, spec.n_candidate), np.float32),
                "mask": np.ones((batch, k), bool), "globals": np.zeros((batch, spec.n_global), np.float32)}
        try:
            (scores,) = sess.run([OUTPUT], feed)
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
            raise PolicyFileError(path, f"does not take {spec.n_candidate} candidate and {spec.n_global} global "
                                        f"features of {spec.id} ({_one_line(str(exc))[:200]})") from None
        if tuple(np.shape(scores)) != (batch, k):
            raise PolicyFileError(path, f"returns scores of shape {list(np.shape(scores))} for {batch} x {k} "
                                        "candidates")


def supported_kinds() -> tuple[str, ...]:
    """The kinds whose dispatch environment is registered (:func:`~opsplan.policies.env.register_environment`)."""
    return tuple(ENVIRONMENTS)


def _spec_from_metadata(path: Path, meta: Mapping[str, str]) -> tuple[str, FeatureSpec]:
    missing = [k for k in METADATA if not meta.get(k)]
    if missing:
        raise PolicyFileError(path, f"missing metadata {', '.join(missing)} (every OpsPlan policy carries {METADATA})")
    if meta["opsplan.format"] != FORMAT:
        raise PolicyFileError(
            path, f"policy format '{meta['opsplan.format']}' is not supported (this runtime reads format {FORMAT})"
        )
    kind = meta["opsplan.kind"]
    if kind not in ENVIRONMENTS:
        raise PolicyFileError(
            path, f"policy kind '{kind}' is not supported (this runtime runs {', '.join(supported_kinds())})"
        )
    try:
        raw = json.loads(meta["opsplan.features"])
        if not isinstance(raw, dict):
            raise TypeError("not a JSON object")
        spec = FeatureSpec.from_dict(raw)
    except (json.JSONDecodeError, TypeError, FeatureMismatch) as exc:
        raise PolicyFileError(path, f"metadata opsplan.features is not a feature specification: {exc}") from None
    if spec.kind != kind:
        raise PolicyFileError(path, f"feature specification {spec.id} is not for the policy's kind '{kind}'")
    try:
        ours = SPECS.get(spec.id) or spec_for(kind)
        ours.check(spec, what="policy")
    except FeatureMismatch as exc:
        raise PolicyFileError(path, str(exc)) from None
    return kind, ours


def _check_sha(card_path: Path, card: Mapping[str, Any], digest: str) -> None:
    sha = card.get("sha256")
    if not isinstance(sha, str) or not sha:
        raise PolicyFileError(card_path, "policy card has no sha256 of its ONNX file")
    if sha.lower() != digest:
        raise PolicyFileError(
            card_path, f"sha256 mismatch: the card says {sha}, the file '{card.get('onnx')}' has {digest} "
            "(the file changed after the card was written)"
        )


def _check_card(card_path: Path, card: Mapping[str, Any], name: str, kind: str, spec: FeatureSpec) -> None:
    if card.get("name") not in (None, name):
        raise PolicyFileError(card_path, f"policy card names '{card.get('name')}', the model's metadata '{name}'")
    if card.get("kind") not in (None, kind):
        raise PolicyFileError(card_path, f"policy card kind '{card.get('kind')}' != the model's kind '{kind}'")
    if "features" in card:
        try:
            spec.check(FeatureSpec.from_dict(card["features"]), what="policy card")
        except (FeatureMismatch, AttributeError, TypeError) as exc:
            raise PolicyFileError(card_path, f"card features do not match the model: {exc}") from None


_CACHE: dict[tuple[Any, ...], PolicySession] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 8


def load_policy(
    path_or_name: str | os.PathLike[str],
    *,
    provider: str | None = None,
    threads: int = 0,
    cache: bool = True,
) -> PolicySession:
    """Load and validate a policy: a shipped name, a path to a card ``.json`` or to a ``.onnx`` file.

    Parameters
    ----------
    path_or_name
        ``"<name>"`` looks up ``policies/shipped/<name>.json``; a path to a ``.onnx``
        file uses the card ``<stem>.json`` beside it when there is one (optional).
    provider
        ``"auto"`` (default; ``OPSPLAN_ORT_PROVIDER`` applies), ``"cpu"`` or ``"cuda"``.
    threads
        CPU threads of the session (0: ONNX Runtime's choice).
    cache
        Reuse a session already loaded from the same unchanged file with the same providers.

    Raises
    ------
    PolicyFileError
        One line naming the file and the problem: missing or unreadable, not an
        ONNX model, sha256 not that of the card, inputs/outputs not as the
        contract (names, element types, ranks, dynamic axes, F/G), missing
        metadata, a feature spec other than the runtime's, an unsupported kind
        or format.
    ProviderError
        When the provider asked for cannot be used.
    """
    onnx_path, card_path, card = _locate(path_or_name)
    if not onnx_path.is_file():
        raise PolicyFileError(onnx_path, "no such policy file" if not onnx_path.exists() else "not a file")
    providers = choose_providers(provider)
    stat = onnx_path.stat()
    card_stat = card_path.stat().st_mtime_ns if card_path is not None else None
    key = (str(onnx_path.resolve()), stat.st_mtime_ns, stat.st_size, card_stat, tuple(providers), threads)
    if cache:
        with _CACHE_LOCK:
            hit = _CACHE.get(key)
        if hit is not None:
            return hit
    try:
        model = onnx_path.read_bytes()
    except OSError as exc:
        raise PolicyFileError(onnx_path, f"cannot read the policy file: {exc.strerror or exc}") from None
    digest = hashlib.sha256(model).hexdigest()
    if card is not None and card_path is not None:  # the cheapest, most telling check first
        _check_sha(card_path, card, digest)
    if not model:
        raise PolicyFileError(onnx_path, "not a valid ONNX model: the file is empty")
    try:
        sess = _session(model, providers, threads)
    except ProviderError:
        raise
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types for a bad model
        raise PolicyFileError(onnx_path, f"not a valid ONNX model ({_one_line(str(exc))[:300]})") from None
    try:
        _check_io(onnx_path, sess)
        meta = dict(sess.get_modelmeta().custom_metadata_map)
    except UnicodeDecodeError:
        raise PolicyFileError(onnx_path, "its names or metadata are not valid UTF-8") from None
    kind, spec = _spec_from_metadata(onnx_path, meta)
    _check_dims(onnx_path, sess, spec)
    schemes = environment_for(kind).schemes
    scheme = meta.get("opsplan.scheme", schemes[0])
    if scheme not in schemes:
        raise PolicyFileError(onnx_path, f"metadata opsplan.scheme '{scheme}' is not one of {', '.join(schemes)}")
    name = meta["opsplan.policy"]
    if card is not None and card_path is not None:
        _check_card(card_path, card, name, kind, spec)
    policy = PolicySession(sess, name=name, kind=kind, spec=spec, path=onnx_path, card=card, sha256=digest,
                           scheme=scheme)
    if cache:
        with _CACHE_LOCK:
            if len(_CACHE) >= _CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[key] = policy
    return policy


# -- running ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PolicyRollout:
    """The best rollout of one scenario.

    ``schedule``/``value`` are None when the run was stopped before any of the
    scenario's rollouts finished. ``late`` names jobs past a hard deadline (a
    policy cannot promise deadlines). ``stats`` are those of the whole call
    (shared by its scenarios): ``decisions`` (choices made by the policy),
    ``inference_calls``, ``inference_s``, ``env_s``, ``rollouts`` (finished),
    ``chunks``, ``stopped``, ``provider``. ``trace`` is the decision trace of the
    rollout whose schedule this is: ``(task_id, resource_id, start)`` per dispatched
    task in decision order, forced decisions included (pins are not in it).
    """

    schedule: Schedule | None
    value: int | None
    late: tuple[str, ...] = ()
    rollouts: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    trace: tuple[TraceStep, ...] | None = None


class PolicySession:
    """A validated policy on an ONNX Runtime session (made by :func:`load_policy`).

    Attributes
    ----------
    name, kind, spec
        The policy's name, scenario kind and feature specification.
    provider
        The execution provider really used (``"CUDAExecutionProvider"`` or ``"CPUExecutionProvider"``).
    card
        The policy card (dict) or None.
    path, sha256, scheme
        The ONNX file, its digest, and the environment scheme the policy expects.
    """

    def __init__(
        self,
        session,  # noqa: ANN001 - onnxruntime.InferenceSession
        *,
        name: str,
        kind: str,
        spec: FeatureSpec,
        path: Path,
        card: dict[str, Any] | None = None,
        sha256: str = "",
        scheme: str = "active",
    ) -> None:
        self._session = session
        self.name = name
        self.kind = kind
        self.spec = spec
        self.path = path
        self.card = card
        self.sha256 = sha256
        self.scheme = scheme
        self.providers: tuple[str, ...] = tuple(session.get_providers())
        self.provider = self.providers[0]

    def __repr__(self) -> str:
        return f"PolicySession({self.name!r}, {self.spec.id}, {self.provider})"

    @property
    def device(self) -> str:
        """``"cuda"`` or ``"cpu"``: where inference runs, for people."""
        return "cuda" if self.provider == CUDA else "cpu"

    def score(self, obs: Observation) -> np.ndarray:
        """Scores ``[B, K]`` (float32) of an observation in one inference; masked entries are ``-inf``."""
        mask = np.ascontiguousarray(obs.mask, dtype=bool)
        feeds = {
            "candidates": np.ascontiguousarray(obs.candidates, dtype=np.float32),
            "mask": mask,
            "globals": np.ascontiguousarray(obs.globals, dtype=np.float32),
        }
        scores = np.asarray(self._session.run([OUTPUT], feeds)[0])
        if scores.shape != mask.shape:
            raise PolicyFileError(
                self.path, f"policy returned scores of shape {list(scores.shape)} for a mask of {list(mask.shape)}"
            )
        return np.where(mask, scores.astype(np.float32, copy=False), np.float32(-np.inf))

    def rollout(
        self,
        scenarios: Sequence[Any],
        samples: int = 1,
        seed: int | Sequence[int] = 0,
        greedy_first: bool = True,
        max_batch: int = 1024,
        *,
        temperature: float = 1.0,
        pinned: Iterable[Assignment] = (),
        earliest: Mapping[str, int] | None = None,
        should_stop: Callable[[], bool] | None = None,
        on_chunk: Callable[[list[PolicyRollout]], None] | None = None,
        name: str | None = None,
        first_index: int = 0,
    ) -> list[PolicyRollout]:
        """Build schedules with the policy: greedy (``samples=1``) or the best of ``samples`` rollouts.

        Rollouts run as batched environments (the kind's registered one), ``samples``
        per scenario, at most ``max_batch`` environments per chunk; every step
        of a chunk is one inference. With ``greedy_first`` the first rollout of
        each scenario is greedy, so best-of-N never loses to greedy.

        Parameters
        ----------
        scenarios
            Validated scenarios of the policy's kind.
        samples
            Rollouts per scenario (1 = greedy only).
        seed
            Seed of the sampling, an integer or a sequence of them. Rollout ``k`` of a
            scenario draws from its own stream ``default_rng([*seed, k])``, so a seed gives
            the same rollouts however they are batched (``max_batch``, the provider's
            default batch, other scenarios in the call).
        greedy_first
            Keep the first rollout of each scenario greedy.
        max_batch
            Most environments stepped together.
        temperature
            Softmax temperature of the sampling.
        first_index
            The index of this call's first rollout of each scenario (a caller that runs the
            rollouts of one scenario in several calls numbers them on).
        pinned, earliest
            Pins and earliest starts passed to every environment.
        should_stop
            Polled before every step; when it returns True the running chunk is
            dropped and the best of the finished chunks is returned (``stats["stopped"]``).
        on_chunk
            Called after each finished chunk with the best so far per scenario.
        name
            Name of the schedules (default ``policy:<name>``).

        Returns
        -------
        list[PolicyRollout]
            One per scenario, in order.
        """
        if samples < 1:
            raise ValueError(f"samples must be at least 1, got {samples}")
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        scs = tuple(scenarios)
        for sc in scs:
            if getattr(sc, "kind", None) != self.kind:
                raise ValueError(f"policy {self.name} is for {self.kind} scenarios, got {getattr(sc, 'kind', sc)!r}")
        label = name or f"policy:{self.name}"
        pins = tuple(pinned)
        stats: dict[str, Any] = {
            "provider": self.provider, "decisions": 0, "inference_calls": 0, "inference_s": 0.0, "env_s": 0.0,
            "rollouts": 0, "chunks": 0, "stopped": False,
        }  # fmt: skip
        best: list[tuple[Schedule, int, tuple[str, ...], tuple[TraceStep, ...]] | None] = [None] * len(scs)
        done = [0] * len(scs)

        words = _seed_words(seed)
        for idx, n, first in _chunks(len(scs), samples, max_batch, greedy_first):
            greedy = samples == 1 and greedy_first  # one rollout asked to sample (greedy_first=False) samples
            # one stream per rollout (scenario-major, as the environment lays out its rows)
            rngs = [np.random.default_rng([*words, first_index + done[i] + k]) for i in idx for k in range(n)]
            got = self._run_chunk(
                [scs[i] for i in idx], n, greedy, first and not greedy, rngs, temperature, pins, earliest,
                should_stop, stats, label,
            )
            if got is None:
                stats["stopped"] = True
                break
            stats["chunks"] += 1
            for i, (b, trace) in zip(idx, got, strict=True):
                done[i] += n
                stats["rollouts"] += n
                cur = best[i]
                if cur is None or (bool(b.late), b.value) < (bool(cur[2]), cur[1]):
                    best[i] = (b.schedule, b.value, b.late, trace)
            if on_chunk is not None:
                on_chunk(_results(best, done, stats))
        stats["inference_s"] = round(stats["inference_s"], 6)
        stats["env_s"] = round(stats["env_s"], 6)
        return _results(best, done, stats)

    def _run_chunk(
        self,
        scenarios: list[Any],
        rollouts: int,
        greedy: bool,
        greedy_first: bool,
        rngs: list[np.random.Generator],
        temperature: float,
        pinned: tuple[Assignment, ...],
        earliest: Mapping[str, int] | None,
        should_stop: Callable[[], bool] | None,
        stats: dict[str, Any],
        label: str,
    ):  # noqa: ANN202 - list[(Best, its env's trace)] or None when stopped
        t = time.perf_counter()
        env = environment_for(self.kind).factory(scenarios, rollouts, self.spec, scheme=self.scheme, pinned=pinned,
                                                 earliest=earliest)
        env_s = time.perf_counter() - t
        try:
            # a row draws only while it runs: its k-th draw is its k-th decision, whatever the batch
            run = run_rollouts(env, self.score, greedy=greedy, greedy_first=greedy_first, temperature=temperature,
                               rngs=None if greedy else rngs, should_stop=should_stop)
            stats["inference_s"] += run.inference_s
            stats["inference_calls"] += run.inference_calls
            stats["decisions"] += run.decisions
            env_s += run.env_s
            if not run.finished:
                return None
            t = time.perf_counter()
            bests = env.best_per_scenario(label)
            env_s += time.perf_counter() - t
            # the trace of the very env whose schedule won, so replaying it rebuilds that schedule
            return [(b, tuple(env.traces[b.env])) for b in bests]
        finally:
            stats["env_s"] += env_s


def _seed_words(seed: int | Sequence[int]) -> list[int]:
    """Non-negative seed words (numpy refuses negative ones) from an int or a sequence of ints."""
    words = [seed] if isinstance(seed, int | np.integer) else list(seed)
    return [int(w) % (1 << 64) for w in words]


def _chunks(n_scenarios: int, samples: int, max_batch: int, greedy_first: bool):  # noqa: ANN202 - iterator
    """(scenario indices, rollouts per scenario, is each scenario's first chunk) of a batched run."""
    if samples >= max_batch:
        for i in range(n_scenarios):
            left, first = samples, True
            while left > 0:
                n = min(left, max_batch)
                yield [i], n, first and greedy_first
                left -= n
                first = False
    else:
        per = max(1, max_batch // samples)
        for s in range(0, n_scenarios, per):
            yield list(range(s, min(s + per, n_scenarios))), samples, greedy_first


def _results(best: list, done: list[int], stats: dict[str, Any]) -> list[PolicyRollout]:  # noqa: ANN001
    out = []
    for b, n in zip(best, done, strict=True):
        if b is None:
            out.append(PolicyRollout(None, None, (), n, stats))
        else:
            out.append(PolicyRollout(b[0], int(b[1]), tuple(b[2]), n, stats, b[3]))
    return out


__all__ = [
    "CPU",
    "CUDA",
    "ENV_PROVIDER",
    "INPUTS",
    "METADATA",
    "OUTPUT",
    "PolicyFileError",
    "PolicyRollout",
    "PolicySession",
    "ProviderError",
    "available_providers",
    "choose_providers",
    "cuda_unavailable_reason",
    "load_policy",
    "shipped_dir",
    "shipped_policies",
]
