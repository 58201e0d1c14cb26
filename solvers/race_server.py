"""What the race's fork server loads once, so that each member process starts in milliseconds.

The race runs its members in processes started by a ``forkserver`` (where the platform has one):
a helper process, started once per application, that imports this module and the first race's
member backends and then forks a ready member for every race. A member spawned afresh would
start a Python, import the solvers (about 0.6 s) and load the compiled tabu kernel from numba's
cache (about 0.7 s) before its search begins; cpsat alone, in a process that has run it once,
pays none of that, so in a race of equal wall time it started about a second and a half later.

Importing this module imports the race (the members' entry point) and runs every kind's
``preload`` (:class:`~opsplan.solvers.registry.KindSolvers`; the job shop's imports its local
searches and, when the tabu kernel used by ``tabu`` and by cpsat's tabu phase is in numba's
cache, loads it; it never compiles: that takes several seconds and is done once, after
installing). The race adds its first members' backend modules and the registration modules to
the preload list.
"""

from __future__ import annotations

from opsplan.solvers import race, registry  # noqa: F401

for _defaults in registry.kind_defaults():
    for _hook in _defaults.preload:
        registry.resolve(_hook)()
