"""Importing this registers the toy kind in the models and solvers registries: the form a plug-in
kind takes (:func:`opsplan.solvers.registry.add_registrations`), which the race's member processes
load too."""

from tests.toykind.layers import register_models
from tests.toykind.solvers import register_solvers

register_models()
register_solvers()
