"""The application layer: the command line (:mod:`.cli`) and the desktop application (:mod:`.gui`).

The application puts the layers together: importing :mod:`opsplan.policies` registers the
learned policies' solver family (``policy:<name>``) with the solvers' registry (the entry
point ``opsplan.solvers`` does the same for any program that only imports the solvers).
"""

import opsplan.policies  # noqa: F401
