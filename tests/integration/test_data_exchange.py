"""Files in and out of scenarios through the services the upload page calls, on both backends.

Real files from the shared data folder are imported into a draft of the Black Country scenario
and, for a second system cut from the same RTT extract, into a draft of Birmingham and Solihull;
totals are checked against the published figures. Exports are read back, and a whole scenario's
JSON is imported as a new scenario with the same rows.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from ics_capacity.db.models import (
    AuditEvent,
    CaseMix,
    ImportBatch,
    Organisation,
    RttActivity,
    Site,
    TheatreCapacity,
    TrustBeds,
    WaitingList,
    Workforce,
)
from ics_capacity.db.session import unit_of_work
from ics_capacity.importers.problems import ImportValidationError
from ics_capacity.services import auth
from ics_capacity.services import scenarios as sc
from ics_capacity.services.auth import PermissionDeniedError
from ics_capacity.services.data_exchange import (
    EXPORT_TABLES,
    commit_import,
    export_scenario,
    export_table,
    import_scenario_json,
    preview_import,
)
from ics_capacity.services.data_exchange.loaders_trusts_flows_templates import flow_table
from ics_capacity.settings import REPO_ROOT
from tests.conftest import TEST_PASSWORD
from tests.strategies import database_dump

RTT = "rtt_full_extract_2026-04_QUA_QHL_subset.csv"
KH03 = "kh03_qmco_quarterly_trust_2018-19_2024-25.csv"
WORKFORCE = "workforce_staff_group_org_Nov-25.csv"
ETR = "etr_2026.csv"
FLOWS = "waiting_list_flow_by_ics_2020-04_2022-09.csv"
THEATRES = REPO_ROOT / "docs" / "examples" / "theatres_template.csv"
CASE_MIX = REPO_ROOT / "docs" / "examples" / "case_mix_template.csv"


def _token(emails: dict[str, str], role: str) -> str:
    return auth.sign_in(emails[role], TEST_PASSWORD)


def _collaborative(token: str, code: str) -> int:
    _, memberships = auth.my_collaboratives(token)
    return next(m.collaborative_id for m in memberships if m.code == code)


def _baseline(token: str, code: str) -> int:
    scenarios = sc.list_scenarios(token, _collaborative(token, code))
    return next(s.id for s in scenarios if s.is_baseline)


def _draft(token: str, code: str = "BCPC", name: str = "Imports") -> int:
    return sc.create_scenario(token, _baseline(token, code), name)


def _zip(source: Path, tmp_path: Path, name: str = "rtt-april-2026.zip") -> Path:
    archive = tmp_path / name
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(source, arcname=source.name)
    return archive


def _scenario_rows(url: str, table, scenario_id: int) -> int:
    with unit_of_work(url) as session:
        return session.execute(
            sa.select(sa.func.count()).select_from(table).where(table.scenario_id == scenario_id)
        ).scalar_one()


def _waiting(url: str, scenario_id: int) -> dict[str, int]:
    with unit_of_work(url) as session:
        rows = session.execute(
            sa.select(Organisation.ods_code, sa.func.sum(WaitingList.patients))
            .join(Organisation, Organisation.id == WaitingList.organisation_id)
            .where(WaitingList.scenario_id == scenario_id, WaitingList.part == "Part_2")
            .group_by(Organisation.ods_code)
        ).all()
    return {code: int(total) for code, total in rows}


# --- Import ------------------------------------------------------------------------------------


def test_rtt_zip_previews_then_imports_the_scenarios_system(
    app_db, nhs_dir: Path, tmp_path: Path
) -> None:
    """The zipped extract previews the Black Country's published totals, then imports them."""
    url, emails = app_db
    token = _token(emails, "manager")
    draft = _draft(token)
    archive = _zip(nhs_dir / RTT, tmp_path)
    preview = preview_import(token, draft, "rtt", archive)
    assert preview.ok and preview.problems == []
    summary = dict(preview.summary)
    assert summary["Month"] == "April 2026"
    assert summary["Providers"] == "9"
    assert summary["Patients waiting"] == "221,510"
    assert not preview.already_imported  # the draft came from the CSV, not this zip

    outcome = commit_import(token, draft, "rtt", archive)
    assert not outcome.skipped_as_duplicate and outcome.rows_written > 0
    assert sum(_waiting(url, draft).values()) == 221_510
    with unit_of_work(url) as session:
        who, summary = session.execute(
            sa.select(AuditEvent.user_email, AuditEvent.summary).where(
                AuditEvent.scenario_id == draft, AuditEvent.action == "data.import"
            )
        ).one()
    assert who == emails["manager"] and "rtt-april-2026.zip" in summary


def test_second_system_from_the_same_extract(app_db, nhs_dir: Path, tmp_path: Path) -> None:
    """Birmingham and Solihull's draft takes its own providers from the same extract."""
    url, emails = app_db
    token = _token(emails, "outsider")  # a manager of QHL
    draft = _draft(token, "QHL", "BSOL imports")
    before = _waiting(url, draft)
    with unit_of_work(url) as session:
        session.execute(sa.delete(WaitingList).where(WaitingList.scenario_id == draft))
        session.commit()
    outcome = commit_import(token, draft, "rtt", _zip(nhs_dir / RTT, tmp_path, "rtt.zip"))
    assert outcome.rows_written > 0
    after = _waiting(url, draft)
    assert after == before
    assert after["RRK"] == 90_948
    assert "RL4" not in after


def test_providers_can_be_chosen(app_db, nhs_dir: Path) -> None:
    """Asking for two providers reads only those two."""
    _, emails = app_db
    token = _token(emails, "manager")
    draft = _draft(token)
    preview = preview_import(token, draft, "rtt", nhs_dir / RTT, providers=["RBK", "RL4"])
    assert dict(preview.summary)["Providers"] == "2"
    missing = preview_import(token, draft, "rtt", nhs_dir / RTT, providers=["RBK", "RRK"])
    assert not missing.ok
    assert "'RRK' is not in this file under ICS QUA" in str(missing.problems[0])


def test_reimporting_the_same_file_is_a_no_op(app_db, nhs_dir: Path) -> None:
    """The second import of a file changes nothing at all, audit log included."""
    url, emails = app_db
    token = _token(emails, "manager")
    draft = _draft(token)
    commit_import(token, draft, "template", THEATRES)
    before = database_dump(url)
    assert preview_import(token, draft, "template", THEATRES).already_imported
    again = commit_import(token, draft, "template", THEATRES)
    assert again.skipped_as_duplicate and "already imported" in again.describe()
    assert database_dump(url) == before


def test_every_kind_imports_real_files(app_db, nhs_dir: Path) -> None:
    """KH03, workforce, ODS trusts and both templates load into a draft with published totals."""
    url, emails = app_db
    manager, lead = _token(emails, "manager"), _token(emails, "workforce_lead")
    draft = _draft(manager)
    with unit_of_work(url) as session:  # a draft copies the baseline's rows and source files
        for table in (TrustBeds, Workforce, CaseMix, ImportBatch):
            session.execute(sa.delete(table).where(table.scenario_id == draft))
        session.commit()

    beds = preview_import(manager, draft, "kh03", nhs_dir / KH03)
    assert dict(beds.summary)["Quarters"] == "2024-25 Q4"
    assert commit_import(manager, draft, "kh03", nhs_dir / KH03).rows_written == 4
    staff = preview_import(lead, draft, "workforce", nhs_dir / WORKFORCE)
    assert dict(staff.summary)["Trusts"] == "4"
    assert commit_import(lead, draft, "workforce", nhs_dir / WORKFORCE).rows_written == 46
    trusts = preview_import(manager, draft, "etr", nhs_dir / ETR)
    assert dict(trusts.summary)["System (ICB)"] == "QUA"
    commit_import(manager, draft, "etr", nhs_dir / ETR)
    assert commit_import(manager, draft, "template", CASE_MIX).rows_written == 11

    with unit_of_work(url) as session:
        ga = session.execute(
            sa.select(sa.func.sum(TrustBeds.ga_beds_available)).where(
                TrustBeds.scenario_id == draft
            )
        ).scalar_one()
        fte = session.execute(
            sa.select(sa.func.sum(Workforce.fte)).where(Workforce.scenario_id == draft)
        ).scalar_one()
        names = dict(session.execute(sa.select(Organisation.ods_code, Organisation.name)).all())
    assert float(ga) == pytest.approx(2588.8, abs=0.05)
    assert float(fte) == pytest.approx(25817.4, abs=0.1)
    assert names["RL4"] == "The Royal Wolverhampton NHS Trust"
    assert _scenario_rows(url, CaseMix, draft) == 11


def test_theatres_template_updates_sites_and_adds_new_ones(app_db, tmp_path: Path) -> None:
    """Changed figures update a site in place; a new code adds a site with its capacity."""
    url, emails = app_db
    token = _token(emails, "manager")
    draft = _draft(token)
    frame = pd.read_csv(THEATRES, dtype=str, keep_default_na=False)
    frame.loc[0, "Theatres"] = "12"
    extra = frame.iloc[[2]].copy()
    extra["Site code"], extra["Site name"], extra["Elective hub"] = "NEWHUB", "New hub", "yes"
    path = tmp_path / "hubs.xlsx"
    pd.concat([frame, extra]).to_excel(path, index=False)
    preview = preview_import(token, draft, "template", path)
    assert dict(preview.summary)["New sites"] == "1"
    commit_import(token, draft, "template", path)
    with unit_of_work(url) as session:
        theatres = dict(
            session.execute(
                sa.select(Site.code, TheatreCapacity.theatres)
                .join(TheatreCapacity, TheatreCapacity.site_id == Site.id)
                .where(Site.scenario_id == draft)
            ).all()
        )
    assert theatres["CANNOCK"] == 12
    assert theatres["NEWHUB"] == theatres["MANOR"]


def test_one_bad_row_rejects_the_whole_file(app_db, tmp_path: Path) -> None:
    """A template with one bad row is refused with its row and column; nothing is written."""
    url, emails = app_db
    token = _token(emails, "manager")
    draft = _draft(token)
    frame = pd.read_csv(THEATRES, dtype=str, keep_default_na=False)
    frame.loc[0, "Theatres"] = "12"  # a good change...
    frame.loc[4, "Day-case places"] = "-2"  # ...and a bad one
    path = tmp_path / "sites.csv"
    frame.to_csv(path, index=False)
    before = database_dump(url)
    preview = preview_import(token, draft, "template", path)
    assert not preview.ok
    assert [str(p) for p in preview.problems] == [
        "sites.csv row 6, column 'Day-case places': '-2' is out of range; day-case places must "
        "be a whole number, 0 to 500."
    ]
    with pytest.raises(ImportValidationError):
        commit_import(token, draft, "template", path)
    assert database_dump(url) == before


def test_a_file_of_another_kind_is_named_not_listed_column_by_column(
    app_db, nhs_dir: Path, tmp_path: Path
) -> None:
    """The workforce file chosen as KH03 beds gets one sentence saying what it looks like; a
    file of no known kind says so; a file of the right kind with one column renamed still gets
    the precise missing-column line."""
    url, emails = app_db
    token = _token(emails, "manager")
    draft = _draft(token)
    preview = preview_import(token, draft, "kh03", nhs_dir / WORKFORCE)
    [problem] = preview.problems
    assert problem.row == 1
    assert "looks like the Workforce staff in post file, not a KH03 beds file" in problem.reason
    assert "Choose 'Workforce staff in post' as the kind of file" in problem.reason

    other = tmp_path / "ledger.csv"
    other.write_text("Date,Amount,Reference\n2026-04-01,12.50,INV-1\n")
    [problem] = preview_import(token, draft, "kh03", other).problems
    assert "does not look like a KH03 beds file" in problem.reason
    assert "'Date', 'Amount', 'Reference'" in problem.reason

    renamed = tmp_path / "kh03.csv"
    text = (nhs_dir / KH03).read_text(encoding="utf-8-sig")
    renamed.write_text(text.replace("kh03_occ_ga_rate", "ga_rate", 1))
    [problem] = preview_import(token, draft, "kh03", renamed).problems
    assert (problem.column, problem.row) == ("kh03_occ_ga_rate", 1)
    assert problem.reason.startswith("is missing from the header row")
    with pytest.raises(ImportValidationError, match="looks like the Workforce"):
        commit_import(token, draft, "kh03", nhs_dir / WORKFORCE)


def test_roles_and_status_are_enforced(app_db, nhs_dir: Path) -> None:
    """Viewers may not import, managers may not load workforce, approved scenarios are locked."""
    _, emails = app_db
    manager = _token(emails, "manager")
    baseline = _baseline(manager, "BCPC")
    assert preview_import(manager, baseline, "template", THEATRES).ok  # previews change nothing
    with pytest.raises(sc.ScenarioError, match="approved and cannot be changed"):
        commit_import(manager, baseline, "template", THEATRES)
    draft = _draft(manager)
    with pytest.raises(PermissionDeniedError):
        preview_import(_token(emails, "viewer"), draft, "template", THEATRES)
    with pytest.raises(PermissionDeniedError):
        commit_import(manager, draft, "workforce", nhs_dir / WORKFORCE)
    with pytest.raises(sc.NotFoundError):
        preview_import(_token(emails, "outsider"), draft, "template", THEATRES)
    with pytest.raises(sc.ScenarioError, match="not a kind of import"):
        preview_import(manager, draft, "pdf", THEATRES)


def test_flow_series(app_db, nhs_dir: Path) -> None:
    """The flow series is read for the scenario's system; it is stored once the table exists."""
    url, emails = app_db
    token = _token(emails, "manager")
    draft = _draft(token)
    preview = preview_import(token, draft, "flows", nhs_dir / FLOWS)
    if flow_table() is None:
        assert [p.reason for p in preview.problems] == [
            "cannot be stored: this database has no table for monthly flows per system yet "
            "(system_flow)."
        ]
        with pytest.raises(ImportValidationError):
            commit_import(token, draft, "flows", nhs_dir / FLOWS)
        return
    assert dict(preview.summary)["Months"] == "30 (April 2020 to September 2022)"
    assert commit_import(token, draft, "flows", nhs_dir / FLOWS).rows_written == 30
    assert _scenario_rows(url, flow_table(), draft) == 30


def test_flows_for_a_system_not_in_the_file(app_db, nhs_dir: Path) -> None:
    """Asking for a system the flow file does not have lists the ones it has."""
    _, emails = app_db
    token = _token(emails, "manager")
    preview = preview_import(token, _draft(token), "flows", nhs_dir / FLOWS, ics="QHL")
    assert "'QHL' is not a system in this file; it has QE1, QGH" in str(preview.problems[0])


# --- Export ------------------------------------------------------------------------------------


def test_each_table_exports_as_csv_and_excel(app_db) -> None:
    """Every table downloads as CSV and .xlsx, with the scenario's figures."""
    _, emails = app_db
    token = _token(emails, "viewer")
    baseline = _baseline(token, "BCPC")
    for table in EXPORT_TABLES:
        name, data = export_table(token, baseline, table, "csv")
        assert name.endswith(".csv")
        from_csv = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
        name, data = export_table(token, baseline, table, "xlsx")
        from_xlsx = pd.read_excel(io.BytesIO(data))
        assert list(from_csv.columns) == list(from_xlsx.columns)
        assert len(from_csv) == len(from_xlsx)
    _, waiting = export_table(token, baseline, "waiting_list", "csv")
    frame = pd.read_csv(io.BytesIO(waiting), encoding="utf-8-sig")
    assert frame.loc[frame["RTT part"] == "Part_2", "Patients"].sum() == 221_510
    _, sites = export_table(token, baseline, "sites", "csv")
    assert "Cannock Chase Hospital" in sites.decode("utf-8-sig")


def test_whole_scenario_exports(app_db) -> None:
    """A scenario downloads as one workbook (a sheet per table) and as a zip of CSVs."""
    _, emails = app_db
    token = _token(emails, "viewer")
    baseline = _baseline(token, "BCPC")
    name, data = export_scenario(token, baseline, "xlsx")
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None)
    assert name.endswith(".xlsx")
    assert list(sheets) == ["Scenario", *EXPORT_TABLES.values()]
    name, data = export_scenario(token, baseline, "csv")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = sorted(Path(n).name for n in archive.namelist())
    assert files == sorted(["scenario.csv", *(f"{t.replace('_', '-')}.csv" for t in EXPORT_TABLES)])


def _without_ids(document: dict) -> dict:
    return {k: v for k, v in document.items() if k != "scenario"}


def test_scenario_json_round_trip_is_lossless(app_db, tmp_path: Path) -> None:
    """Export, import as a new scenario, export again: every table and source file is the same."""
    url, emails = app_db
    manager = _token(emails, "manager")
    draft = _draft(manager)
    commit_import(manager, draft, "template", THEATRES)  # a decimal target and a hub flag
    _, data = export_scenario(manager, draft, "json")
    copy = import_scenario_json(manager, _collaborative(manager, "BCPC"), data, "Round trip")
    _, again = export_scenario(manager, copy, "json")
    first, second = json.loads(data), json.loads(again)
    assert _without_ids(first) == _without_ids(second)
    assert second["scenario"]["name"] == "Round trip"
    assert second["scenario"]["status"] == "draft"
    assert len(first["tables"]["waiting_list"]) > 5_000
    assert first["tables"]["theatres"][0]["utilisation_target"] == "0.850"
    # Figures of the copy, read straight from the database, match the original's.
    assert _waiting(url, copy) == _waiting(url, draft)
    for table in (Site, TheatreCapacity, CaseMix, Workforce, TrustBeds):
        assert _scenario_rows(url, table, copy) == _scenario_rows(url, table, draft)
    # A file already in the original is already in the copy: re-importing it is a no-op.
    assert preview_import(manager, copy, "template", THEATRES).already_imported


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"{not json", "is not JSON"),
        (b'{"format": "something else"}', "this is not a scenario export"),
    ],
)
def test_scenario_json_that_is_not_an_export(app_db, data: bytes, message: str) -> None:
    """Files that are not scenario exports are refused, and nothing is created."""
    url, emails = app_db
    manager = _token(emails, "manager")
    before = database_dump(url)
    with pytest.raises(ImportValidationError, match=message):
        import_scenario_json(manager, _collaborative(manager, "BCPC"), data, "Broken")
    assert database_dump(url) == before


def test_scenario_json_with_bad_values_is_refused(app_db) -> None:
    """Wrong types and rule-breaking values are listed by table, row and field; nothing is made."""
    url, emails = app_db
    manager = _token(emails, "manager")
    _, data = export_scenario(manager, _baseline(manager, "BCPC"), "json")
    document = json.loads(data)
    document["tables"]["theatres"][0]["theatres"] = "many"
    document["tables"]["waiting_list"][3]["patients"] = -1
    before = database_dump(url)
    with pytest.raises(ImportValidationError) as caught:
        import_scenario_json(
            manager, _collaborative(manager, "BCPC"), json.dumps(document).encode(), "Bad"
        )
    problems = [str(p) for p in caught.value.problems]
    assert problems == [
        "scenario JSON, column 'theatres row 1, theatres': 'many' is not a whole number.",
        "scenario JSON, column 'waiting_list row 4, patients': '-1' is not between 0 and "
        "2,147,483,647.",
    ]
    document = json.loads(data)
    document["tables"]["theatres"][0]["utilisation_target"] = "1.5"  # a database CHECK
    with pytest.raises(ImportValidationError, match="breaks a rule of the database"):
        import_scenario_json(
            manager, _collaborative(manager, "BCPC"), json.dumps(document).encode(), "Bad"
        )
    assert database_dump(url) == before
    with pytest.raises(PermissionDeniedError):
        import_scenario_json(_token(emails, "viewer"), _collaborative(manager, "BCPC"), data, "X")


# --- A national extract read for one system ------------------------------------------------------


def _national_like(nhs_dir: Path, tmp_path: Path, *, quoted: bool = False) -> Path:
    """The subset with its columns reordered, a later month, and QHL rows after QUA's."""
    frame = pd.read_csv(nhs_dir / RTT, dtype=str, keep_default_na=False)
    frame["Period"] = "RTT-May-2026"
    frame = frame[list(reversed(frame.columns))].sort_values(
        "Provider Parent Org Code", ascending=False, kind="stable"
    )
    if quoted:  # a multi-line quoted name, which the line shortcut must not cut in two
        frame.loc[frame.index[0], "Provider Org Name"] = "TWO\nLINES"
    path = tmp_path / "rtt-may-2026.csv"
    frame.to_csv(path, index=False)
    return path


def test_system_lines_give_the_importers_result(nhs_dir: Path, tmp_path: Path) -> None:
    """Reading only QHL's lines gives what the importer gives reading every line."""
    from ics_capacity.importers.rtt import read_rtt_extract
    from ics_capacity.services.data_exchange.loaders import read_rtt_for_system

    for quoted in (False, True):
        path = _national_like(nhs_dir, tmp_path, quoted=quoted)
        fast = read_rtt_for_system(path, ics="QHL")
        full = read_rtt_extract(path, ics="QHL")
        pd.testing.assert_frame_equal(fast.counts, full.counts)
        pd.testing.assert_frame_equal(fast.providers, full.providers)
        assert fast.period.isoformat() == "2026-05-01" and fast.source_file == full.source_file


def test_system_lines_keep_the_original_row_numbers(nhs_dir: Path, tmp_path: Path) -> None:
    """A bad cell deep in the file is reported at its row in the file, not in the QHL cut."""
    from ics_capacity.services.data_exchange.loaders import read_rtt_for_system

    path = _national_like(nhs_dir, tmp_path)
    lines = path.read_text().splitlines(keepends=True)
    columns = lines[0].rstrip("\r\n").split(",")
    band = columns.index("Gt 05 To 06 Weeks SUM 1")
    row = max(i for i, line in enumerate(lines) if ",QHL," in line and '"' not in line)
    cells = lines[row].split(",")
    cells[band] = "x"
    lines[row] = ",".join(cells)
    path.write_text("".join(lines))
    archive = _zip(path, tmp_path, "may.zip")
    with pytest.raises(ImportValidationError) as caught:
        read_rtt_for_system(archive, ics="QHL")
    problem = caught.value.problems[0]
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "may.zip/rtt-may-2026.csv",
        row + 1,
        "Gt 05 To 06 Weeks SUM 1",
        "x",
    )


def test_a_later_month_with_reordered_columns_imports(
    app_db, nhs_dir: Path, tmp_path: Path
) -> None:
    """A different month's extract, columns in another order, imports with no code change."""
    url, emails = app_db
    token = _token(emails, "manager")
    draft = _draft(token)
    commit_import(token, draft, "rtt", _national_like(nhs_dir, tmp_path))
    with unit_of_work(url) as session:
        periods = (
            session.execute(
                sa.select(RttActivity.period).where(RttActivity.scenario_id == draft).distinct()
            )
            .scalars()
            .all()
        )
    assert [p.isoformat() for p in periods] == ["2026-05-01"]
    assert sum(_waiting(url, draft).values()) == 221_510
