"""Registers the solver families shipped with OpsPlan and, per kind, what they run (imported on the first look-up).

A registration module, not generic code: it names the kinds' modules (as strings, imported
only when chosen, so that choosing one solver never loads another and listing them loads
none). A new kind adds its block here (or in a module of its own passed to
:func:`~opsplan.solvers.registry.add_registrations`) and nothing to the generic modules:

* per family it serves, :func:`~opsplan.solvers.registry.register_solver` with the module that
  solves it, or for ``cpsat`` and ``mip`` the generic backend and the kind's model builder
  (``parts={"builder": ...}``, a :class:`~opsplan.solvers.cpsat.builder.CpModelBuilder` or
  :class:`~opsplan.solvers.mip.builder.MipModelBuilder`); for ``dispatch`` its rule names as the
  variants; ``why_not`` where a backend runs only some shapes;
* its defaults (:class:`~opsplan.solvers.registry.KindSolvers`): the heuristic start, the race's
  default members, the explainer, what the race's fork server preloads.

The ``policy`` family is the policies layer's (:mod:`opsplan.policies`), which the solvers never import.
"""

from __future__ import annotations

from opsplan.solvers.registry import (
    CHANGE_BUDGET,
    EARLIEST,
    INBOX,
    OWN_START,
    PINS,
    Backend,
    KindSolvers,
    register_family,
    register_kind_solvers,
    register_solver,
)

# -- the families -----------------------------------------------------------------------------
register_family(Backend("cpsat", requires=("ortools",), description="OR-Tools CP-SAT",
                        capabilities=frozenset({PINS, EARLIEST, CHANGE_BUDGET, OWN_START})))
register_family(Backend("cpsat-textbook", requires=("ortools",),
                        description="textbook CP-SAT model (benchmark baseline)"))
register_family(Backend("dispatch", description="priority dispatch rules", capabilities=frozenset({PINS, EARLIEST}),
                        quick=True))
register_family(Backend("mip", requires=("pyomo", "highspy"), description="MIP (Pyomo + HiGHS)",
                        capabilities=frozenset({PINS, EARLIEST, INBOX})))
register_family(Backend("ils", description="iterated local search", capabilities=frozenset({INBOX})))
register_family(Backend("tabu", requires=("numba",), description="tabu search", capabilities=frozenset({INBOX})))
register_family(Backend("race", description="several solvers in parallel processes sharing solutions "
                                            "(options['solvers'])", capabilities=frozenset({PINS, EARLIEST})))

# -- job shop ---------------------------------------------------------------------------------
JOBSHOP = "jobshop"
register_solver("cpsat", JOBSHOP, "opsplan.solvers.cpsat",
                parts={"builder": "opsplan.solvers.cpsat.jobshop_model:JobShopCpBuilder"})
register_solver("cpsat-textbook", JOBSHOP, "opsplan.solvers.cpsat.textbook",
                why_not="opsplan.solvers.cpsat.textbook:why_not",
                description="textbook CP-SAT model, classic makespan job shops only")
register_solver("dispatch", JOBSHOP, "opsplan.solvers.dispatch.jobshop",
                variants="opsplan.solvers.dispatch.jobshop:variants",
                description="priority dispatch rules on the job-shop simulator")
register_solver("mip", JOBSHOP, "opsplan.solvers.mip",
                parts={"builder": "opsplan.solvers.mip.jobshop:JobShopMipBuilder"},
                description="MIP, disjunctive big-M (single machine: positional)")
register_solver("ils", JOBSHOP, "opsplan.solvers.local.ils", why_not="opsplan.solvers.local.ils:why_not",
                description="iterated local search, single-machine total weighted tardiness")
register_solver("tabu", JOBSHOP, "opsplan.solvers.local.tabu", why_not="opsplan.solvers.local.tabu:why_not",
                description="tabu search, job-shop makespan (one machine per operation)")
register_solver("race", JOBSHOP, "opsplan.solvers.race")
register_kind_solvers(KindSolvers(
    JOBSHOP,
    start="opsplan.solvers.jobshop:heuristic_start",
    race_members="opsplan.solvers.jobshop:race_members",
    explain="opsplan.solvers.cpsat.explain:explain",
    explain_requires=("ortools",),
    preload=("opsplan.solvers.jobshop:preload",),
))
