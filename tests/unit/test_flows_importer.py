"""The monthly flow series reader: the published file as is, rows in any order, every fault."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from ics_capacity.importers.flows import FLOW_COLUMNS, read_flows
from ics_capacity.importers.problems import ImportValidationError
from ics_capacity.settings import nhs_data_dir

FLOWS = nhs_data_dir() / "waiting_list_flow_by_ics_2020-04_2022-09.csv"


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_reads_the_published_file() -> None:
    """22 systems x 30 months, April 2020 .. September 2022, sorted, counts as integers."""
    flows = read_flows(FLOWS)
    assert list(flows.columns) == list(FLOW_COLUMNS)
    assert flows["org"].nunique() == 22
    assert len(flows) == 660
    assert flows["period"].min() == pd.Timestamp("2020-04-01")
    assert flows["period"].max() == pd.Timestamp("2022-09-01")
    assert flows.groupby("org").size().eq(30).all()
    assert flows.equals(flows.sort_values(["org", "period"]).reset_index(drop=True))
    qe1 = flows[(flows["org"] == "QE1") & (flows["period"] == "2020-04-01")].iloc[0]
    assert (qe1["completed"], qe1["incomplete"], qe1["new"]) == (14922, 134220, 14582)


def test_row_order_and_column_order_do_not_matter(tmp_path: Path) -> None:
    """Shuffled rows with reordered, re-cased columns read the same as the published file."""
    published = pd.read_csv(FLOWS, dtype=str)
    shuffled = published.sample(frac=1.0, random_state=4)[
        ["New", "Incomplete", "Completed", "Provider Parent Org Code", "Month", "Year"]
    ].rename(columns={"Provider Parent Org Code": "provider parent org code", "New": "NEW"})
    path = tmp_path / "shuffled.csv"
    shuffled.to_csv(path, index=False)
    pd.testing.assert_frame_equal(read_flows(path), read_flows(FLOWS))


def test_period_column_and_month_numbers_are_accepted(tmp_path: Path) -> None:
    """A single 'Period' column (2022-09, Sep 2022) or month numbers read as months."""
    by_period = write(
        tmp_path / "period.csv",
        ["Period", "ICS code", "Completed", "Incomplete", "New"],
        [["2022-09", "QUA", "1", "2", "3"], ["Aug 2022", "QUA", "4", "5", "6"]],
    )
    flows = read_flows(by_period)
    assert flows["period"].tolist() == [pd.Timestamp("2022-08-01"), pd.Timestamp("2022-09-01")]
    by_number = write(
        tmp_path / "numbers.csv",
        ["Year", "Month", "Provider Parent Org Code", "Completed", "Incomplete", "New"],
        [["2022", "9", "QUA", "1,200", "2", "3"]],
    )
    flows = read_flows(by_number)
    assert flows.loc[0, "period"] == pd.Timestamp("2022-09-01")
    assert flows.loc[0, "completed"] == 1200


def test_every_fault_is_reported_with_its_row(tmp_path: Path) -> None:
    """Bad month, bad year, negative and fractional counts, blank code and a repeat: all listed."""
    path = write(
        tmp_path / "bad.csv",
        ["Year", "Month", "Provider Parent Org Code", "Completed", "Incomplete", "New"],
        [
            ["2022", "Sep", "QUA", "1", "2", "3"],
            ["2022", "Smarch", "QUA", "1", "2", "3"],
            ["20x2", "Aug", "QUA", "1", "2", "3"],
            ["2022", "Jul", "QUA", "-1", "2.5", "3"],
            ["2022", "Jun", "", "1", "2", "3"],
            ["2022", "September", "QUA", "1", "2", "3"],
        ],
    )
    with pytest.raises(ImportValidationError) as error:
        read_flows(path)
    found = {(p.row, p.column) for p in error.value.problems}
    assert (3, "Month") in found
    assert (4, "Year") in found
    assert (5, "Completed") in found
    assert (5, "Incomplete") in found
    assert (6, "Provider Parent Org Code") in found
    assert (7, "Provider Parent Org Code") in found
    repeat = next(p for p in error.value.problems if p.row == 7)
    assert "row 2" in repeat.reason and "September 2022" in repeat.reason


def test_missing_columns_and_empty_files(tmp_path: Path) -> None:
    """Missing required columns are named; a header without data is refused."""
    path = write(tmp_path / "cols.csv", ["Year", "Month", "Completed"], [["2022", "Sep", "1"]])
    with pytest.raises(ImportValidationError) as error:
        read_flows(path)
    missing = {p.column for p in error.value.problems}
    assert {"Provider Parent Org Code", "Incomplete", "New"} <= missing
    empty = write(
        tmp_path / "empty.csv",
        ["Year", "Month", "Provider Parent Org Code", "Completed", "Incomplete", "New"],
        [],
    )
    with pytest.raises(ImportValidationError, match="no data rows"):
        read_flows(empty)
    with pytest.raises(ImportValidationError, match="does not exist"):
        read_flows(tmp_path / "nowhere.csv")
