"""Local-search backends: searches that move from one complete schedule to a better one.

* :mod:`.tabu` (``tabu``): tabu search over machine orders, classic job shop, makespan; its
  inner loop is compiled with numba (:mod:`.tabu_kernel`); cpsat also runs it to get a start.
* :mod:`.ils` (``ils``): iterated local search, single-machine total weighted tardiness.

Both take better schedules from the race's inbox and continue from them. Which shapes they
refuse is their ``why_not(scenario, params)`` (read through the registry).
"""
