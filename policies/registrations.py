"""Registers the learned-dispatch pieces of the kinds shipped with OpsPlan (imported on the first look-up).

Per kind: its dispatch environment (:func:`~opsplan.policies.env.register_environment`)
and its feature specifications (:func:`~opsplan.policies.features.register`). A new
kind adds its lines here and nothing to the generic modules.
"""

from opsplan.policies.env import register_environment
from opsplan.policies.features import register
from opsplan.policies.jobshop_env import SCHEMES as JOBSHOP_SCHEMES
from opsplan.policies.jobshop_env import JobShopEnv, deadline_fallback
from opsplan.policies.jobshop_features import JOBSHOP_V1, KIND
from opsplan.solvers.dispatch.jobshop import DispatchError

# job shop
register(JOBSHOP_V1)
register_environment(KIND, JobShopEnv, JOBSHOP_SCHEMES, fallback=deadline_fallback, errors=(DispatchError,))
