"""The Rota page's pure view builders, on hand-built outcomes: no database, no Reflex state."""

from __future__ import annotations

import datetime as dt

import pytest

from ics_capacity.services.errors import InvalidInputError
from ics_capacity.services.results import (
    Cell,
    ComplianceRow,
    CostLine,
    GapCost,
    LimitRow,
    LockRow,
    PoolRow,
    PoolUseRow,
    PublishedChangeRow,
    PublishedUsed,
    RotaCost,
    RotaOutcome,
    RotaRunSettings,
    RotaStats,
    SessionRow,
    ShiftMeta,
    StaffRow,
)
from ics_capacity.services.rota_published import PublishedView
from ics_capacity.ui.pages.rota import pools, view
from ics_capacity.ui.pages.rota.fairness import fairness_rows
from solvers.common import Status
from solvers.rota.check_fairness import FairnessLine
from solvers.rota.schema import Assignment

DATES = tuple(f"2026-12-{d}" for d in range(21, 28))  # Monday 21 to Sunday 27 December
OFF = Cell(shift="", locked=False, leave=False)


def _person(code: str, label: str, role: str, cells: list[Cell], minutes: int) -> StaffRow:
    return StaffRow(
        code=code,
        label=label,
        role=role,
        grade="",
        trust="RXK",
        home_site="SANDWELL",
        employment="substantive",
        contract="",
        hourly_cost_pence=0,
        cells=tuple(cells),
        minutes=minutes,
        trust_name="Sandwell and West Birmingham",
        home_site_name="Sandwell",
    )


def _outcome(**changes: object) -> RotaOutcome:
    """Two people over one week at Sandwell: Ann works Monday AM (locked), Bob is on leave."""
    ann = [Cell(shift="SANDWELL-AM", locked=True, leave=False), *[OFF] * 6]
    bob = [OFF, Cell(shift="", locked=False, leave=True), *[OFF] * 5]
    fields: dict[str, object] = {
        "settings": RotaRunSettings(
            start_date=DATES[0],
            weeks=1,
            site_codes=("SANDWELL",),
            rule_pack="uk_default",
            soft_rules=False,
            demand="timetable",
            time_limit_seconds=10,
            num_workers=2,
            seed=1,
        ),
        "dates": DATES,
        "shifts": {
            "SANDWELL-AM": ShiftMeta(
                site="SANDWELL",
                site_name="Sandwell",
                kind="AM",
                label="Sandwell morning list",
                start="08:00",
                end="13:00",
                minutes=300,
            ),
            "SANDWELL-LD": ShiftMeta(
                site="SANDWELL",
                site_name="Sandwell",
                kind="LD",
                label="Sandwell long day",
                start="07:30",
                end="20:00",
                minutes=750,
            ),
        },
        "staff": (
            _person("ANN", "Ann Smith", "anaesthetist", ann, 300),
            _person("BOB", "Bob Jones", "ward_nurse", bob, 0),
        ),
        "assignments": (Assignment(staff_id="ANN", day=0, shift_id="SANDWELL-AM"),),
        "locked": (LockRow(staff_id="ANN", day=0, shift_id="SANDWELL-AM"),),
        "sessions": (
            SessionRow(
                site="SANDWELL",
                day=0,
                kind="AM",
                skill="anaesthetist",
                role="anaesthetist",
                required=1,
                staffed=1,
                short=0,
                agency_pence=0,
            ),
            SessionRow(
                site="SANDWELL",
                day=1,
                kind="AM",
                skill="anaesthetist",
                role="anaesthetist",
                required=1,
                staffed=0,
                short=1,
                agency_pence=90000,
            ),
        ),
        "compliance": (
            ComplianceRow(rule="Rest", family="rest", mode="hard", breaches=0, at_limit=2),
        ),
        "cost": RotaCost(
            substantive=CostLine(shifts=1, hours=5.0, pence=25000),
            bank=CostLine(),
            agency_gaps=GapCost(places=1, pence=90000),
            gaps_by_role={},
            total_pence=115000,
        ),
        "staffed_sessions_per_week": {},
        "stats": RotaStats(
            status=Status.OPTIMAL,
            objective=115000,
            bound=115000,
            gap=0.0,
            wall_seconds=1.25,
            time_limit_seconds=10,
            num_workers=2,
            seed=1,
            ortools_version="9.x",
        ),
        "objective_terms": {},
        "binding_limits": (
            LimitRow(name="cover", where="SANDWELL-AM", when="day 1", shortfall=1, unit="short"),
            LimitRow(name="rest", where="ANN", when="days 0-2", shortfall=0),
        ),
        "binding_count": 2,
        "infeasible_because": (),
        "checked_objective": 115000,
        "hard_violations": (),
        "ignored_locks": (),
        "rule_pack": "UK default",
        "bank_holidays": {"2026-12-25": "Christmas Day"},
    }
    fields.update(changes)
    return RotaOutcome(**fields)


def test_grid_rows_show_shifts_leave_and_locks() -> None:
    rows = view.grid_rows(_outcome(), 0, "", {"SANDWELL": "#003087"}, only_rostered=False)
    assert [r.code for r in rows] == ["ANN", "BOB"]
    ann, bob = rows
    assert ann.role == "Anaesthetist · based at Sandwell" and ann.hours == "5.0 h"
    monday = ann.cells[0]
    assert monday.text == "🔒 SAN AM" and monday.background == "#003087" and monday.locked
    assert monday.aria == "Ann Smith, Mon 21 Dec: Sandwell morning list (locked)"
    assert bob.cells[1].text == "Leave" and bob.cells[0].text == "–"


def test_grid_rows_filter_by_role_and_by_rostered() -> None:
    outcome = _outcome()
    assert [r.code for r in view.grid_rows(outcome, 0, "ward_nurse", {}, False)] == ["BOB"]
    # Bob has no shift and no lock this week: "only rostered" leaves him out.
    assert [r.code for r in view.grid_rows(outcome, 0, "", {}, True)] == ["ANN"]


def test_a_lock_made_after_the_build_shows_what_the_next_build_applies() -> None:
    outcome = _outcome(locked=(LockRow(staff_id="BOB", day=2, shift_id="SANDWELL-LD"),))
    bob = view.grid_rows(outcome, 0, "", {}, False)[1]
    assert bob.cells[2].text == "🔒 → LD"
    assert bob.cells[2].aria.endswith("(locked to Sandwell long day from the next build)")


def test_need_rows_mark_the_short_days() -> None:
    (row,) = view.need_rows(_outcome(), 0)
    assert row.label == "SANDWELL · Morning list · Anaesthetist"
    assert [c.text for c in row.cells[:3]] == ["1/1", "0/1", ""]
    assert row.cells[1].aria == "SANDWELL · Morning list · Anaesthetist, 2026-12-22: 1 short"


def test_dates_of_names_the_solver_days_as_dates() -> None:
    assert view.dates_of("day 1", DATES) == "Tue 22 Dec"
    assert view.dates_of("days 0-2", DATES) == "Mon 21 Dec-Wed 23 Dec"
    assert view.dates_of("horizon", DATES) == "horizon"


def test_headline_and_stats_say_what_the_rota_is_and_how_it_ended() -> None:
    outcome = _outcome()
    headline = view.headline(outcome)
    assert headline.startswith("Rota for Sandwell, Mon 21 Dec to Sun 27 Dec 2026 (1 week): ")
    assert "1 shifts for 2 staff; 1 places short; checked" in headline
    assert "no rule broken." in headline and "Fri 25 Dec (Christmas Day)" in headline
    stats = view.stats_text(outcome)
    assert "objective £1,150, best bound £1,150, gap 0.00%" in stats
    assert "proven best" in stats and "no lower bound was proven" not in stats
    assert view.cost_headline(outcome).startswith("Cost of the rota: £1,150 = substantive")


def test_tables_of_cost_limits_and_compliance() -> None:
    outcome = _outcome()
    costs = [r["cost"] for r in view.cost_rows(outcome)]
    assert costs == ["£250", "£0", "£0", "£0", "£900", "£1,150"]
    # Only limits with a shortfall, their days as dates.
    assert view.limit_rows(outcome) == [
        {"limit": "cover", "where": "SANDWELL-AM", "when": "Tue 22 Dec", "by": "1", "unit": "short"}
    ]
    assert view.compliance_rows(outcome)[0]["at_limit"] == "2"


def test_published_changes_and_note() -> None:
    kept = PublishedUsed(
        id=3,
        first_date=DATES[0],
        last_date=DATES[-1],
        published_by="Lead",
        published_at="2026-12-01 09:00",
        days=7,
    )
    change = PublishedChangeRow(
        staff_id="ANN", label="Ann Smith", date=DATES[0], was="", now="SANDWELL-AM"
    )
    outcome = _outcome(published=kept, published_changes=(change,))
    assert view.change_rows(outcome) == [
        {
            "person": "Ann Smith (ANN)",
            "date": "Mon 21 Dec",
            "was": "Off",
            "now": "Sandwell morning list",
            "why": "to meet cover or keep a rule",
        }
    ]
    assert view.changes_note(outcome).endswith("1 published day changed, listed below.")
    assert view.changes_note(_outcome()) == ""


def test_published_note_names_this_rota_or_a_later_build() -> None:
    current = PublishedView(
        id=3,
        first_date=DATES[0],
        last_date=DATES[-1],
        published_by="Lead",
        published_at="2026-12-01 09:00",
        job_id=7,
        current=True,
        superseded_at="",
    )
    outcome = _outcome()
    assert "(this rota)" in view.published_note([current], outcome, 7)
    assert "a later build" in view.published_note([current], outcome, 8)
    assert view.published_note([], outcome, 7) == ""
    assert view.published_rows([current])[0]["state"] == "Current"


def test_day_headers_legend_and_lock_options() -> None:
    outcome = _outcome()
    headers = view.day_headers(outcome, 0)
    assert headers[4] == {"label": "Fri 25 Dec", "weekend": "", "holiday": "Bank holiday"}
    assert headers[5]["weekend"] == "1"
    colours = view.site_colours(outcome)
    assert view.site_legend(outcome, colours) == [
        {"code": "SAN", "name": "Sandwell (SANDWELL)", "colour": colours["SANDWELL"]}
    ]
    # A ward nurse may be locked to ward shifts only, a theatre role to lists only.
    assert [o["value"] for o in view.lock_options(outcome, "ward_nurse")] == ["off", "SANDWELL-LD"]
    assert [o["value"] for o in view.lock_options(outcome, "odp")] == ["off", "SANDWELL-AM"]


def test_settings_from_form_names_every_wrong_field() -> None:
    with pytest.raises(InvalidInputError) as refused:
        view.settings_from_form(
            "", "13", "0", [], rule_pack="x", soft_rules=False, demand="timetable",
            keep_published=True,
        )  # fmt: skip
    message = str(refused.value)
    for field in ("First day", "Weeks: '13'", "Time limit: '0'", "Hubs and sites"):
        assert field in message
    settings = view.settings_from_form(
        "2026-12-21",
        "2",
        "20",
        ["SANDWELL"],
        rule_pack="uk_default",
        soft_rules=True,
        demand="plan",
        keep_published=False,
    )
    assert settings.start_date == dt.date(2026, 12, 21) and settings.weeks == 2
    assert settings.site_codes == ("SANDWELL",) and settings.num_workers == 2
    assert view.auto_time_limit(2) == 20 and view.auto_time_limit(100) == view.MAX_TIME_LIMIT


def test_pool_rows_note_and_headline_show_what_the_pools_filled() -> None:
    """Per site and role the pools' places and spend; the note names caps, the cap and the check."""
    cost = _outcome().cost.model_copy(
        update={
            "bank_pool": GapCost(places=3, pence=30000),
            "agency_pool": GapCost(places=2, pence=40000),
            "agency_gaps": GapCost(places=1, pence=90000),
            "pools": (
                PoolRow(
                    site="SANDWELL",
                    role="anaesthetist",
                    bank_shifts=3,
                    bank_pence=30000,
                    agency_shifts=2,
                    agency_pence=40000,
                    short=1,
                ),
            ),
            "pool_use": (
                PoolUseRow(
                    pool_id="agency:SANDWELL:anaesthetist",
                    kind="agency",
                    site="SANDWELL",
                    role="anaesthetist",
                    cap=2,
                    period="week",
                    busiest=2,
                    shifts=2,
                    pence=40000,
                    hourly_pence=8156,
                    capped=True,
                ),
            ),
            "pools_checked": True,
        }
    )
    settings = _outcome().settings.model_copy(
        update={"bank_pool_shifts": 5, "agency_pool_shifts": 2, "agency_uplift_percent": 80}
    )
    outcome = _outcome(cost=cost, settings=settings)
    assert pools.pool_rows(outcome) == [
        {
            "site": "SANDWELL",
            "role": "Anaesthetist",
            "bank": "3",
            "bank_cost": "£300",
            "agency": "2",
            "agency_cost": "£400",
            "short": "1",
        }
    ]
    note = pools.pool_note(outcome)
    assert "A bank pool of 5 and an agency pool of 2 places a week per site and role" in note
    assert "agency at basic pay + 55% (held to the NHS agency price cap of +55%)" in note
    assert "At their cap: agency SANDWELL Anaesthetist." in note
    assert "re-checked by the independent checker" in note
    assert (
        "6 places short of staff: 3 filled from the bank pool, 2 from the agency pool, 1 left"
        in (view.headline(outcome))
    )


def test_pool_settings_from_the_form_name_every_bad_field() -> None:
    """Defaults parse to the settings' defaults; bad text is refused naming each field."""
    assert pools.pool_settings_from_form(pools.default_pool_form()) == {
        "pool_scope": "site",
        "pool_period": "week",
        "bank_pool_shifts": 10,
        "agency_pool_shifts": 10,
        "bank_uplift_percent": 45,
        "agency_uplift_percent": 55,
    }
    bad = {**pools.default_pool_form(), "pool_period": "month", "bank_pool_shifts": "-2"}
    with pytest.raises(InvalidInputError) as caught:
        pools.pool_settings_from_form(bad)
    assert "Pool period: choose week or rota" in str(caught.value)
    assert "Bank pool cap (places): '-2' is not a whole number from 0 to 10,000" in str(
        caught.value
    )


def test_fairness_rows_show_the_spread_per_wte_and_who_is_outside_the_band() -> None:
    """Rows sorted by group then kind; hundredths of a shift per WTE shown to one decimal.

    The surgeons worked no nights, so that line is left out.
    """
    lines = (
        FairnessLine(
            group="ward_nurse",
            kind="weekends",
            people=2,
            fewest=100,
            most=200,
            band_percent=25,
        ),
        FairnessLine(
            group="anaesthetist",
            kind="nights",
            people=6,
            fewest=0,
            most=450,
            band_percent=25,
            band_shifts=7,
            outside=("ANN", "BOB", "CY", "DI", "ED"),
        ),
        FairnessLine(group="anaesthetist", kind="cross_site", people=6, fewest=0, most=110),
        FairnessLine(group="surgeon", kind="nights", people=3, fewest=0, most=0, band_percent=25),
    )
    rows = fairness_rows(_outcome(fairness=lines))
    assert [(r["group"], r["kind"]) for r in rows] == [
        ("Anaesthetist (6 people)", "Night shifts"),
        ("Anaesthetist (6 people)", "Shifts away from home site"),
        ("Ward nurse (2 people)", "Weekends worked"),
    ]
    assert rows[0]["range"] == "0.0 to 4.5"
    assert rows[0]["outside"] == (
        "5 people, 7 shifts beyond ±25%: Ann Smith, Bob Jones, CY, DI and 1 more"
    )
    assert rows[1]["outside"] == "No band set"
    assert rows[2] == {
        "group": "Ward nurse (2 people)",
        "kind": "Weekends worked",
        "range": "1.0 to 2.0",
        "outside": "None: all within ±25% of their share",
    }
