"""Every file a person writes is refused when it holds a patient identifier, naming file, row and
column and never echoing the value: the staff list, a rota history, requests and the capacity
templates (the app stores no patient details, docs/security.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from ics_capacity.importers.problems import ImportValidationError
from ics_capacity.importers.rota_history import read_rota_history
from ics_capacity.importers.rota_requests import read_rota_requests
from ics_capacity.importers.rota_staff import read_rota_staff
from ics_capacity.importers.templates import read_template
from ics_capacity.settings import REPO_ROOT

NHS_NUMBER = "943 476 5919"  # a valid check digit (NHS Data Dictionary's modulus 11)
STAFF = (
    "Staff code,Name,Trust,Home site,Role,Grade,Contract,Employment,Skills,Sites,"
    "Contracted hours per week,Hourly cost GBP,Leave\n"
    "RXK-NUR-01,Ward nurse 01,RXK,SANDWELL,ward nurse,Band 5,agenda_for_change,,,SANDWELL,30,,\n"
)
HISTORY = "Staff code,Date,Shift code\nRXK-NUR-01,2027-01-03,SANDWELL-N\n"
REQUESTS = "Staff code,Date,Shift,Request,Weight,Note\nRXK-NUR-01,2027-01-04,,off,3,\n"


def _theatres() -> str:
    frame = pd.read_csv(REPO_ROOT / "docs/examples/theatres_template.csv", dtype=str)
    return frame.to_csv(index=False)


FILES: dict[str, tuple[Callable[[Path], object], Callable[[], str]]] = {
    "staff.csv": (read_rota_staff, lambda: STAFF),
    "history.csv": (read_rota_history, lambda: HISTORY),
    "requests.csv": (read_rota_requests, lambda: REQUESTS),
    "theatres.csv": (read_template, _theatres),
}


@pytest.mark.parametrize("name", list(FILES))
def test_a_file_as_people_send_it_is_read(name: str, tmp_path: Path) -> None:
    """The control: the same files without a patient identifier are not refused for one."""
    reader, text = FILES[name]
    path = tmp_path / name
    path.write_text(text(), encoding="utf-8")
    try:
        reader(path)
    except ImportValidationError as error:
        assert "patient" not in str(error).lower()


@pytest.mark.parametrize("name", list(FILES))
def test_an_nhs_number_in_any_cell_is_refused_without_echoing_it(name: str, tmp_path: Path) -> None:
    reader, text = FILES[name]
    header, first, *rest = text().splitlines()
    cells = first.split(",")
    cells[1] = f"called about {NHS_NUMBER}"  # the second column, in the first data row
    path = tmp_path / name
    path.write_text("\n".join([header, ",".join(cells), *rest]) + "\n", encoding="utf-8")
    with pytest.raises(ImportValidationError) as refused:
        reader(path)
    message = str(refused.value)
    column = header.split(",")[1]
    assert f"{name} row 2, column '{column}'" in message
    assert "an NHS number" in message and "nothing was imported" in message
    assert NHS_NUMBER not in message and NHS_NUMBER.replace(" ", "") not in message


@pytest.mark.parametrize("name", list(FILES))
def test_a_column_of_patient_details_is_refused(name: str, tmp_path: Path) -> None:
    reader, text = FILES[name]
    lines = text().splitlines()
    lines = [lines[0] + ",Date of birth"] + [line + "," for line in lines[1:]]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ImportValidationError) as refused:
        reader(path)
    assert f"{name} row 1, column 'Date of birth'" in str(refused.value)
    assert "a column of patient details" in str(refused.value)
