"""From a hand-built snapshot of a scenario to the solver's rota input: no database."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from ics_capacity.db.models import (
    BedCapacity,
    RotaLeave,
    RotaLock,
    RotaRequest,
    RotaStaff,
    Site,
    TheatreCapacity,
)
from ics_capacity.services.rota_problem import pools_for, problem_from_snapshot
from ics_capacity.services.rota_settings import RotaSettings, RotaSettingsError, SlotNeed
from ics_capacity.services.rota_snapshot import RotaSnapshot

START = dt.date(2027, 1, 4)  # a Monday, no bank holiday in the week


def _staff(staff_id: int, code: str, role: str, sites: str, **extra: object) -> RotaStaff:
    return RotaStaff(
        id=staff_id,
        scenario_id=1,
        code=code,
        label=f"Person {code}",
        organisation_id=7,
        home_site_code="HUB",
        staff_group=role,
        role=role,
        contract="agenda_for_change",
        sites=sites,
        contracted_minutes_per_week=2250,
        hourly_cost_pence=3000,
        **extra,
    )


def _snapshot(**changes: object) -> RotaSnapshot:
    """One elective hub (one theatre, ten beds) and a main site; two staff at the hub, one not."""
    hub = Site(id=1, scenario_id=1, code="HUB", name="The Hub", operator_id=7, is_elective_hub=True)
    main = Site(id=2, scenario_id=1, code="MAIN", name="Main", operator_id=7)
    snapshot = RotaSnapshot(
        sites={"HUB": hub, "MAIN": main},
        theatres={
            1: TheatreCapacity(
                scenario_id=1,
                site_id=1,
                theatres=1,
                sessions_per_week=12,
                session_minutes=240,
                utilisation_target=Decimal("0.85"),
            )
        },
        beds={
            1: BedCapacity(
                scenario_id=1,
                site_id=1,
                elective_overnight_beds=10,
                day_case_places=0,
                occupancy_target=Decimal("0.8"),
            )
        },
        site_tfcs={1: ("110",)},
        waiting={"110": 500},
        plan=None,
        organisations={7: ("RXK", "Sandwell and West Birmingham")},
        staff=(
            _staff(11, "ANA1", "anaesthetist", "HUB"),
            _staff(12, "NUR1", "ward_nurse", "HUB"),
            _staff(13, "FAR1", "ward_nurse", "MAIN"),
        ),
        leave=(
            RotaLeave(
                staff_id=12,
                start_date=START + dt.timedelta(days=1),
                end_date=START + dt.timedelta(days=2),
            ),
            RotaLeave(
                staff_id=12,
                start_date=START + dt.timedelta(days=30),
                end_date=START + dt.timedelta(days=31),
            ),
        ),  # fmt: skip
        locks=(
            RotaLock(scenario_id=1, staff_id=11, on_date=START, shift_code="HUB-AM", locked_by="x"),
            RotaLock(scenario_id=1, staff_id=13, on_date=START, shift_code="", locked_by="x"),
            RotaLock(
                scenario_id=1, staff_id=11, on_date=START - dt.timedelta(days=1), locked_by="x"
            ),
        ),
        requests=(
            RotaRequest(staff_id=12, on_date=START + dt.timedelta(days=3), kind="off"),
            RotaRequest(staff_id=13, on_date=START, kind="on"),  # not on this rota
        ),
    )
    return dataclasses.replace(snapshot, **changes)  # type: ignore[arg-type]


SETTINGS = RotaSettings(start_date=START, weeks=1, site_codes=("HUB",), keep_published=False)


def test_a_snapshot_becomes_the_solvers_input() -> None:
    problem = problem_from_snapshot(_snapshot(), SETTINGS)
    data = problem.data
    assert data.horizon_days == 7 and data.first_weekday == 0
    assert [s.id for s in data.shift_types] == ["HUB-AM", "HUB-PM", "HUB-DAY", "HUB-LD", "HUB-N"]
    # Only the people who may work at a chosen site; the trust comes from the organisations.
    assert [p.id for p in data.staff] == ["ANA1", "NUR1"]
    assert problem.people["ANA1"].trust == "RXK"
    nurse = next(p for p in data.staff if p.id == "NUR1")
    assert nurse.days_off == frozenset({1, 2})  # leave outside the rota is left out
    # An anaesthetist works lists only, a ward nurse wards only.
    assert nurse.max_shifts_per_type == {"HUB-AM": 0, "HUB-PM": 0, "HUB-DAY": 0}
    # The lock of someone not on the rota is reported, not kept; one before the rota is not read.
    assert [(lk.staff_id, lk.day, lk.shift_id) for lk in data.locked] == [("ANA1", 0, "HUB-AM")]
    assert len(problem.ignored_locks) == 1 and "staff 13" in problem.ignored_locks[0]
    assert [(r.staff_id, r.day, r.kind) for r in data.requests] == [("NUR1", 3, "off")]


def test_the_hub_runs_its_lists_six_days_and_its_wards_every_day() -> None:
    problem = problem_from_snapshot(_snapshot(), SETTINGS)
    assert {day for (site, day), count in problem.lists.items() if count} == set(range(6))
    assert problem.list_minutes == {"HUB": 480}  # 12 sessions x 240 min over 6 days
    nights = [n for n in problem.needs if n.kind == "N"]
    assert len(nights) == 7 and {n.required for n in nights} == {1}  # 8 occupied beds: 1 per 8


def test_a_snapshot_the_settings_cannot_use_is_refused_in_words() -> None:
    with pytest.raises(RotaSettingsError, match="not sites of this scenario"):
        problem_from_snapshot(_snapshot(), dataclasses.replace(SETTINGS, site_codes=("NOPE",)))
    with pytest.raises(RotaSettingsError, match="nobody on this scenario's rota staff list"):
        problem_from_snapshot(_snapshot(staff=()), SETTINGS)
    with pytest.raises(RotaSettingsError, match="no finished rebalancing plan"):
        problem_from_snapshot(_snapshot(), dataclasses.replace(SETTINGS, demand="plan"))
    with pytest.raises(RotaSettingsError, match="no theatres or elective beds"):
        problem_from_snapshot(_snapshot(), dataclasses.replace(SETTINGS, site_codes=("MAIN",)))


def _need(site: str, kind: str, skill: str, role: str) -> SlotNeed:
    return SlotNeed(site, 0, kind, skill, role, 1, 0)


def test_pools_per_site_and_role_priced_over_basic_pay_with_agency_capped() -> None:
    """A bank and an agency pool per site and role; agency asked +90% is held to basic + 55%."""
    needs = [
        _need("HUB", "AM", "surgeon:C_110", "surgeon"),
        _need("HUB", "PM", "surgeon:C_120", "surgeon"),
        _need("HUB", "LD", "ward_nurse", "ward_nurse"),
        _need("CITY", "AM", "surgeon:C_110", "surgeon"),
    ]
    settings = RotaSettings(
        start_date=dt.date(2027, 1, 4),
        weeks=1,
        site_codes=("HUB", "CITY"),
        bank_pool_shifts=4,
        agency_pool_shifts=2,
        agency_uplift_percent=90,
    )
    pools = {p.id: p for p in pools_for(needs, settings)}
    assert sorted(pools) == [
        "agency:CITY:surgeon",
        "agency:HUB:surgeon",
        "agency:HUB:ward_nurse",
        "bank:CITY:surgeon",
        "bank:HUB:surgeon",
        "bank:HUB:ward_nurse",
    ]
    surgeons = pools["bank:HUB:surgeon"]
    assert surgeons.shift_ids == {"HUB-AM", "HUB-PM"}
    assert surgeons.skills == {"surgeon:C_110", "surgeon:C_120"}
    assert (surgeons.max_shifts, surgeons.period_days) == (4, 7)
    assert surgeons.hourly_price == round(5262 * 1.45)  # consultant basic pay + 45%
    agency = pools["agency:HUB:ward_nurse"]
    assert agency.price_per_hour == round(1588 * 1.9) and agency.hourly_price == round(1588 * 1.55)
    assert agency.max_shifts == 2
    whole = dataclasses.replace(settings, pool_scope="collaborative", pool_period="rota")
    collaborative = {p.id: p for p in pools_for(needs, whole)}
    assert collaborative["bank:collaborative:surgeon"].shift_ids == {"HUB-AM", "HUB-PM", "CITY-AM"}
    assert collaborative["bank:collaborative:surgeon"].period_days is None
