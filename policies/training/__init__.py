"""Training of learned dispatch policies (needs the optional ``train`` extra: PyTorch, onnx).

* :mod:`.model` — the small candidate-scoring network (:class:`~.model.ScoringNet`).
* :mod:`.export` — ONNX export with metadata (:func:`~.export.export_onnx`), the policy
  card (:func:`~.export.write_card`) and a torch/onnxruntime agreement check.
* :mod:`.train` — self-labeling training on generated job shops (:func:`~.train.train`,
  :func:`~.train.train_from_card`) and a greedy-vs-rules evaluation (:func:`~.train.evaluate`).

Nothing here is imported by the runtime: shipping a policy needs only onnxruntime.
This package imports no submodule on its own, so importing it loads no torch.
"""
