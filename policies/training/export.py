"""ONNX export of a scoring network, its metadata, the policy card and an agreement check.

The ONNX contract (read by :mod:`opsplan.policies.runtime`):

* inputs ``candidates`` float32 ``[batch, n_candidates, F]``, ``mask`` bool
  ``[batch, n_candidates]``, ``globals`` float32 ``[batch, G]`` (``batch`` and
  ``n_candidates`` dynamic);
* output ``scores`` float32 ``[batch, n_candidates]``, masked entries a large negative number;
* metadata ``opsplan.kind``, ``opsplan.features`` (``json.dumps(spec.as_dict())``),
  ``opsplan.policy`` (the name) and ``opsplan.format`` (``"1"``).

The card ``<name>.json`` sits beside ``<name>.onnx`` (see :func:`write_card`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from opsplan.policies.features import FeatureSpec
from torch import nn

FORMAT = "1"
INPUTS = ("candidates", "mask", "globals")
OUTPUT = "scores"
DEFAULT_CHECK_SIZES: tuple[tuple[int, int], ...] = ((1, 1), (2, 1), (3, 5), (7, 12), (64, 20))


def export_onnx(model: nn.Module, spec: FeatureSpec, path: str | Path, name: str, opset: int = 17,
                scheme: str = "active") -> Path:
    """Write ``model`` as an ONNX policy file with the OpsPlan metadata.

    Parameters
    ----------
    model
        A scorer ``(candidates, mask, globals) -> scores`` (e.g. :class:`~.model.ScoringNet`).
    spec
        The feature specification the model was trained on (its sizes must match the model's).
    path
        Target ``.onnx`` file (parent folders are created; written atomically).
    name
        Policy name (``opsplan.policy``).
    opset
        ONNX opset.
    scheme
        The schedule-generation scheme it was trained on (``opsplan.scheme``), which the
        runtime then uses.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import onnx

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    was_training = model.training
    model.eval()
    example = (
        torch.zeros(2, 3, spec.n_candidate),
        torch.tensor([[True, True, False], [True, False, False]]),
        torch.zeros(2, spec.n_global),
    )
    dynamic = {
        "candidates": {0: "batch", 1: "n_candidates"},
        "mask": {0: "batch", 1: "n_candidates"},
        "globals": {0: "batch"},
        "scores": {0: "batch", 1: "n_candidates"},
    }
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        raw = Path(tmp) / "raw.onnx"
        with torch.no_grad(), warnings.catch_warnings():
            # the TorchScript exporter (dynamo=False) warns it is legacy; it is the fast one, needing no onnxscript
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(
                model,
                example,
                str(raw),
                input_names=list(INPUTS),
                output_names=[OUTPUT],
                dynamic_axes=dynamic,
                opset_version=opset,
                dynamo=False,
            )
        proto = onnx.load(str(raw))
        meta = {
            "opsplan.kind": spec.kind,
            "opsplan.features": json.dumps(spec.as_dict()),
            "opsplan.policy": name,
            "opsplan.format": FORMAT,
            "opsplan.scheme": scheme,  # the generation scheme it was trained on is the one it runs on
        }
        del proto.metadata_props[:]
        for key, value in meta.items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        proto.producer_name = "opsplan"
        onnx.checker.check_model(proto)
        tmp_out = Path(tmp) / "out.onnx"
        onnx.save(proto, str(tmp_out))
        os.replace(tmp_out, path)
    model.train(was_training)
    return path


def read_metadata(path: str | Path) -> dict[str, str]:
    """The ``metadata_props`` of an ONNX file as a dict."""
    import onnx

    proto = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in proto.metadata_props}


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def make_card(
    name: str,
    spec: FeatureSpec,
    onnx_path: str | Path,
    architecture: Mapping[str, Any],
    training: Mapping[str, Any],
    quality: Mapping[str, Any] | None = None,
    speed: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The policy card of ``onnx_path`` (a plain dict; ``sha256`` of the file as it is now)."""
    return {
        "name": name,
        "kind": spec.kind,
        "onnx": Path(onnx_path).name,
        "sha256": sha256_of(onnx_path),
        "features": spec.as_dict(),
        "architecture": dict(architecture),
        "training": dict(training),
        "quality": dict(quality or {}),
        "speed": dict(speed or {}),
    }


def write_card(
    name: str,
    spec: FeatureSpec,
    onnx_path: str | Path,
    architecture: Mapping[str, Any],
    training: Mapping[str, Any],
    quality: Mapping[str, Any] | None = None,
    speed: Mapping[str, Any] | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Write ``<name>.json`` beside ``onnx_path`` (atomically) and return ``(path, card)``."""
    card = make_card(name, spec, onnx_path, architecture, training, quality, speed)
    out = Path(onnx_path).with_name(f"{name}.json")
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(card, indent=2, sort_keys=False) + "\n")
    os.replace(tmp, out)
    return out, card


def publish(
    card_path: str | Path,
    out_dir: str | Path,
    name: str,
    quality: Mapping[str, Any] | None = None,
    speed: Mapping[str, Any] | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Copy a trained policy (its card and ONNX file) into ``out_dir`` as ``name``; return the new card's path and card.

    The weights stay byte-for-byte the same graph; the ONNX metadata name, the card's
    ``name``, ``onnx``, ``sha256`` and ``training.command`` follow the new name, and
    ``quality``/``speed`` (measured figures) are merged into the card's own.
    """
    import onnx

    card_path = Path(card_path)
    card = json.loads(card_path.read_text())
    src = card_path.parent / str(card["onnx"])
    proto = onnx.load(str(src))
    for entry in proto.metadata_props:
        if entry.key == "opsplan.policy":
            entry.value = name
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_out = out_dir / f"{name}.onnx"
    tmp = onnx_out.with_name(onnx_out.name + ".tmp")
    onnx.save(proto, str(tmp))
    os.replace(tmp, onnx_out)
    training = dict(card.get("training") or {})
    training["command"] = f"opsplan policy train --card {name}.json"
    spec = FeatureSpec.from_dict(card["features"])
    return write_card(name, spec, onnx_out, card.get("architecture") or {}, training,
                      {**(card.get("quality") or {}), **(quality or {})},
                      {**(card.get("speed") or {}), **(speed or {})})


def random_batch(
    batch: int, k: int, spec: FeatureSpec, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A random padded batch ``(candidates, mask, globals)`` like :meth:`DispatchEnv.observe` makes.

    Each row has between 1 and ``k`` candidates (zeros beyond); when ``batch > 1`` the
    last row has none (a finished environment).
    """
    counts = rng.integers(1, k + 1, size=batch)
    if batch > 1:
        counts[-1] = 0
    mask = np.arange(k)[None, :] < counts[:, None]
    cand = rng.normal(size=(batch, k, spec.n_candidate)).astype(np.float32) * mask[..., None]
    glob = rng.uniform(0, 1, size=(batch, spec.n_global)).astype(np.float32)
    return cand.astype(np.float32), mask, glob


def check_onnx(
    model: nn.Module,
    path: str | Path,
    spec: FeatureSpec,
    sizes: Iterable[tuple[int, int]] = DEFAULT_CHECK_SIZES,
    seed: int = 0,
) -> float:
    """Largest ``|torch - onnxruntime|`` over the unmasked scores of random batches.

    Runs ``model`` and the ONNX file (onnxruntime, CPUExecutionProvider) on the same
    random batches of every ``(batch, n_candidates)`` in ``sizes`` (padded slots and
    a row without candidates included). Also asserts that masked scores stay very negative.
    """
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(seed)
    was_training = model.training
    model.eval()
    worst = 0.0
    try:
        for b, k in sizes:
            cand, mask, glob = random_batch(b, k, spec, rng)
            (got,) = sess.run([OUTPUT], {"candidates": cand, "mask": mask, "globals": glob})
            with torch.no_grad():
                want = model(torch.from_numpy(cand), torch.from_numpy(mask), torch.from_numpy(glob)).numpy()
            if got.shape != want.shape:
                raise AssertionError(f"onnx scores have shape {got.shape}, torch {want.shape}")
            if mask.any():
                worst = max(worst, float(np.abs(got[mask] - want[mask]).max()))
            if (~mask).any() and not (got[~mask] < -1e6).all():
                raise AssertionError("onnx scores of masked candidates are not very negative")
    finally:
        model.train(was_training)
    return worst


__all__ = [
    "DEFAULT_CHECK_SIZES",
    "FORMAT",
    "INPUTS",
    "OUTPUT",
    "check_onnx",
    "export_onnx",
    "make_card",
    "publish",
    "random_batch",
    "read_metadata",
    "sha256_of",
    "write_card",
]
