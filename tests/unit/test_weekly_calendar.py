"""Calendar maths: bank holidays, seasonal months, closures, ramps and growth as weekly factors."""

from __future__ import annotations

import datetime as dt

import pytest

from ics_capacity.domain.errors import InvalidInputError
from ics_capacity.domain.weekly_calendar import (
    CalendarChange,
    ChangeKind,
    ChangeTarget,
    SeasonalIndex,
    weekly_profiles,
)
from ics_capacity.importers.flows import read_flows
from ics_capacity.projections.seasonality import backtest_seasonality, estimate_seasonality
from ics_capacity.settings import REPO_ROOT, nhs_data_dir

APRIL_2027 = dt.date(2027, 3, 29)  # a Monday; Good Friday 26 March, Easter Monday 29 March 2027


def test_bank_holidays_take_a_day_from_a_five_day_site_only_on_its_operating_days() -> None:
    """Easter Monday 2027 costs a five-day site a fifth of week 1; a seven-day site a seventh."""
    profiles = weekly_profiles(APRIL_2027, 6, {"HUB": 5, "SEVEN": 7})
    assert profiles.capacity["HUB"][0] == pytest.approx(0.8)
    assert profiles.capacity["SEVEN"][0] == pytest.approx(6 / 7)
    assert profiles.capacity["HUB"][1] == pytest.approx(1.0)
    # Early May bank holiday, Monday 3 May 2027, falls in week 6.
    assert profiles.capacity["HUB"][5] == pytest.approx(0.8)
    assert profiles.bank_holidays[1] == ["Easter Monday (Mon 29 Mar 2027)"]
    assert profiles.demand == [1.0] * 6


def test_christmas_weeks_lose_the_bank_holidays_and_the_seasonal_dip() -> None:
    """Christmas and Boxing Day (substitutes in 2027) and December's index both lower the week."""
    start = dt.date(2027, 12, 20)
    index = SeasonalIndex(capacity=(1.0,) * 11 + (0.9,), demand=(1.0,) * 12, method="test")
    profiles = weekly_profiles(start, 3, {"HUB": 5}, seasonal=index)
    # 27 and 28 December 2027 are the substitute days for Christmas (Sat) and Boxing Day (Sun).
    assert profiles.capacity["HUB"][0] == pytest.approx(0.9)
    # Week 2 is 27 December to 2 January: five December days and two January days.
    assert profiles.capacity["HUB"][1] == pytest.approx(3 / 5 * (5 * 0.9 + 2) / 7, abs=1e-6)
    # Week 3 (3-9 January 2028) is all January: no December dip; 3 January is New Year's
    # substitute day (1 January 2028 is a Saturday).
    assert profiles.capacity["HUB"][2] == pytest.approx(4 / 5)


def test_a_hub_opening_in_week_9_ramps_up_over_6_weeks() -> None:
    """Closed weeks 1-8, a sixth open in week 9, full from week 14."""
    opens = CalendarChange(9, 9, ChangeTarget.CAPACITY, ChangeKind.OPENS, 6, site="NEW")
    factors = weekly_profiles(dt.date(2027, 6, 7), 20, {"NEW": 5, "OLD": 5}, [opens]).capacity
    assert factors["NEW"][:8] == [0.0] * 8
    # Relative to a site without the change (both lose the summer bank holiday in week 13).
    ramp = [new / old for new, old in zip(factors["NEW"][8:], factors["OLD"][8:], strict=True)]
    assert ramp == pytest.approx([1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6] + [1.0] * 7, abs=1e-5)
    assert factors["OLD"][12] == pytest.approx(0.8)  # 30 August 2027, summer bank holiday
    assert opens.describe() == "NEW opens week 9, ramping up over 6 weeks"


def test_closures_refurbishment_and_growth_combine_by_multiplication() -> None:
    """A closure zeroes its weeks, a refurbishment takes its share, growth compounds yearly."""
    changes = [
        CalendarChange(1, 2, ChangeTarget.CAPACITY, ChangeKind.CLOSED, site="X"),
        CalendarChange(10, 14, ChangeTarget.CAPACITY, ChangeKind.PERCENT, -25, site="X"),
        CalendarChange(1, 104, ChangeTarget.DEMAND, ChangeKind.GROWTH, 3),
    ]
    # From 6 September 2027: no bank holiday falls in weeks 1-15.
    profiles = weekly_profiles(dt.date(2027, 9, 6), 60, {"X": 5}, changes)
    x = profiles.capacity["X"]
    assert x[:2] == [0.0, 0.0]
    assert x[9:14] == [0.75] * 5
    assert x[14] == 1.0
    # After 52 weeks of 3% a year demand is about 2.94% higher (52 of 52.18 weeks).
    assert profiles.demand[51] == pytest.approx(1.03 ** (52 / (365.25 / 7)), rel=1e-6)


def test_every_calendar_problem_is_listed_with_its_line() -> None:
    """Bad weeks, values and sites are all reported, each naming the calendar line and field."""
    bad = [
        CalendarChange(0, 3, ChangeTarget.CAPACITY, ChangeKind.CLOSED, site="X"),
        CalendarChange(5, 4, ChangeTarget.DEMAND, ChangeKind.CLOSED),
        CalendarChange(1, 2, ChangeTarget.CAPACITY, ChangeKind.PERCENT, -150, site="NOPE"),
    ]
    with pytest.raises(InvalidInputError) as caught:
        weekly_profiles(dt.date(2027, 6, 8), 10, {"X": 5}, bad)
    text = str(caught.value)
    for expected in (
        "calendar line 1, first week: 0",
        "calendar line 2, last week: 4",
        "calendar line 2, change: demand cannot be 'closed'",
        "calendar line 3, value: -150%",
        "calendar line 3, site: 'NOPE'",
    ):
        assert expected in text


def test_seasonality_from_the_flow_history_shows_the_august_and_december_dips() -> None:
    """Completions per working day dip in August and December in the 2020-22 history."""
    flows = read_flows(nhs_data_dir() / "waiting_list_flow_by_ics_2020-04_2022-09.csv")
    index = estimate_seasonality(flows)
    assert sum(index.capacity) / 12 == pytest.approx(1.0)
    aug, dec = index.capacity[7], index.capacity[11]
    others = [v for m, v in enumerate(index.capacity) if m not in (7, 11)]
    assert aug < 0.95 and dec < 0.95 and aug < sorted(others)[2]
    assert "2x12 moving average" in index.method


def test_the_seasonality_backtest_scores_both_methods_on_the_same_forecasts() -> None:
    """Flat and seasonal are scored on the same origins, systems and horizons."""
    flows = read_flows(nhs_data_dir() / "waiting_list_flow_by_ics_2020-04_2022-09.csv")
    table = backtest_seasonality(flows, horizon=3)
    counts = table.pivot_table(index=["measure", "horizon"], columns="method", values="forecasts")
    assert (counts["flat"] == counts["seasonal"]).all() and (counts["flat"] > 20).all()
    assert table["mape"].between(0, 100).all()


def test_the_indices_quoted_in_the_assumptions_are_the_estimate() -> None:
    """docs/assumptions.md quotes August's and December's capacity index as estimated."""
    flows = read_flows(nhs_data_dir() / "waiting_list_flow_by_ics_2020-04_2022-09.csv")
    index = estimate_seasonality(flows)
    text = (REPO_ROOT / "docs" / "assumptions.md").read_text(encoding="utf-8")
    assert f"August ({index.capacity[7]:.3f}) and December ({index.capacity[11]:.3f})" in text
