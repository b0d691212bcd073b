"""A collaborative loads its own rota staff list: checked against the scenario, all or nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from ics_capacity.db.models import RotaLeave, RotaLock, RotaStaff, Scenario
from ics_capacity.db.session import unit_of_work
from ics_capacity.importers.problems import ImportValidationError
from ics_capacity.services import auth
from ics_capacity.services import scenarios as sc
from ics_capacity.services.auth import PermissionDeniedError
from ics_capacity.services.data_exchange import commit_import, preview_import
from ics_capacity.services.rota import RotaSettings, rota_problem_as_operator, set_lock
from tests.conftest import TEST_PASSWORD

MAIN_SITE = {"RBK": "MANOR", "RL4": "NEWCROSS", "RNA": "RUSSELLS", "RXK": "MIDMET"}
HEADER = "code,name,trust,home site,role,contract,employment,skills,sites,hours per week,leave"


def _branch(url: str, emails: dict[str, str]) -> tuple[str, int, list[str]]:
    lead = auth.sign_in(emails["workforce_lead"], TEST_PASSWORD)
    with unit_of_work(url) as session:
        base = session.exec(select(Scenario.id).where(Scenario.is_baseline.is_(True))).first()
    branch = sc.create_scenario(lead, base, "Own staff list")
    with unit_of_work(url) as session:
        codes = sorted(
            session.exec(select(RotaStaff.code).where(RotaStaff.scenario_id == branch)).all()
        )
    return lead, branch, codes


def _staff(url: str, scenario_id: int) -> dict[str, dict]:
    with unit_of_work(url) as session:
        rows = session.exec(select(RotaStaff).where(RotaStaff.scenario_id == scenario_id)).all()
        return {r.code: r.model_dump() for r in rows}


def test_the_file_becomes_the_staff_list_keeping_locks_of_people_who_stay(
    app_db, tmp_path: Path
) -> None:
    """Kept codes keep their rows and locks; new people are added, missing ones removed."""
    url, emails = app_db
    lead, branch, codes = _branch(url, emails)
    kept = codes[0]
    monday = dt.date(2027, 1, 4)
    set_lock(lead, branch, kept, monday, "", expected=None)
    before = _staff(url, branch)[kept]
    trust = kept.split("-")[0]
    path = tmp_path / "staff.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                f"{kept},Kept person,{trust},{MAIN_SITE[trust]},anaesthetist,"
                "consultant_2003,,,SANDWELL,40,2027-01-11..2027-01-17",
                "RXK-SCR-99,New scrub,RXK,MIDMET,scrub_practitioner,agenda_for_change,bank,,"
                "SANDWELL,37.5,",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    preview = preview_import(lead, branch, "rota_staff", path)
    assert preview.ok, preview.problems
    assert dict(preview.summary)["People"] == "2"
    assert dict(preview.summary)["Removed from the list (their locks go too)"] == str(
        len(codes) - 1
    )
    outcome = commit_import(lead, branch, "rota_staff", path)
    assert outcome.rows_written == 2
    after = _staff(url, branch)
    assert set(after) == {kept, "RXK-SCR-99"}
    assert after[kept]["id"] == before["id"] and after[kept]["label"] == "Kept person"
    assert (
        after["RXK-SCR-99"]["employment"] == "bank" and after["RXK-SCR-99"]["hourly_cost_pence"] > 0
    )
    with unit_of_work(url) as session:
        locks = session.exec(
            select(RotaLock.staff_id, RotaLock.on_date).where(RotaLock.scenario_id == branch)
        ).all()
        leave = session.exec(
            select(RotaLeave.start_date, RotaLeave.end_date).where(
                RotaLeave.staff_id == before["id"]
            )
        ).all()
    assert [tuple(lk) for lk in locks] == [(before["id"], monday)]
    assert [tuple(x) for x in leave] == [(dt.date(2027, 1, 11), dt.date(2027, 1, 17))]
    problem = rota_problem_as_operator(
        branch,
        RotaSettings(start_date=monday, weeks=2, site_codes=("SANDWELL",), time_limit_seconds=3),
        url,
    )
    assert {p.id for p in problem.data.staff} == {kept, "RXK-SCR-99"}
    assert commit_import(lead, branch, "rota_staff", path).skipped_as_duplicate


def test_a_list_that_does_not_fit_the_scenario_writes_nothing(app_db, tmp_path: Path) -> None:
    """Unknown trusts, sites and surgeons' specialties are all reported; nothing changes."""
    url, emails = app_db
    lead, branch, codes = _branch(url, emails)
    path = tmp_path / "staff.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                "X1,Outsider,RRK,MANOR,odp,agenda_for_change,,,MANOR,37.5,",
                "X2,Nowhere,RBK,ATLANTIS,odp,agenda_for_change,,,ATLANTIS;MANOR,37.5,",
                "X3,Surgeon,RBK,MANOR,surgeon,consultant_2003,,C_999X,MANOR,40,",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportValidationError) as error:
        commit_import(lead, branch, "rota_staff", path)
    found = {(p.row, p.column) for p in error.value.problems}
    assert found == {(2, "trust"), (3, "home site"), (3, "sites"), (4, "skills")}
    assert sorted(_staff(url, branch)) == codes


def test_only_roles_that_edit_the_workforce_may_load_a_staff_list(app_db, tmp_path: Path) -> None:
    """A manager (capacity, not workforce) is refused, and the list is unchanged."""
    url, emails = app_db
    _lead, branch, codes = _branch(url, emails)
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    path = tmp_path / "staff.csv"
    path.write_text(
        HEADER + "\nX1,Person,RBK,MANOR,odp,agenda_for_change,,,MANOR,37.5,\n", encoding="utf-8"
    )
    with pytest.raises(PermissionDeniedError):
        commit_import(manager, branch, "rota_staff", path)
    with unit_of_work(url) as session:
        count = session.exec(
            select(sa.func.count()).select_from(RotaStaff).where(RotaStaff.scenario_id == branch)
        ).one()
    assert count == len(codes)
