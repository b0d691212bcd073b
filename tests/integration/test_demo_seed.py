"""The demo collaborative seeded from the real NHS files, and the overview computed from it."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from ics_capacity.db.models import (
    Collaborative,
    FigureProvenance,
    ImportBatch,
    Scenario,
    Site,
    TheatreCapacity,
    WaitingList,
)
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.assumptions import DEMO_COLLABORATIVE, DEMO_SITES
from ics_capacity.services.demo import seed_demo
from ics_capacity.services.overview import collaborative_overview, list_collaboratives

# NHS England RTT Full CSV extract, April 2026, Part_2 "Total All": the data README check figures.
CHECK_FIGURES = {"RL4": 73_776, "RXK": 65_630, "RNA": 46_643, "RBK": 27_974}


def _overview(url: str):
    with unit_of_work(url) as session:
        (bcpc,) = [c for c in list_collaboratives(session) if c.code == "BCPC"]
        return collaborative_overview(session, bcpc.id)


def test_waiting_lists_match_the_published_figures(seeded_db_url: str) -> None:
    """Each member trust's waiting list equals NHS England's published total."""
    overview = _overview(seeded_db_url)
    assert {t.ods_code: t.waiting_list for t in overview.trusts} == CHECK_FIGURES
    assert overview.total.waiting_list == sum(CHECK_FIGURES.values())


def test_overview_has_beds_workforce_and_two_hubs(seeded_db_url: str) -> None:
    """Beds come from KH03 2024-25 Q4, staff from the workforce file, and two sites are hubs."""
    overview = _overview(seeded_db_url)
    rl4 = next(t for t in overview.trusts if t.ods_code == "RL4")
    assert rl4.ga_beds_available == pytest.approx(825.4, abs=0.05)
    assert rl4.ga_occupancy_rate == pytest.approx(0.951, abs=0.001)
    assert overview.beds_period == "2024-25 Q4"
    assert all(t.fte and t.fte > 1000 for t in overview.trusts)
    assert overview.total.hubs == 2
    assert {s.code for s in overview.sites if s.is_elective_hub} == {"CANNOCK", "SANDWELL"}
    assert all("C_110" in s.treatment_functions for s in overview.sites if s.is_elective_hub)


def test_18_week_and_52_week_figures_follow_the_wait_bands(seeded_db_url: str) -> None:
    """The 18-week share and 52+ week count are recomputed independently from the band rows."""
    overview = _overview(seeded_db_url)
    with unit_of_work(seeded_db_url) as session:
        rows = session.execute(
            sa.select(WaitingList.wait_band_weeks, sa.func.sum(WaitingList.patients))
            .where(WaitingList.part == "Part_2", WaitingList.scenario_id == overview.scenario_id)
            .where(WaitingList.organisation_id.in_(_member_ids(session)))
            .group_by(WaitingList.wait_band_weeks)
        ).all()
    by_band = dict(rows)
    known = sum(by_band.values())
    assert overview.total.known_clock_start == known
    assert overview.total.within_18_weeks == sum(v for b, v in by_band.items() if b < 18)
    assert overview.total.over_52_weeks == sum(v for b, v in by_band.items() if b >= 52)
    assert 0.4 < overview.total.within_18_weeks_rate < 0.8


def _member_ids(session) -> list[int]:
    from ics_capacity.db.models import CollaborativeMember

    return list(session.execute(sa.select(CollaborativeMember.organisation_id)).scalars())


def test_seeding_twice_changes_nothing(seeded_db_url: str, nhs_dir: Path) -> None:
    """A second seed finds the demo and writes nothing."""
    with unit_of_work(seeded_db_url) as session:
        before = session.execute(sa.select(sa.func.count()).select_from(WaitingList)).scalar()
    report = seed_demo(nhs_dir, db_url=seeded_db_url)
    assert not report.created
    with unit_of_work(seeded_db_url) as session:
        after = session.execute(sa.select(sa.func.count()).select_from(WaitingList)).scalar()
        batches = session.execute(sa.select(ImportBatch.kind)).scalars().all()
        sites = session.execute(sa.select(sa.func.count()).select_from(Site)).scalar()
        scenarios = session.execute(sa.select(sa.func.count()).select_from(Scenario)).scalar()
    assert after == before > 0
    # Onboarding's files (the ODS trusts too) and the local layer's sites template, once each.
    assert sorted(batches) == ["etr", "kh03", "rtt", "template", "workforce"]
    assert sites == 6
    assert scenarios == 1  # the approved baseline; the demo asks onboarding for no draft


def test_the_demo_is_onboarding_plus_its_local_layer(seeded_db_url: str) -> None:
    """The sites are the local layer's, each figure local with its cited source; the beds
    published (KH03); the case mix the national defaults, estimated; no estimated main site."""
    with unit_of_work(seeded_db_url) as session:
        baseline, status = session.execute(
            sa.select(Scenario.id, Scenario.status)
            .join(Collaborative, Collaborative.id == Scenario.collaborative_id)
            .where(Collaborative.code == DEMO_COLLABORATIVE.code, Scenario.is_baseline)
        ).one()
        rows = session.execute(
            sa.select(FigureProvenance).where(FigureProvenance.scenario_id == baseline)
        ).scalars()
        provenance = {(r.entity, r.entity_key, r.field): (r.kind, r.rule) for r in rows}
        theatres = dict(
            session.execute(
                sa.select(Site.code, TheatreCapacity.theatres)
                .join(TheatreCapacity, TheatreCapacity.site_id == Site.id)
                .where(Site.scenario_id == baseline)
            ).all()
        )
    assert status == "approved"
    assert theatres == {a.code: a.theatres for a in DEMO_SITES}
    for a in DEMO_SITES:
        for entity, name in (
            ("site", "is_elective_hub"),
            ("site", "location"),
            ("theatre_capacity", "theatres"),
            ("theatre_capacity", "sessions_per_week"),
            ("bed_capacity", "elective_overnight_beds"),
        ):
            kind, rule = provenance[(entity, a.code, name)]
            assert kind == "local" and rule.startswith("uploaded in the sites template")
            assert a.source[:200] in rule
    assert provenance[("trust_beds", "RL4", "ga_beds_available")] == (
        "published",
        "KH03 2024-25 Q4",
    )
    assert provenance[("case_mix", "C_110", "minutes_per_case")][0] == "estimated"
    estimated_sites = {key for entity, key, _ in provenance if entity == "site"} - set(theatres)
    assert estimated_sites == set()


def test_missing_file_writes_nothing(db_url: str, tmp_path: Path, nhs_dir: Path) -> None:
    """Seeding from a folder lacking one file fails with its name and leaves the database empty."""
    from ics_capacity.services.demo import DemoDataMissingError

    for name in ("rtt_full_extract_2026-04_QUA_QHL_subset.csv", "etr_2026.csv"):
        (tmp_path / name).symlink_to(nhs_dir / name)
    with pytest.raises(DemoDataMissingError, match="kh03_qmco"):
        seed_demo(tmp_path, db_url=db_url)
    with unit_of_work(db_url) as session:
        assert session.execute(sa.select(sa.func.count()).select_from(WaitingList)).scalar() == 0


def test_bad_beds_file_rolls_back_the_whole_seed(
    db_url: str, tmp_path: Path, nhs_dir: Path
) -> None:
    """A negative bed count in KH03, read after the RTT rows are staged, leaves nothing behind."""
    from ics_capacity.importers.problems import ImportValidationError
    from ics_capacity.services.demo import DEMO_FILES

    for name in DEMO_FILES.values():
        (tmp_path / name).symlink_to(nhs_dir / name)
    kh03 = tmp_path / DEMO_FILES["kh03"]
    lines = kh03.read_text().splitlines(keepends=True)
    kh03.unlink()
    header = lines[0].split(",")
    column = header.index("kh03_avail_ga_avg_beds")
    for i, line in enumerate(lines):
        if line.startswith("RL4,2024-25 Q4,"):
            cells = line.split(",")
            cells[column] = "-825.4"
            lines[i] = ",".join(cells)
            bad_row = i + 1
    kh03.write_text("".join(lines))

    with pytest.raises(ImportValidationError) as raised:
        seed_demo(tmp_path, db_url=db_url)
    message = str(raised.value)
    assert f"row {bad_row}" in message and "kh03_avail_ga_avg_beds" in message
    with unit_of_work(db_url) as session:
        for table in (WaitingList, Site, ImportBatch):
            assert session.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0


def test_the_local_layer_template_reads_back_as_the_cited_sites(tmp_path: Path) -> None:
    """The sites template the demo gives onboarding is the cited site records, cell for cell."""
    from ics_capacity.importers.templates import read_template
    from ics_capacity.services.demo import write_sites_template

    template = read_template(
        write_sites_template(tmp_path), known_ods_codes=DEMO_COLLABORATIVE.member_trusts
    )
    rows = template.rows.set_index("site_code")
    assert list(rows.index) == [a.code for a in DEMO_SITES]
    for a in DEMO_SITES:
        row = rows.loc[a.code]
        assert (row["site_name"], row["operator_ods_code"], row["postcode"]) == (
            a.name,
            a.operator_ods_code,
            a.postcode,
        )
        assert (bool(row["is_elective_hub"]), row["latitude"], row["longitude"]) == (
            a.is_elective_hub,
            a.latitude,
            a.longitude,
        )
        assert (row["theatres"], row["sessions_per_week"], row["session_minutes"]) == (
            a.theatres,
            a.sessions_per_week,
            a.session_minutes,
        )
        assert (row["elective_overnight_beds"], row["day_case_places"]) == (
            a.elective_overnight_beds,
            a.day_case_places,
        )
        assert row["utilisation_target"] == pytest.approx(a.utilisation_target)
        assert row["occupancy_target"] == pytest.approx(a.bed_occupancy_target)
        assert row["treatment_functions"] == a.treatment_functions
        assert row["source"] == a.source
