"""Onboarding a system from NHS England's published files, on SQLite and PostgreSQL.

Birmingham and Solihull (QHL) is onboarded from the shared RTT extract zipped as the national
file is published, with KH03, workforce, ODS and MAR: the Overview's waiting lists must equal the
published Part_2 totals (recomputed here from the raw CSV), the draft must be ready to plan, a
rebalance must treat patients and name its binding limits, and a projection must run.
"""

from __future__ import annotations

import csv
import json
import time
import zipfile
from collections import defaultdict
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from ics_capacity.cli import app
from ics_capacity.db.models import (
    Collaborative,
    FigureProvenance,
    Membership,
    Scenario,
    Site,
    TheatreCapacity,
    UserAccount,
)
from ics_capacity.db.session import unit_of_work
from ics_capacity.importers.problems import ImportValidationError
from ics_capacity.services import auth
from ics_capacity.services.onboarding import (
    OnboardingError,
    OnboardingFiles,
    file_kind,
    onboard,
    onboard_as_operator,
)
from ics_capacity.services.overview import collaborative_overview
from ics_capacity.services.projections import project_scenario_as_operator
from ics_capacity.services.readiness import rebalance_reasons
from ics_capacity.services.rebalance import run_rebalance_as_operator
from tests.conftest import TEST_PASSWORD

RTT_FILE = "rtt_full_extract_2026-04_QUA_QHL_subset.csv"
runner = CliRunner()


def _zipped(nhs_dir: Path, tmp_path: Path) -> Path:
    archive = tmp_path / "rtt-april-2026.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(nhs_dir / RTT_FILE, arcname=RTT_FILE)
    return archive


def _files(nhs_dir: Path, tmp_path: Path, **changes: Path | None) -> OnboardingFiles:
    files = {
        "rtt": _zipped(nhs_dir, tmp_path),
        "kh03": nhs_dir / "kh03_qmco_quarterly_trust_2018-19_2024-25.csv",
        "workforce": nhs_dir / "workforce_staff_group_org_Nov-25.csv",
        "etr": nhs_dir / "etr_2026.csv",
        "mar": nhs_dir / "mar_2026-02_QUA_QHL_trusts_subset.csv",
    } | changes
    return OnboardingFiles(**files)


def _published_part_2(nhs_dir: Path, ics: str) -> dict[str, int]:
    """Part_2 'Total All' of the C_999 rows per provider, summed over commissioners."""
    totals: dict[str, int] = defaultdict(int)
    with (nhs_dir / RTT_FILE).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if (
                row["Provider Parent Org Code"] == ics
                and row["RTT Part Type"] == "Part_2"
                and row["Treatment Function Code"] == "C_999"
            ):
                totals[row["Provider Org Code"]] += int(float(row["Total All"]))
    return dict(totals)


def test_onboarding_qhl_gives_published_lists_a_working_rebalance_and_projection(
    db_url: str, nhs_dir: Path, tmp_path: Path
) -> None:
    """From an empty database: published waiting lists, a rebalance that treats, a projection."""
    started = time.perf_counter()
    report = onboard_as_operator("QHL", _files(nhs_dir, tmp_path))
    assert report.trusts == ["RQ3", "RRJ", "RRK"]  # the trusts with an admitted waiting list
    with unit_of_work(db_url) as session:
        draft = session.get(Scenario, report.scenario_id)
        baseline = session.get(Scenario, report.baseline_id)
        assert draft.status == "draft" and draft.parent_id == baseline.id
        assert baseline.status == "approved" and baseline.is_baseline
        overview = collaborative_overview(session, report.collaborative_id, draft.id)
        assert rebalance_reasons(session, draft) == []
    published = _published_part_2(nhs_dir, "QHL")
    assert {t.ods_code: t.waiting_list for t in overview.trusts} == {
        code: published[code] for code in report.trusts
    }
    assert published["RRK"] == 90_948
    result = run_rebalance_as_operator(report.scenario_id, weeks=26, time_limit_seconds=10)
    assert result.status.has_solution
    assert result.metrics is not None and result.metrics.patients_treated > 0
    assert result.binding_limits
    projection = project_scenario_as_operator(report.scenario_id, horizon_weeks=52, runs=50)
    assert projection.deterministic is not None
    assert time.perf_counter() - started < 60


def test_every_site_figure_has_its_provenance(db_url: str, nhs_dir: Path, tmp_path: Path) -> None:
    """Each estimated site figure carries its rule; KH03 beds are published; the draft copies it."""
    report = onboard_as_operator("QHL", _files(nhs_dir, tmp_path))
    with unit_of_work(db_url) as session:
        rows = session.execute(
            sa.select(FigureProvenance).where(FigureProvenance.scenario_id == report.scenario_id)
        ).scalars()
        by_key = {(r.entity, r.entity_key, r.field): (r.kind, r.rule) for r in rows}
        theatres = session.execute(
            sa.select(TheatreCapacity.theatres)
            .join(Site, Site.id == TheatreCapacity.site_id)
            .where(Site.scenario_id == report.scenario_id, Site.code == "RRK")
        ).scalar_one()
    for field in ("theatres", "sessions_per_week", "session_minutes", "utilisation_target"):
        assert by_key[("theatre_capacity", "RRK", field)][0] == "estimated"
    rule = by_key[("theatre_capacity", "RRK", "theatres")][1]
    assert "RTT admitted completions (Part_1A), April 2026" in rule and "MAR (Feb 2026)" in rule
    assert theatres > 0
    assert by_key[("bed_capacity", "RRJ", "elective_overnight_beds")][0] == "estimated"
    assert by_key[("site", "RRK", "postcode")][0] == "published"
    assert by_key[("trust_beds", "RRK", "ga_beds_available")][1] == "KH03 2024-25 Q4"
    assert by_key[("case_mix", "C_110", "minutes_per_case")][0] == "estimated"


def test_a_bad_file_writes_nothing(db_url: str, nhs_dir: Path, tmp_path: Path) -> None:
    """A workforce file given as KH03 is refused with its problems, and no system is created."""
    files = _files(nhs_dir, tmp_path, kh03=nhs_dir / "workforce_staff_group_org_Nov-25.csv")
    with pytest.raises(ImportValidationError, match="kh03_avail_ga_avg_beds"):
        onboard_as_operator("QHL", files)
    with unit_of_work(db_url) as session:
        assert session.execute(sa.select(sa.func.count()).select_from(Collaborative)).scalar() == 0


def test_a_system_is_onboarded_once_and_trusts_must_be_its_providers(
    db_url: str, nhs_dir: Path, tmp_path: Path
) -> None:
    """A second onboarding of QHL is refused; --trusts naming a stranger is refused by code."""
    with pytest.raises(ImportValidationError, match="'RL4' is not a provider of this system"):
        onboard_as_operator("QHL", _files(nhs_dir, tmp_path), trusts=["RRK", "RL4"])
    report = onboard_as_operator("QHL", _files(nhs_dir, tmp_path), trusts=["RRK", "RRJ"])
    assert report.trusts == ["RRJ", "RRK"]
    with pytest.raises(OnboardingError, match="QHL is already onboarded"):
        onboard_as_operator("QHL", _files(nhs_dir, tmp_path))
    with pytest.raises(OnboardingError, match="not an ODS ICB code"):
        onboard_as_operator("Q H L", _files(nhs_dir, tmp_path))


def test_cli_onboard_prints_the_draft_scenario(db_url: str, nhs_dir: Path, tmp_path: Path) -> None:
    """`ics-capacity onboard --json` prints the draft's id; rebalance on it is not invalid_input."""
    files = _files(nhs_dir, tmp_path)
    result = runner.invoke(
        app,
        [
            "onboard",
            "--ics",
            "qhl",
            "--rtt",
            str(files.rtt),
            "--kh03",
            str(files.kh03),
            "--etr",
            str(files.etr),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    scenario = json.loads(result.stdout)["scenario"]
    solved = runner.invoke(app, ["rebalance", str(scenario), "--weeks", "8", "--json"])
    assert json.loads(solved.stdout)["status"] in ("optimal", "feasible")


def test_only_an_administrator_onboards_and_becomes_its_administrator(
    app_db, nhs_dir: Path, tmp_path: Path
) -> None:
    """A manager is refused; an administrator onboards and administers the new collaborative."""
    url, emails = app_db
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    files = _files(nhs_dir, tmp_path, kh03=None, workforce=None, mar=None)
    with pytest.raises(auth.PermissionDeniedError):
        onboard(manager, "QUA", files)
    admin = auth.sign_in(emails["admin"], TEST_PASSWORD)
    seen: list[int] = []
    report = onboard(admin, "QUA", files, progress=lambda p, _: seen.append(p))
    assert seen == sorted(seen) and seen[-1] >= 90
    with unit_of_work(url) as session:
        role = session.execute(
            sa.select(Membership.role)
            .join(UserAccount, UserAccount.id == Membership.user_id)
            .where(
                UserAccount.email == emails["admin"],
                Membership.collaborative_id == report.collaborative_id,
            )
        ).scalar_one()
    assert role == "admin"


def test_local_templates_replace_the_estimate_where_they_say_something(
    db_url: str, nhs_dir: Path, tmp_path: Path
) -> None:
    """A sites template for RRJ and a case-mix row for C_110, given with `--template`: RRJ has
    its own site and no estimated one, their figures are local with the row's source, the other
    trusts are estimated; `--code` and `--name` give the collaborative its own."""
    sites = tmp_path / "sites.csv"
    sites.write_text(
        "Site code,Site name,Operator ODS code,Elective hub,Theatres,Sessions per week per theatre,"
        "Elective overnight beds,Day-case places,Treatment functions,Source\n"
        "ROH,Royal Orthopaedic Hospital,RRJ,yes,9,12,40,16,C_110,Our theatre timetable 2026\n"
    )
    case_mix = tmp_path / "case_mix.csv"
    case_mix.write_text(
        "Treatment function,Minutes per case,Length of stay days,Day-case rate,Source\n"
        "C_110,95,2.5,0.5,Our theatre system 2025-26\n"
    )
    assert file_kind(sites) == file_kind(case_mix) == "template"
    files = _files(nhs_dir, tmp_path)
    result = runner.invoke(
        app,
        [
            "onboard",
            "--ics",
            "QHL",
            "--rtt",
            str(files.rtt),
            "--kh03",
            str(files.kh03),
            "--etr",
            str(files.etr),
            "--template",
            str(sites),
            "--template",
            str(case_mix),
            "--code",
            "BSOL",
            "--name",
            "Birmingham and Solihull Provider Collaborative",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["sites"] == 2  # RQ3 and RRK estimated; RRJ gave its own
    with unit_of_work(db_url) as session:
        collaborative = session.get(Collaborative, out["collaborative"])
        assert (collaborative.code, collaborative.icb_code) == ("BSOL", "QHL")
        assert collaborative.name == "Birmingham and Solihull Provider Collaborative"
        codes = set(
            session.execute(sa.select(Site.code).where(Site.scenario_id == out["scenario"]))
            .scalars()
            .all()
        )
        rows = session.execute(
            sa.select(FigureProvenance).where(FigureProvenance.scenario_id == out["scenario"])
        ).scalars()
        by_key = {(r.entity, r.entity_key, r.field): (r.kind, r.rule) for r in rows}
    assert codes == {"ROH", "RQ3", "RRK"}
    kind, rule = by_key[("theatre_capacity", "ROH", "theatres")]
    assert kind == "local" and "Our theatre timetable 2026" in rule
    assert by_key[("site", "ROH", "is_elective_hub")][0] == "local"
    kind, rule = by_key[("case_mix", "C_110", "minutes_per_case")]
    assert kind == "local" and "Our theatre system 2025-26" in rule
    assert by_key[("case_mix", "C_100", "minutes_per_case")][0] == "estimated"
    assert by_key[("theatre_capacity", "RRK", "theatres")][0] == "estimated"
