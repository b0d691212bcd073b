"""Validation against the recorded baseline: the verdicts, without a database (issue 15 §4)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ics_capacity.db.models import RecordedBaseline
from ics_capacity.services.projections import with_flows_to_week
from ics_capacity.services.recorded_baseline import _leaving_rows, _net_of_validation


def _recorded(removed: float | None, treated: float | None) -> RecordedBaseline:
    return RecordedBaseline(
        collaborative_id=1,
        scenario_id=1,
        scenario_name="Baseline",
        approved_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
        approved_by="exec@nhs.net",
        method="cohort",
        ods_code="RL4",
        trust_name="Royal Wolverhampton",
        week=26,
        waiting_list=1000.0,
        within_18_weeks_share=0.6,
        over_52_weeks=10.0,
        over_65_weeks=2.0,
        over_78_weeks=0.0,
        treated_to_week=treated,
        removed_by_validation_to_week=removed,
    )


def test_a_fall_wholly_from_more_validation_is_not_better() -> None:
    assert _net_of_validation(100.0, 120.0)[0] == "only by validation"
    assert _net_of_validation(100.0, 99.8)[0] == "only by validation"  # within half a patient
    verdict, difference = _net_of_validation(100.0, 40.0)
    assert verdict == "better" and difference == "-100, of which 40 from more validation"
    assert _net_of_validation(100.0, 0.0) == ("better", "-100")
    assert _net_of_validation(100.0, -30.0) == ("better", "-100")  # less validation than before
    assert _net_of_validation(100.0, None) == ("better", "-100")  # not recorded: not judged


def test_leaving_rows_show_both_flows_apart_and_say_when_not_recorded() -> None:
    plan = {"treated_to_week": 500.0, "removed_by_validation_to_week": 80.0}
    rows = _leaving_rows(_recorded(removed=50.0, treated=500.0), plan, 26)
    assert [(r.measure, r.baseline, r.plan, r.difference, r.verdict) for r in rows] == [
        ("Treated, weeks 1-26", "500", "500", "none", "not judged"),
        ("Removed by validation, not treated, weeks 1-26", "50", "80", "+30", "not judged"),
    ]
    old = _leaving_rows(_recorded(removed=None, treated=None), plan, 26)
    assert [(r.baseline, r.difference) for r in old] == [("not recorded", "–")] * 2


def test_flows_to_week_sum_weeks_one_to_each_week_apart_per_trust() -> None:
    frame = pd.DataFrame(
        {
            "provider": [2, 1, 1, 1, 2, 2],
            "week": [0, 0, 1, 2, 1, 2],
            "treated": [9.0, 9.0, 3.0, 4.0, 1.0, 2.0],
            "validated": [9.0, 9.0, 0.5, 0.5, 0.0, 1.0],
        }
    )
    out = with_flows_to_week(frame).set_index(["provider", "week"])
    assert out.loc[(1, 0), "treated_to_week"] == 0.0  # week 0 is the starting list
    assert out.loc[(1, 2), "treated_to_week"] == 7.0
    assert out.loc[(1, 2), "validated_to_week"] == 1.0
    assert out.loc[(2, 2), "treated_to_week"] == 3.0
    assert out.loc[(2, 2), "validated_to_week"] == 1.0
