"""Dispatch backends (``dispatch:<rule>``): priority rules on one simulator per scenario kind.

Each kind registers its own rules and simulator (:mod:`opsplan.solvers.registrations`): the
job shop's are :mod:`.jobshop` (the backend), :mod:`.simulator`, :mod:`.rules` and
:mod:`.single_machine` (sequence rules and their local search for one machine). A kind's rule
names are the family's variants for that kind, so two kinds' rules never collide.
"""
