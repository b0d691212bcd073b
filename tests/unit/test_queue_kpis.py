"""Queue measures match NHSRwaitinglist's definitions; inverse capacity and RAG status work."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ics_capacity.domain.codes import WAIT_BANDS
from ics_capacity.projections.cohort import project
from ics_capacity.projections.inputs import ProjectionInput
from ics_capacity.projections.queue_kpis import (
    RttTarget,
    capacity_to_meet_target,
    mean_wait_weeks,
    queue_kpis,
    queue_load,
    rag_status,
    relief_capacity,
    target_capacity,
    target_mean_wait,
    target_queue_size,
    waiting_list_pressure,
)


def test_nhsrwaitinglist_worked_examples() -> None:
    """The package's own examples and tests (R/calc_*.R, tests/testthat) give the same numbers."""
    assert queue_load(30, 27) == pytest.approx(1.1111111)
    assert target_mean_wait(52, 4) == 13
    assert target_mean_wait(52, 6) == pytest.approx(8.6666667)
    assert target_queue_size(30, 52, 4) == 390
    assert relief_capacity(30, 1200, 390, 26) == pytest.approx(61.153846)
    assert np.allclose(
        relief_capacity(
            np.array([30, 33, 35]),
            np.array([1200, 800, 250]),
            np.array([390, 200, 100]),
            np.array([26, 30, 15]),
        ),
        [61.153846, 53, 45],
    )
    assert target_capacity(30, 52, 3, 1.1, 1.2) == pytest.approx(30.076442)
    assert waiting_list_pressure(63, 52) == pytest.approx(2 * 63 / 52)


def test_relief_capacity_inflates_estimated_demand_by_two_standard_errors() -> None:
    """Demand estimated from 100 referrals with cv 0.1 is raised to d / (1 - 2 d cv / 10)."""
    demand = 30.0
    raised = demand / (1 - 2 * demand * 0.1 / 10)
    assert relief_capacity(demand, 1200, 390, 26, num_referrals=100, cv_demand=0.1) == (
        pytest.approx(raised + (1200 - 390) / 26)
    )


def test_mean_wait_counts_each_band_at_its_middle() -> None:
    """10 patients in band 0 and 10 in band 3 wait 2.0 weeks on average; empty lists are NaN."""
    waiting = np.zeros((2, WAIT_BANDS))
    waiting[0, 0], waiting[0, 3] = 10, 10
    means = mean_wait_weeks(waiting)
    assert means[0] == pytest.approx(2.0)
    assert np.isnan(means[1])


def test_queue_kpis_per_provider() -> None:
    """Load, target size, pressure, relief and target capacity per provider from the input."""
    waiting = np.zeros((3, WAIT_BANDS))
    waiting[:, 20] = [300, 100, 50]
    inp = ProjectionInput.create(
        provider=["A", "A", "B"],
        tfc=["C_110", "C_130", "C_110"],
        waiting=waiting,
        demand_per_week=np.array([20.0, 10.0, 5.0]),
        capacity_per_week=np.array([15.0, 10.0, 10.0]),
        horizon_weeks=4,
    )
    kpis = queue_kpis(inp, level="provider", target_wait_weeks=18).set_index("provider")
    a = kpis.loc["A"]
    assert a["load"] == pytest.approx(30 / 25)
    assert bool(a["load_too_big"])
    assert a["target_queue_size"] == pytest.approx(30 * 18 / 4)
    assert bool(a["queue_too_big"])  # 400 > 2 x 135
    assert a["mean_wait_weeks"] == pytest.approx(20.5)
    assert a["pressure"] == pytest.approx(2 * 20.5 / 18)
    assert a["relief_capacity_per_week"] == pytest.approx(30 + (400 - 135) / 26)
    assert a["target_capacity_per_week"] == pytest.approx(30 + 1 * 4 / 18)
    assert not bool(kpis.loc["B", "load_too_big"])


def _backlog() -> ProjectionInput:
    waiting = np.zeros((2, WAIT_BANDS))
    waiting[0, :40] = 20.0
    waiting[1, :10] = 5.0
    return ProjectionInput.create(
        provider=["A", "B"],
        tfc=["C_110", "C_110"],
        waiting=waiting,
        demand_per_week=np.array([20.0, 5.0]),
        capacity_per_week=np.array([20.0, 6.0]),
        horizon_weeks=52,
        validation_rate_per_week=0.005,
        start_date=dt.date(2026, 4, 27),
    )


def test_capacity_to_meet_target_is_just_enough() -> None:
    """The capacity found meets 92% within 18 weeks by week 26; 1% less does not."""
    inp = _backlog()
    answer = capacity_to_meet_target(inp, measure="pct_within_18", value=92, by_week=26)
    assert not answer.loc[0, "met_now"]
    assert bool(answer.loc[1, "met_now"])
    needed = answer.loc[0, "required_capacity_per_week"]
    assert needed > inp.capacity_per_week[0, 0]

    def pct_at_26(capacity: float) -> float:
        trial = dataclasses.replace(inp, capacity_per_week=np.full((2, 52), capacity), pools=None)
        return project(trial, levels=("series",)).levels["series"].measures["pct_within_18"][0, 26]

    assert pct_at_26(needed) >= 92 - 1e-6
    assert pct_at_26(needed * 0.99) < 92


def test_capacity_to_clear_52_week_waits() -> None:
    """Clearing everyone over 52 weeks by week 10 needs more capacity the sooner it is due."""
    waiting = np.zeros((1, WAIT_BANDS))
    waiting[0, 30:60] = 10.0
    inp = ProjectionInput.create(
        provider=["A"],
        tfc=["C_110"],
        waiting=waiting,
        demand_per_week=5.0,
        capacity_per_week=5.0,
        horizon_weeks=20,
    )
    soon = capacity_to_meet_target(inp, measure="over_52", value=0, by_week=5)
    later = capacity_to_meet_target(inp, measure="over_52", value=0, by_week=20)
    assert soon.loc[0, "required_capacity_per_week"] > later.loc[0, "required_capacity_per_week"]
    with pytest.raises(ValueError, match="by_week"):
        capacity_to_meet_target(inp, measure="over_52", value=0, by_week=21)


def test_rag_status_by_hand() -> None:
    """90% within 18 weeks is Amber against 92%, 80% is Red, 93% Green; far dates not projected."""
    frame = pd.DataFrame(
        {
            "provider": ["A", "A", "B", "B", "C", "C"],
            "week": [0, 1] * 3,
            "week_start": pd.to_datetime(["2026-03-16", "2026-03-23"] * 3),
            "list_size": [100.0] * 6,
            "pct_within_18": [50, 90, 50, 80, 50, 93],
            "over_52": [0, 0.5, 0, 3, 0, 1.5],
        }
    )
    targets = (
        RttTarget("92%", "pct_within_18", 92, None, 5, "test"),
        RttTarget("52 weeks", "pct_over_52", 1, None, 1, "test"),
        RttTarget("Due March 2026", "pct_within_18", 65, dt.date(2026, 3, 31), 5, "test"),
        RttTarget("Due 2029", "pct_within_18", 92, dt.date(2029, 3, 31), 5, "test"),
    )
    rag = rag_status(frame, targets=targets, unit_columns=["provider"])
    status = rag.set_index(["provider", "target"])["status"]
    assert status[("A", "92%")] == "Amber"
    assert status[("B", "92%")] == "Red"
    assert status[("C", "92%")] == "Green"
    assert status[("A", "52 weeks")] == "Green"
    assert status[("B", "52 weeks")] == "Red"
    assert status[("C", "52 weeks")] == "Amber"
    assert status[("A", "Due March 2026")] == "Green"  # week 1 ends 30 March 2026
    assert status[("A", "Due 2029")] == "Not projected"
