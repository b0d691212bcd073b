"""Rules that must always hold are enforced by the database itself, on every backend."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from ics_capacity.db.models import (
    Collaborative,
    Organisation,
    Scenario,
    Site,
    TheatreCapacity,
    TreatmentFunction,
    WaitingList,
)
from ics_capacity.db.session import unit_of_work


@pytest.fixture
def scenario_with_site(db_url: str) -> dict[str, int]:
    with unit_of_work(db_url) as s:
        collaborative = Collaborative(code="T", name="Test", icb_code="QUA")
        org = Organisation(ods_code="RL4", name="The Royal Wolverhampton NHS Trust")
        s.add_all([collaborative, org, TreatmentFunction(code="C_110", name="T&O")])
        s.flush()
        scenario = Scenario(collaborative_id=collaborative.id, name="Base")
        s.add(scenario)
        s.flush()
        site = Site(scenario_id=scenario.id, code="CANNOCK", name="Cannock", operator_id=org.id)
        s.add(site)
        s.commit()
        return {"scenario": scenario.id, "org": org.id, "site": site.id}


def _insert_fails(url: str, row) -> None:
    with unit_of_work(url) as s:
        s.add(row)
        with pytest.raises(IntegrityError):
            s.flush()


def test_negative_theatres_are_refused(db_url: str, scenario_with_site: dict[str, int]) -> None:
    """A CHECK constraint refuses a negative theatre count."""
    ids = scenario_with_site
    _insert_fails(
        db_url,
        TheatreCapacity(
            scenario_id=ids["scenario"], site_id=ids["site"], theatres=-1, sessions_per_week=10
        ),
    )


def test_utilisation_above_one_is_refused(db_url: str, scenario_with_site: dict[str, int]) -> None:
    """A utilisation target is a rate between 0 and 1."""
    ids = scenario_with_site
    _insert_fails(
        db_url,
        TheatreCapacity(
            scenario_id=ids["scenario"],
            site_id=ids["site"],
            theatres=3,
            sessions_per_week=10,
            utilisation_target=Decimal("1.5"),
        ),
    )


def test_duplicate_ods_code_is_refused(db_url: str, scenario_with_site: dict[str, int]) -> None:
    """ODS codes are unique."""
    _insert_fails(db_url, Organisation(ods_code="RL4", name="Another"))


def test_unknown_treatment_function_is_refused(
    db_url: str, scenario_with_site: dict[str, int]
) -> None:
    """A waiting-list row must name a known treatment function (foreign key)."""
    ids = scenario_with_site
    _insert_fails(
        db_url,
        WaitingList(
            scenario_id=ids["scenario"],
            organisation_id=ids["org"],
            tfc="C_999",
            part="Part_2",
            wait_band_weeks=3,
            patients=5,
        ),
    )


def test_wait_band_out_of_range_is_refused(db_url: str, scenario_with_site: dict[str, int]) -> None:
    """Wait bands run from 0 to 104 weeks."""
    ids = scenario_with_site
    _insert_fails(
        db_url,
        WaitingList(
            scenario_id=ids["scenario"],
            organisation_id=ids["org"],
            tfc="C_110",
            part="Part_2",
            wait_band_weeks=105,
            patients=5,
        ),
    )


def test_unknown_scenario_status_is_refused(
    db_url: str, scenario_with_site: dict[str, int]
) -> None:
    """Scenario status is one of the workflow's states."""
    with unit_of_work(db_url) as s:
        with pytest.raises(IntegrityError):
            s.execute(sa.update(Scenario).values(status="done"))


def test_stale_edit_is_refused(db_url: str, scenario_with_site: dict[str, int]) -> None:
    """Two sessions edit the same site; the second, holding an old version, is refused."""
    from ics_capacity.db.session import engine_for

    engine = engine_for(db_url)
    site_id = scenario_with_site["site"]
    with Session(engine) as first, Session(engine) as second:
        mine, theirs = first.get(Site, site_id), second.get(Site, site_id)
        mine.name = "Cannock Chase Hospital"
        first.commit()
        theirs.name = "Something else"
        with pytest.raises(StaleDataError):
            second.commit()
    with Session(engine) as check:
        site = check.get(Site, site_id)
        assert (site.name, site.version) == ("Cannock Chase Hospital", 2)
