"""No theatre lists on England's bank holidays unless the hub opts in; wards are still staffed.

The calendar is the `holidays` package's (`country_holidays("GB", subdiv="ENG")`). Over the
Christmas of 2026 it holds Christmas Day (Friday 25 December), Boxing Day (Saturday 26 December,
a list day at an elective hub) and the substitute day for it (Monday 28 December); four weeks
from 7 December also reach New Year's Day 2027 (a Friday).
"""

from __future__ import annotations

import datetime as dt

from ics_capacity.db.models import BedCapacity, Site
from ics_capacity.domain.staff import StaffRole
from ics_capacity.services.rota_problem import _needs
from ics_capacity.services.rota_settings import THEATRE_KINDS, bank_holidays, list_days

START = dt.date(2026, 12, 7)  # a Monday
DATES = [START + dt.timedelta(days=d) for d in range(28)]  # four weeks
CHRISTMAS = {dt.date(2026, 12, 25), dt.date(2026, 12, 26), dt.date(2026, 12, 28)}
NEW_YEAR = dt.date(2027, 1, 1)
CLOSED = CHRISTMAS | {NEW_YEAR}


def _hub(opt_in: bool = False) -> Site:
    return Site(
        id=1,
        scenario_id=1,
        code="HUB",
        name="The hub",
        operator_id=1,
        is_elective_hub=True,
        bank_holiday_lists=opt_in,
    )


def _needs_of(site: Site) -> list:
    days = list_days(site, DATES, bank_holidays(DATES))
    lists = {(site.code, d): 2 for d in days}
    tfc_lists = {(site.code, d): {"110": 2} for d in days}
    beds = {1: BedCapacity(site_id=1, elective_overnight_beds=16, occupancy_target=0.85)}
    return _needs([site], beds, DATES, lists, tfc_lists, {site.code: 600})


def test_the_calendar_names_christmas_boxing_day_and_the_substitute_day() -> None:
    found = bank_holidays(DATES)
    assert set(found) == CLOSED
    assert "Christmas" in found[dt.date(2026, 12, 25)]
    assert all("Boxing" in found[d] for d in (dt.date(2026, 12, 26), dt.date(2026, 12, 28)))


def test_a_four_week_rota_from_7_december_needs_no_list_on_bank_holidays() -> None:
    needs = _needs_of(_hub())
    list_dates = {DATES[n.day] for n in needs if n.kind in THEATRE_KINDS + ("AM", "PM")}
    assert not list_dates & CLOSED
    # Every other operating day (Monday to Saturday at a hub) still has its lists.
    expected = {d for d in DATES if d.weekday() < 6} - CLOSED
    assert list_dates == expected
    # Wards are staffed on every day, bank holidays included.
    ward_dates = {DATES[n.day] for n in needs if n.role is StaffRole.WARD_NURSE}
    assert ward_dates == set(DATES)


def test_a_hub_that_opts_in_runs_lists_on_bank_holidays() -> None:
    needs = _needs_of(_hub(opt_in=True))
    list_dates = {DATES[n.day] for n in needs if n.kind in ("AM", "PM")}
    assert CLOSED <= list_dates
    assert list_dates == {d for d in DATES if d.weekday() < 6}


def test_a_rota_without_bank_holidays_is_unchanged() -> None:
    june = [dt.date(2026, 6, 8) + dt.timedelta(days=d) for d in range(7)]
    assert bank_holidays(june) == {}
    assert list_days(_hub(), june, {}) == [0, 1, 2, 3, 4, 5]
