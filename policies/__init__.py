"""Learned dispatch: versioned feature specifications (:mod:`.features`), vectorized
dispatch environments on the rules' simulator (:mod:`.env`), the ONNX runtime of
policies (:mod:`.runtime`) and the ``policy`` solver backend (:mod:`.backend`).

No torch or onnxruntime is imported here; training and the ONNX runtime load them lazily.
"""
