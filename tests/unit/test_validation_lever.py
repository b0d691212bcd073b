"""The validation lever in the projection: a yearly share per specialty, apart from treatment."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ics_capacity.domain.codes import WAIT_BANDS
from ics_capacity.projections.cohort import project
from ics_capacity.projections.inputs import (
    ProjectionInput,
    ProjectionInputError,
    observed_validation_by_tfc,
    weekly_rate_from_yearly,
    with_validation_shares,
    yearly_share_from_weekly,
)


def _input(
    waiting: float = 1000.0, demand: float = 20.0, capacity: float = 25.0, rate: float = 0.005
) -> ProjectionInput:
    """Two trusts x two specialties, everyone waiting 10 weeks, the same flows in each."""
    lists = np.zeros((4, WAIT_BANDS))
    lists[:, 10] = waiting
    return ProjectionInput.create(
        provider=["A", "A", "B", "B"],
        tfc=["C_110", "C_100", "C_110", "C_100"],
        waiting=lists,
        demand_per_week=demand,
        capacity_per_week=capacity,
        horizon_weeks=52,
        validation_rate_per_week=rate,
    )


def test_a_yearly_share_compounds_from_its_weekly_rate() -> None:
    """20% a year is about 0.43% a week, and turns back into 20% a year."""
    weekly = float(weekly_rate_from_yearly(0.2))
    assert weekly == pytest.approx(0.004267, abs=1e-6)
    assert float(yearly_share_from_weekly(weekly)) == pytest.approx(0.2)
    assert float(weekly_rate_from_yearly(0.0)) == 0.0


def test_only_the_set_specialty_changes_and_an_empty_setting_changes_nothing() -> None:
    """C_110's rate becomes the share's; C_100 keeps its observed rate; {} is the same input."""
    inp = _input()
    assert with_validation_shares(inp, {}) is inp
    changed = with_validation_shares(inp, {"C_110": 0.3})
    weekly = float(weekly_rate_from_yearly(0.3))
    assert np.allclose(changed.validation_rate_per_week[[0, 2]], weekly)
    assert np.allclose(changed.validation_rate_per_week[[1, 3]], 0.005)
    assert np.array_equal(changed.capacity_per_week, inp.capacity_per_week)
    assert observed_validation_by_tfc(changed)["C_110"] == pytest.approx(0.3)
    assert observed_validation_by_tfc(inp)["C_100"] == pytest.approx(
        float(yearly_share_from_weekly(0.005))
    )


@pytest.mark.parametrize("share", [-0.1, 0.51, float("nan"), float("inf")])
def test_a_share_outside_0_to_50_percent_is_refused_in_words(share: float) -> None:
    """The message names the specialty and the limits."""
    with pytest.raises(ProjectionInputError, match="validation share for C_110"):
        with_validation_shares(_input(), {"C_110": share})


@settings(max_examples=60, deadline=None)
@given(
    low=st.floats(0.0, 0.5),
    extra=st.floats(0.0, 0.5),
    waiting=st.floats(0.0, 5000.0),
    demand=st.floats(0.0, 200.0),
    capacity=st.floats(0.0, 200.0),
)
def test_more_validation_removes_more_never_treats_more_and_conserves_patients(
    low: float, extra: float, waiting: float, demand: float, capacity: float
) -> None:
    """A higher share never lowers removals by validation nor raises treatment; patients add up."""
    high = min(0.5, low + extra)
    inp = _input(waiting=waiting, demand=demand, capacity=capacity)
    frames = [
        project(with_validation_shares(inp, {"C_110": s, "C_100": s})).frame("total")
        for s in (low, high)
    ]
    weeks = [f[f["week"] > 0] for f in frames]
    tolerance = 1e-6 * (1 + waiting * 4 + demand * 4 * 52)
    assert weeks[1]["validated"].sum() >= weeks[0]["validated"].sum() - tolerance
    assert weeks[1]["treated"].sum() <= weeks[0]["treated"].sum() + tolerance
    for frame, flows in zip(frames, weeks, strict=True):
        start, end = frame["list_size"].iloc[0], frame["list_size"].iloc[-1]
        moved = flows["demand"].sum() - flows["treated"].sum() - flows["validated"].sum()
        assert end == pytest.approx(start + moved, abs=tolerance)
