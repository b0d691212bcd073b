"""The rota's Excel export: besides the list, a printable staff x day grid per site and week."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl

from ics_capacity.services.results import (
    Assignment,
    Cell,
    CostLine,
    GapCost,
    RotaCost,
    RotaOutcome,
    RotaRunSettings,
    RotaStats,
    ShiftMeta,
    StaffRow,
)
from ics_capacity.services.rota import export_xlsx, grid_sheets
from solvers.common import Status

START = dt.date(2026, 12, 21)  # a Monday; Christmas Day is day 4
DAYS = 14


def _meta(site: str, name: str, kind: str) -> ShiftMeta:
    return ShiftMeta(
        site=site,
        site_name=name,
        kind=kind,
        label=f"{name}: {kind}",
        start="08:00",
        end="13:00",
        minutes=300,
    )


def _person(code: str, label: str, role: str, cells: dict[int, Cell]) -> StaffRow:
    return StaffRow(
        code=code,
        label=label,
        role=role,
        grade="",
        trust="RXK",
        trust_name="Sandwell and West Birmingham",
        home_site="HUB",
        employment="substantive",
        contract="agenda_for_change",
        hourly_cost_pence=3000,
        cells=tuple(cells.get(d, Cell(shift="", locked=False, leave=False)) for d in range(DAYS)),
        minutes=0,
    )


def _outcome() -> RotaOutcome:
    shifts = {
        "HUB-AM": _meta("HUB", '=HYPERLINK("http://x") Hub', "AM"),
        "HUB-DAY": _meta("HUB", '=HYPERLINK("http://x") Hub', "DAY"),
        "WARD-LD": _meta("WARD", "Ward & Co", "LD"),
    }
    on = lambda shift, locked=False: Cell(shift=shift, locked=locked, leave=False)  # noqa: E731
    staff = (
        _person("S1", "+44 scrub", "scrub_practitioner", {0: on("HUB-AM"), 8: on("HUB-DAY", True)}),
        _person(
            "N1",
            "Nurse one",
            "ward_nurse",
            {0: on("WARD-LD"), 1: Cell(shift="", locked=False, leave=True)},
        ),
        _person("X1", "Never works", "odp", {}),
    )
    dates = tuple((START + dt.timedelta(days=d)).isoformat() for d in range(DAYS))
    return RotaOutcome(
        settings=RotaRunSettings(
            start_date=dates[0],
            weeks=2,
            site_codes=("HUB", "WARD"),
            rule_pack="uk_default",
            soft_rules=False,
            demand="timetable",
            time_limit_seconds=20,
            num_workers=2,
            seed=0,
        ),
        dates=dates,
        shifts=shifts,
        staff=staff,
        assignments=(Assignment(staff_id="S1", day=0, shift_id="HUB-AM"),),
        locked=(),
        sessions=(),
        compliance=(),
        cost=RotaCost(
            substantive=CostLine(shifts=3, hours=15, pence=45_000),
            bank=CostLine(),
            agency_gaps=GapCost(places=2, pence=30_000),
            gaps_by_role={},
            total_pence=75_000,
        ),
        staffed_sessions_per_week={},
        stats=RotaStats(
            status=Status.FEASIBLE,
            time_limit_seconds=20,
            num_workers=2,
            seed=0,
            ortools_version="9",
        ),
        objective_terms={},
        binding_limits=(),
        binding_count=0,
        infeasible_because=(),
        checked_objective=None,
        hard_violations=(),
        ignored_locks=(),
        rule_pack="UK defaults",
        bank_holidays={"2026-12-25": "Christmas Day"},
    )


def test_one_grid_per_site_and_week_with_the_people_who_work_there() -> None:
    grids = grid_sheets(_outcome())
    assert list(grids) == [
        "HUB wk1 21 Dec",
        "HUB wk2 28 Dec",
        "WARD wk1 21 Dec",
        "WARD wk2 28 Dec",
    ]
    title, hub1 = grids["HUB wk1 21 Dec"]
    assert "week 1, Mon 21 Dec 2026 to Sun 27 Dec 2026" in title
    assert list(hub1.columns[:3]) == ["Staff", "Role", "Trust"]
    assert "Fri 25 Dec (bank holiday)" in hub1.columns
    assert list(hub1["Staff"]) == ["+44 scrub"]  # only who works at the hub that week
    assert hub1.iloc[0]["Mon 21 Dec"] == "AM"
    assert hub1.iloc[0]["Tue 22 Dec"] == "off"
    assert hub1.iloc[0]["Trust"] == "Sandwell and West Birmingham"
    _, hub2 = grids["HUB wk2 28 Dec"]
    assert hub2.iloc[0]["Tue 29 Dec"] == "Day (locked)"
    _, ward1 = grids["WARD wk1 21 Dec"]
    assert list(ward1.iloc[0][["Mon 21 Dec", "Tue 22 Dec"]]) == ["LD", "Leave"]
    assert grids["WARD wk2 28 Dec"][1].empty  # nobody works at the ward in week 2


def test_the_workbook_prints_each_grid_a4_landscape_one_page_wide_header_repeated() -> None:
    book = openpyxl.load_workbook(io.BytesIO(export_xlsx(_outcome())))
    assert {"Rota", "Gaps", "Compliance", "Cost"} <= set(book.sheetnames)
    sheet = book["HUB wk1 21 Dec"]
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == str(sheet.PAPERSIZE_A4)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows == "$1:$1"
    assert "Hub: rota for week 1" in sheet.oddHeader.center.text
    assert [c.value for c in sheet[1]][:4] == ["Staff", "Role", "Trust", "Mon 21 Dec"]
    # Text stays text: no cell of any sheet is a formula, whatever it starts with.
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    assert sheet["A2"].value == "+44 scrub"
    assert book["WARD wk1 21 Dec"].oddHeader.center.text.startswith("Ward && Co")
