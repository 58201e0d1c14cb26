"""The application layer: the command line (:mod:`.cli`) and the desktop application (:mod:`.gui`).

The learned policies' solver family (``policy:<name>``) reaches the solvers' registry through the
``opsplan.solvers`` entry point (pyproject.toml), loaded with the registry's built-in solvers on
its first look-up; importing this package loads nothing, so ``opsplan --help`` stays quick.
"""
