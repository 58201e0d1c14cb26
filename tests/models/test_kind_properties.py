"""The descriptor's property hooks: generic fields, objective and group weights, refused when invalid."""

from __future__ import annotations

import pytest
from opsplan.models.core import TimeUnit
from opsplan.models.errors import OpsPlanError
from opsplan.models.kinds import descriptor, edit_properties, replace_properties


def test_edit_properties_sets_fields_objective_and_weights():
    d = descriptor("jobshop")
    sc = d.new_scenario()
    new = edit_properties(sc, objective="total_weighted_tardiness", weights={"J1": 4}, name="Shop",
                          time_unit=TimeUnit.HOUR, epoch="2027-03-01T06:00:00", description="spring")
    assert (new.name, new.time_unit, new.epoch, new.description) == ("Shop", TimeUnit.HOUR, "2027-03-01T06:00:00",
                                                                     "spring")
    assert d.objective_of(new) == "total_weighted_tardiness" and d.weights(new) == {"J1": 4}
    assert new.jobs[0].operations == sc.jobs[0].operations  # the unit relabels, it does not convert
    assert "total_weighted_tardiness" in d.weighted_objectives and "makespan" not in d.weighted_objectives
    assert d.objective_label("max_lateness") == "Max lateness"


def test_edit_properties_refuses_what_validation_refuses():
    sc = descriptor("jobshop").new_scenario()
    with pytest.raises(OpsPlanError, match="epoch: not an ISO 8601 instant"):
        edit_properties(sc, epoch="next tuesday")
    with pytest.raises(OpsPlanError, match="unknown job J9"):
        edit_properties(sc, weights={"J9": 2})
    with pytest.raises(OpsPlanError, match="at least 0"):
        edit_properties(sc, weights={"J1": -1})
    with pytest.raises(OpsPlanError, match="no objective 'fastest'"):
        edit_properties(sc, objective="fastest")
    with pytest.raises(OpsPlanError, match="no property colour"):
        replace_properties(sc, colour="red")
