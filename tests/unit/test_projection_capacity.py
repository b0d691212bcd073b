"""A scenario's treatment capacity from its resources and plan, checked by hand on a small case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ics_capacity.projections.capacity import (
    capacity_ratio,
    plan_treatment_by_series,
    site_weekly_capacity,
    treatment_capacity,
)
from ics_capacity.projections.cohort import project
from ics_capacity.projections.inputs import ProjectionInput

KEYS = pd.DataFrame({"provider": ["P1", "P1"], "tfc": ["T1", "T2"]})
CASE_MIX = pd.DataFrame(
    {
        "tfc": ["T1", "T2"],
        "minutes_per_case": [100, 50],
        "length_of_stay_days": [3.0, 1.0],
        "day_case_rate": [0.5, 1.0],
    }
)


def _site(**changes: float) -> pd.DataFrame:
    """One main site: 2 theatres x 10 sessions x 240 min x 0.85 = 4,080 theatre minutes a week;
    20 beds x 7 x 0.92 = 128.8 bed-days; 5 places x 2 a day x 5 days = 50 day cases."""
    row = {
        "theatres": 2,
        "sessions_per_theatre_per_week": 10,
        "session_minutes": 240,
        "utilisation_target": 0.85,
        "elective_overnight_beds": 20,
        "occupancy_target": 0.92,
        "day_case_places": 5,
        "is_elective_hub": False,
    }
    return pd.DataFrame([{**row, **changes}], index=["A"])


def test_site_capacity_is_sessions_minutes_and_beds_at_their_targets() -> None:
    """Theatre minutes, bed-days and day cases a week as docs/assumptions.md defines them."""
    capacity = site_weekly_capacity(_site()).iloc[0]
    assert capacity["theatre_minutes"] == pytest.approx(4080)
    assert capacity["overnight_bed_days"] == pytest.approx(128.8)
    assert capacity["day_cases"] == pytest.approx(50)


def _ratio(site: pd.DataFrame, case_mix: pd.DataFrame = CASE_MIX) -> pd.DataFrame:
    # P1 T1: 30 admitted a week, P1 T2: 10, all at site A.
    # Baseline load: theatre 30 x 100 + 10 x 50 = 3,500 min; beds 30 x 0.5 x 3 = 45 bed-days
    # (T2 is all day case). Headroom: theatres 4,080 / 3,500 = 1.1657, beds 128.8 / 45 = 2.862,
    # so theatres bind: T1 may do 30 x 1.1657 = 34.97 a week, T2 10 x 1.1657 = 11.66.
    return capacity_ratio(
        KEYS, np.array([30.0, 10.0]), np.ones((2, 1)), _site(), site, CASE_MIX, case_mix
    )


def test_the_baseline_against_itself_changes_nothing() -> None:
    """Calibration: the baseline's resources give a ratio of exactly 1."""
    ratios = _ratio(_site())
    assert ratios["baseline_cases_per_week"].tolist() == pytest.approx(
        [30 * 4080 / 3500, 40800 / 3500]
    )
    assert ratios["ratio"].tolist() == [1.0, 1.0]


def test_twenty_percent_more_sessions_where_theatres_bind_treat_twenty_percent_more() -> None:
    """12 sessions instead of 10: theatre headroom 1.399 is still below beds' 2.862, so x 1.2."""
    ratios = _ratio(_site(sessions_per_theatre_per_week=12))
    assert ratios["ratio"].tolist() == pytest.approx([1.2, 1.2])
    assert ratios["binding"].tolist() == ["theatre_minutes", "theatre_minutes"]


def test_the_scarcer_resource_binds() -> None:
    """Double the theatres (headroom 2.331) but 8 beds (51.52 / 45 = 1.145): T1 is held by beds.

    T1: 30 x 1.145 = 34.35 against 34.97 (ratio 0.982); T2 uses no beds: 2 x its theatres.
    """
    ratios = _ratio(_site(theatres=4, elective_overnight_beds=8))
    t1, t2 = ratios["ratio"].tolist()
    assert t1 == pytest.approx((51.52 / 45) / (4080 / 3500))
    assert t2 == pytest.approx(2.0)
    assert ratios["binding"].tolist() == ["overnight_bed_days", "theatre_minutes"]


def test_shorter_cases_fit_more_into_the_same_minutes() -> None:
    """T1 at 80 minutes a case instead of 100: its share of the minutes does 100 / 80 more."""
    quicker = CASE_MIX.assign(minutes_per_case=[80, 50])
    assert _ratio(_site(), quicker)["ratio"].tolist() == pytest.approx([1.25, 1.0])


def test_admitted_work_scales_and_outpatient_work_does_not() -> None:
    """100 completions a week, 30% admitted, ratio 1.2: 70 + 30 x 1.2 = 106 a week."""
    capacity = treatment_capacity(np.full((1, 3), 100.0), np.array([0.3]), np.array([1.2]))
    assert capacity.tolist() == [[106.0, 106.0, 106.0]]


def test_a_plan_adds_its_extra_treatment_for_its_weeks_then_falls_back() -> None:
    """Plan extra +5 then -10 a week for 2 weeks: 111, 96, then the resources alone (106)."""
    capacity = treatment_capacity(
        np.full((1, 3), 100.0), np.array([0.3]), np.array([1.2]), np.array([[5.0, -10.0]])
    )
    assert capacity.tolist() == [[111.0, 96.0, 106.0]]


def test_a_trust_giving_up_more_than_it_treats_stops_at_zero_and_the_net_extra_is_kept() -> None:
    """Week 1: A gives up 40 of its 30 admitted, B gains 50 (net +10).

    A stops at 0 (short by 10), so B gains 50 - 10 = 40: admitted 30 + 40 = 70; the total moves
    from 60 to 70, the plan's net +10.
    """
    capacity = treatment_capacity(
        np.full((2, 1), 100.0),
        np.array([0.3, 0.3]),
        np.ones(2),
        np.array([[-40.0], [50.0]]),
    )
    assert capacity[:, 0].tolist() == pytest.approx([70.0, 140.0])
    assert capacity.sum() == pytest.approx(200.0 + 10.0)


def test_plan_rows_count_for_the_home_trust_whatever_the_hub() -> None:
    """Patients of P1 T1 treated at two hubs in week 1 add up on P1 T1's list."""
    rows = pd.DataFrame(
        {
            "provider": ["P1", "P1", "P1", "P2"],
            "tfc": ["T1", "T1", "T2", "T1"],
            "hub": ["A", "HUB", "A", "A"],
            "week": [1, 1, 2, 1],
            "patients": [3.0, 4.0, 2.5, 9.0],
        }
    )
    assert plan_treatment_by_series(KEYS, rows, 2).tolist() == [[7.0, 0.0], [0.0, 2.5]]


def test_twenty_percent_more_theatre_time_treats_twenty_percent_more_a_week() -> None:
    """A long list whose admitted work is theatre-bound: x 1.2 capacity is x 1.2 treated."""
    waiting = np.zeros((1, 105))
    waiting[0, :50] = 100.0
    base = ProjectionInput.create(
        provider=["P1"],
        tfc=["T1"],
        waiting=waiting,
        demand_per_week=90.0,
        capacity_per_week=80.0,
        admitted_share=1.0,
        horizon_weeks=4,
    )
    ratio = _ratio(_site(sessions_per_theatre_per_week=12))["ratio"].to_numpy()[:1]
    more = ProjectionInput.create(
        provider=["P1"],
        tfc=["T1"],
        waiting=waiting,
        demand_per_week=90.0,
        capacity_per_week=treatment_capacity(base.capacity_per_week, base.admitted_share, ratio),
        admitted_share=1.0,
        horizon_weeks=4,
    )
    treated = project(more).frame()["treated"].iloc[1:] / project(base).frame()["treated"].iloc[1:]
    assert treated.tolist() == pytest.approx([1.2] * 4)
    assert project(more).frame()["list_size"].iloc[-1] == pytest.approx(5000 + 4 * (90 - 96))
