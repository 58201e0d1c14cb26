"""Learned dispatch: versioned feature specifications (:mod:`.features`), vectorized
dispatch environments on the rules' simulator (:mod:`.env`), the ONNX runtime of
policies (:mod:`.runtime`) and the ``policy`` solver backend (:mod:`.backend`). A kind's
environment and feature specifications (the job shop's: :mod:`.jobshop_env`,
:mod:`.jobshop_features`) are registered by :mod:`.registrations` (:mod:`.registry`); the
``policy`` solver family is registered with the solvers' registry by
:mod:`.solver_registrations`, which the registry loads through the ``opsplan.solvers`` entry
point (pyproject.toml) together with its built-in solvers, on its first look-up.

Importing this package imports nothing: no solver registry, no torch, no onnxruntime (training
and the ONNX runtime load them lazily).
"""
