"""Registers the scenario kinds shipped with OpsPlan (imported on the first registry look-up).

A new kind adds one line here and nothing to the generic modules.
"""

from opsplan.models.jobshop.kind import DESCRIPTOR as JOBSHOP
from opsplan.models.kinds import register_kind

register_kind(JOBSHOP)
