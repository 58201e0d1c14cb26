"""Tiny ONNX policies written with ``onnx.helper`` for the runtime and backend tests.

``scores = candidates @ w + 0 * sum(globals) + 0 * sum(mask)``: a linear policy
that reads every contract input. With weight -1 on ``duration`` it is SPT.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from opsplan.policies.jobshop_features import JOBSHOP_V1

onnx = __import__("pytest").importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

SPT_WEIGHTS = {"duration": -1.0}


def weights(named: Mapping[str, float], n: int | None = None) -> np.ndarray:
    """A weight column ``[F, 1]`` with ``named`` feature weights (zeros elsewhere)."""
    w = np.zeros((n or JOBSHOP_V1.n_candidate, 1), np.float32)
    for name, value in named.items():
        w[JOBSHOP_V1.candidate.index(name), 0] = value
    return w


def model(
    w: np.ndarray | None = None,
    *,
    name: str = "tiny",
    kind: str = "jobshop",
    features: Mapping[str, Any] | None = None,
    metadata: Mapping[str, str | None] | None = None,
    input_names: Sequence[str] = ("candidates", "mask", "globals"),
    shapes: Mapping[str, Sequence[Any]] | None = None,
    mask_type: int = TensorProto.BOOL,
) -> bytes:
    """Serialized linear policy; the keyword arguments bend one part of the contract for the refusal tests."""
    if w is None:
        w = weights(SPT_WEIGHTS)
    f = w.shape[0]
    g = JOBSHOP_V1.n_global
    shp = {"candidates": ["batch", "n_candidates", f], "mask": ["batch", "n_candidates"], "globals": ["batch", g]}
    shp.update(shapes or {})
    cand, mask, glob = input_names
    inputs = [
        helper.make_tensor_value_info(cand, TensorProto.FLOAT, shp["candidates"]),
        helper.make_tensor_value_info(mask, mask_type, shp["mask"]),
        helper.make_tensor_value_info(glob, TensorProto.FLOAT, shp["globals"]),
    ]
    output = helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", "n_candidates"])
    nodes = [
        helper.make_node("MatMul", [cand, "w"], ["lin3"]),
        helper.make_node("Squeeze", ["lin3", "axis2"], ["lin"]),
        helper.make_node("ReduceSum", [glob], ["gsum"], keepdims=0),
        helper.make_node("Cast", [mask], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("ReduceSum", ["maskf"], ["msum"], keepdims=0),
        helper.make_node("Add", ["gsum", "msum"], ["extra"]),
        helper.make_node("Mul", ["extra", "zero"], ["nothing"]),
        helper.make_node("Add", ["lin", "nothing"], ["scores"]),
    ]
    inits = [
        numpy_helper.from_array(w.astype(np.float32), "w"),
        numpy_helper.from_array(np.asarray([2], np.int64), "axis2"),
        numpy_helper.from_array(np.asarray(0.0, np.float32), "zero"),
    ]
    graph = helper.make_graph(nodes, "linear_policy", inputs, [output], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="opsplan-tests")
    m.ir_version = 8
    meta: dict[str, str | None] = {
        "opsplan.kind": kind,
        "opsplan.features": json.dumps(dict(features) if features is not None else JOBSHOP_V1.as_dict()),
        "opsplan.policy": name,
        "opsplan.format": "1",
    }
    meta.update(metadata or {})
    helper.set_model_props(m, {k: v for k, v in meta.items() if v is not None})
    return m.SerializeToString()


def write(path: Path, data: bytes | None = None, *, card: bool | Mapping[str, Any] = False, **kw: Any) -> Path:
    """Write a policy to ``path`` (and a card ``<stem>.json`` beside it when ``card``); returns ``path``."""
    data = model(**kw) if data is None else data
    path.write_bytes(data)
    if card:
        doc = {
            "name": kw.get("name", "tiny"),
            "kind": "jobshop",
            "onnx": path.name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "features": JOBSHOP_V1.as_dict(),
            "architecture": "linear",
            "training": {},
            "quality": {},
            "speed": {},
        }
        if isinstance(card, Mapping):
            doc.update(card)
        path.with_suffix(".json").write_text(json.dumps(doc))
    return path
