"""Registers the benchmark sets shipped with OpsPlan (imported on the first look-up of
:mod:`opsplan.app.benchsets`), in the order ``opsplan bench --help`` lists them.

A new kind adds its ``app/bench_<kind>.py`` module's sets here and touches nothing else.
"""

from opsplan.app.bench import GUI, POOL
from opsplan.app.bench_jobshop import SETS as JOBSHOP_SETS
from opsplan.app.benchsets import register_bench_set

for _spec in (*JOBSHOP_SETS, GUI, POOL):
    register_bench_set(_spec)
