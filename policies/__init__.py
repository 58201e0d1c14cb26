"""Learned dispatch: versioned feature specifications (:mod:`.features`) and vectorized
dispatch environments on the rules' simulator (:mod:`.env`).

No torch or onnxruntime is imported here; training and the ONNX runtime load them lazily.
"""
