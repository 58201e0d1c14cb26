"""Registers the GUI bundles shipped with OpsPlan (imported on the first bundle look-up).

A new kind adds one line here and nothing to the generic GUI modules.
"""

from opsplan.app.gui.kinds import register_bundle
from opsplan.app.gui.kinds.jobshop import BUNDLE as JOBSHOP

register_bundle(JOBSHOP)
