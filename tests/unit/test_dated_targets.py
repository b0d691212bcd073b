"""Dated targets rated from hand-built projection frames, trust by trust (issue 15 §4)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ics_capacity.domain.targets import (
    DEFAULT_TARGETS,
    DatedTarget,
    TargetError,
    TargetKind,
    parse_target,
)
from ics_capacity.projections.targets import evaluate_targets, rated_week

START = dt.date(2026, 4, 30)


def _frame(values: dict[int, list[tuple[float, float]]]) -> pd.DataFrame:
    """provider -> [(over_65, pct_within_18) for weeks 0, 1, ...]."""
    rows = [
        {"provider": p, "week": w, "over_65": o, "pct_within_18": s}
        for p, weeks in values.items()
        for w, (o, s) in enumerate(weeks)
    ]
    return pd.DataFrame(rows)


NO_65 = DatedTarget(TargetKind.MAX_LONG_WAITERS, 0, START + dt.timedelta(weeks=2), over_weeks=65)
SHARE_65 = DatedTarget(TargetKind.MIN_WITHIN_18, 65, START + dt.timedelta(weeks=3, days=3))


def test_labels_say_the_target_in_planners_words() -> None:
    assert NO_65.label == "No 65-week waiters by 14 May 2026"
    assert SHARE_65.label == "65% within 18 weeks by 24 May 2026"
    limit = DatedTarget(TargetKind.MAX_LONG_WAITERS, 1500, dt.date(2027, 3, 31), over_weeks=52)
    assert limit.label == "At most 1,500 waiting over 52 weeks by 31 March 2027"
    assert [t.measure for t in DEFAULT_TARGETS] == ["over_65", "pct_within_18"]


def test_a_target_is_rated_at_the_last_week_ending_by_its_date() -> None:
    frame = _frame({1: [(0, 0)] * 6})
    assert rated_week(frame, START, NO_65.due) == 2
    assert rated_week(frame, START, SHARE_65.due) == 3  # week 4 ends after the date
    assert rated_week(frame, START, START + dt.timedelta(days=6)) is None  # no week ends by then
    assert rated_week(frame, START, START + dt.timedelta(weeks=6)) is None  # beyond the horizon


def test_each_trust_meets_or_misses_with_its_shortfall_beside_the_comparison() -> None:
    """Trust 1 meets both; trust 2 has 40 over 65 weeks and 60.5% within 18 weeks; without the
    plan trust 1 would have missed the 65-week target."""
    mine = _frame(
        {
            1: [(90, 60), (50, 62), (0, 64), (0, 66), (0, 67), (0, 68)],
            2: [(90, 55), (70, 57), (40, 59), (30, 60.5), (20, 61), (10, 62)],
        }
    )
    other = _frame(
        {
            1: [(90, 60), (80, 60), (70, 60), (60, 60), (50, 60), (40, 60)],
            2: [(90, 55), (90, 55), (90, 55), (90, 55), (90, 55), (90, 55)],
        }
    )
    rated = {
        (r["provider"], r["target"]): r
        for r in evaluate_targets(mine, [NO_65, SHARE_65], START, other).to_dict("records")
    }
    one_65 = rated[(1, NO_65.label)]
    assert (one_65["week"], one_65["with_plan"], one_65["without_plan"]) == (2, 0, 70)
    assert one_65["met"] and not one_65["met_without_plan"]
    assert one_65["shortfall"] == 0
    two_65 = rated[(2, NO_65.label)]
    assert not two_65["met"] and two_65["shortfall"] == 40 and two_65["unit"] == "patients"
    two_share = rated[(2, SHARE_65.label)]
    assert two_share["week"] == 3 and two_share["shortfall"] == pytest.approx(4.5)
    assert two_share["unit"] == "percentage points"
    assert rated[(1, SHARE_65.label)]["met"]


def test_without_a_comparison_and_beyond_the_horizon() -> None:
    mine = _frame({1: [(5, 70)] * 3})
    late = DatedTarget(TargetKind.MIN_WITHIN_18, 92, dt.date(2029, 3, 31))
    rated = evaluate_targets(mine, [NO_65, late], START)
    first, second = rated.iloc[0], rated.iloc[1]
    assert first["met"] == False and np.isnan(first["without_plan"])  # noqa: E712
    assert first["met_without_plan"] is None
    assert second["met"] is None and np.isnan(second["week"]) and np.isnan(second["shortfall"])


@pytest.mark.parametrize(
    ("kind", "value", "over"),
    [
        (TargetKind.MAX_LONG_WAITERS, 0, 60),
        (TargetKind.MAX_LONG_WAITERS, -1, 65),
        (TargetKind.MIN_WITHIN_18, 0, None),
        (TargetKind.MIN_WITHIN_18, 101, None),
    ],
)
def test_a_target_that_cannot_be_rated_is_refused(kind, value, over) -> None:
    with pytest.raises(TargetError):
        DatedTarget(kind, value, dt.date(2027, 3, 31), over_weeks=over)


def test_a_target_from_a_form() -> None:
    """The dashboard's form: kind, figure (a '%' or thousands comma allowed), weeks, date."""
    long = parse_target("max_long_waiters", "1,500", "78", "2027-03-31")
    assert long.label == "At most 1,500 waiting over 78 weeks by 31 March 2027"
    share = parse_target("min_within_18", "70%", "", "2027-09-30")
    assert (share.measure, share.value, share.over_weeks) == ("pct_within_18", 70.0, None)
    for bad, words in (
        (("most", "0", "52", "2027-03-31"), "not a kind"),
        (("max_long_waiters", "none", "52", "2027-03-31"), "not a number"),
        (("max_long_waiters", "0", "fifty", "2027-03-31"), "not a number of weeks"),
        (("max_long_waiters", "0", "52", "March"), "not a date"),
        (("min_within_18", "120", "", "2027-03-31"), "at most 100%"),
    ):
        with pytest.raises(TargetError, match=words):
            parse_target(*bad)
