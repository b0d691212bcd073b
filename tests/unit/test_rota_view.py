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
from ics_capacity.ui.pages.rota import view
from solvers.common import Status
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
    assert "1 shifts for 2 staff; 1 places short (£900 at agency prices)" in headline
    assert "no rule broken." in headline and "Fri 25 Dec (Christmas Day)" in headline
    stats = view.stats_text(outcome)
    assert "objective £1,150, best bound £1,150, gap 0.00%" in stats
    assert "proven best" in stats and "no lower bound was proven" not in stats
    assert view.cost_headline(outcome).startswith("Cost of the rota: £1,150 = substantive")


def test_tables_of_cost_limits_and_compliance() -> None:
    outcome = _outcome()
    assert [r["cost"] for r in view.cost_rows(outcome)] == ["£250", "£0", "£900", "£1,150"]
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
