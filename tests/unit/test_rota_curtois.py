"""The Curtois & Qu benchmark adapter: reader, roster CSV, solver results and the CLI command.

`raw_evaluation` below is a second, self-contained evaluator written from the benchmark's own
description (the instance files' comments and schedulingbenchmarks.org): it reads the instance text
and the roster CSV without the project's reader or schema, so a misread column or a misplaced rule
in `curtois.py`, `model.py` or `check.py` shows up as a disagreement.
"""

from __future__ import annotations

import csv
import json
import os
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ics_capacity.cli import app
from solvers.common import SolveOptions, Status
from solvers.rota.check import check_rota
from solvers.rota.curtois import (
    CurtoisFormatError,
    parse_curtois,
    read_curtois,
    read_roster_csv,
    roster_csv_text,
    write_roster_csv,
)
from solvers.rota.model import solve_rota
from solvers.rota.schema import Assignment


@pytest.fixture(scope="module")
def rota_dir() -> Path:
    """The benchmark folder (instances and best-known values); missing is a failure, not a skip."""
    candidates = [Path(__file__).resolve().parents[3] / "shared" / "data" / "rota"]
    if env := os.environ.get("ICS_ROTA_DATA_DIR"):
        candidates.insert(0, Path(env))
    candidates.append(Path("/work/shared/data/rota"))
    for folder in candidates:
        if (folder / "Instance1.txt").is_file():
            return folder
    pytest.fail(f"Curtois & Qu instances not found in {candidates} (set ICS_ROTA_DATA_DIR)")


@pytest.fixture(scope="module")
def best_known(rota_dir: Path) -> dict[str, int]:
    with (rota_dir / "best_known_values.csv").open() as handle:
        return {
            row["instance"]: int(row["best_known_ub_wssuite"]) for row in csv.DictReader(handle)
        }


def raw_sections(text: str) -> dict[str, list[list[str]]]:
    sections: dict[str, list[list[str]]] = {}
    current = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("SECTION_"):
            current = line
            sections[current] = []
        else:
            sections[current].append(line.split(","))
    return sections


def raw_evaluation(instance_text: str, roster_csv: str) -> tuple[int, list[str]]:
    """Penalty and hard-rule breaches of a roster, straight from the benchmark's definitions."""
    sec = raw_sections(instance_text)
    horizon = int(sec["SECTION_HORIZON"][0][0])
    length = {row[0]: int(row[1]) for row in sec["SECTION_SHIFTS"]}
    cannot_follow = {row[0]: set(filter(None, row[2].split("|"))) for row in sec["SECTION_SHIFTS"]}
    shift_of: dict[tuple[str, int], str] = {}
    breaches: list[str] = []
    for row in csv.DictReader(roster_csv.splitlines()):
        key = (row["employee"], int(row["day"]))
        if key in shift_of:
            breaches.append(f"two shifts {key}")
        shift_of[key] = row["shift"]
    for emp, max_shifts, max_min, min_min, max_cons, min_cons, min_off, max_wkd in sec[
        "SECTION_STAFF"
    ]:
        days = [shift_of.get((emp, d)) for d in range(horizon)]
        for item in max_shifts.split("|"):
            shift, limit = item.split("=")
            if days.count(shift) > int(limit):
                breaches.append(f"{emp} max {shift}")
        minutes = sum(length[s] for s in days if s)
        if not int(min_min) <= minutes <= int(max_min):
            breaches.append(f"{emp} minutes {minutes}")
        runs, start = [], 0
        for d in range(1, horizon + 1):
            if d == horizon or bool(days[d]) != bool(days[start]):
                runs.append((start, d - start, bool(days[start])))
                start = d
        for first, run, working in runs:
            internal = first > 0 and first + run < horizon
            if working and run > int(max_cons):
                breaches.append(f"{emp} run {first}+{run} too long")
            if working and internal and run < int(min_cons):
                breaches.append(f"{emp} run {first}+{run} too short")
            if not working and internal and run < int(min_off):
                breaches.append(f"{emp} days off {first}+{run} too short")
        weekends = {d // 7 for d in range(horizon) if d % 7 in (5, 6) and days[d]}
        if len(weekends) > int(max_wkd):
            breaches.append(f"{emp} {len(weekends)} weekends")
        for d in range(horizon - 1):
            if days[d] and days[d + 1] and days[d + 1] in cannot_follow[days[d]]:
                breaches.append(f"{emp} {days[d]} then {days[d + 1]} on day {d}")
    for row in sec["SECTION_DAYS_OFF"]:
        for day in row[1:]:
            if (row[0], int(day)) in shift_of:
                breaches.append(f"{row[0]} works day off {day}")
    penalty = 0
    for emp, day, shift, weight in sec["SECTION_SHIFT_ON_REQUESTS"]:
        penalty += int(weight) * (shift_of.get((emp, int(day))) != shift)
    for emp, day, shift, weight in sec["SECTION_SHIFT_OFF_REQUESTS"]:
        penalty += int(weight) * (shift_of.get((emp, int(day))) == shift)
    working: dict[tuple[int, str], int] = defaultdict(int)
    for (_, day), shift in shift_of.items():
        working[day, shift] += 1
    for day, shift, required, under, over in sec["SECTION_COVER"]:
        have, need = working[int(day), shift], int(required)
        penalty += int(under) * max(0, need - have) + int(over) * max(0, have - need)
    return penalty, breaches


def test_reader_maps_every_field_of_instance_1(rota_dir: Path) -> None:
    """Instance 1's horizon, shift, limits, days off, requests and cover are read as written."""
    data = read_curtois(rota_dir / "Instance1.txt")
    assert data.horizon_days == 14 and data.first_weekday == 0
    assert [(s.id, s.duration_minutes) for s in data.shift_types] == [("D", 480)]
    a = data.staff[0]
    assert (a.id, a.max_shifts_per_type, a.max_total_minutes, a.min_total_minutes) == (
        "A",
        {"D": 14},
        4320,
        3360,
    )
    assert (a.max_consecutive_shifts, a.min_consecutive_shifts) == (5, 2)
    assert (a.min_consecutive_days_off, a.max_weekends, a.days_off) == (2, 1, frozenset({0}))
    assert len(data.staff) == 8
    assert sum(r.kind == "on" for r in data.requests) == 21
    assert sum(r.kind == "off" for r in data.requests) == 5
    assert [c.required for c in data.cover][:3] == [5, 7, 6]
    assert data.banned_successions == frozenset()


def test_reader_reads_banned_successions_in_the_files_direction(rota_dir: Path) -> None:
    """'d1,480,a1|a2|a3' means a1, a2 or a3 may not follow d1 on the next day."""
    data = read_curtois(rota_dir / "Instance12.txt")
    assert ("d1", "a1") in data.banned_successions
    assert ("a1", "d1") not in data.banned_successions
    assert ("n1", "p3") in data.banned_successions


def test_malformed_instance_names_its_lines() -> None:
    """A bad number and a short row are both reported with their line numbers."""
    text = "SECTION_HORIZON\n7\n\nSECTION_SHIFTS\nD,eight,\n\nSECTION_STAFF\nA,D=7,1\n"
    with pytest.raises(CurtoisFormatError) as caught:
        parse_curtois(text, source="bad.txt")
    message = str(caught.value)
    assert "line 5" in message and "'eight'" in message
    assert "line 8" in message and "expected 8 fields" in message
    assert "missing sections" not in message or "SECTION_COVER" in message


def test_roster_csv_round_trip(tmp_path: Path) -> None:
    """Writing a rota as CSV and reading it back gives the same assignments, header first."""
    rota = [
        Assignment(staff_id="B", day=3, shift_id="L"),
        Assignment(staff_id="A", day=0, shift_id="E"),
        Assignment(staff_id="AA", day=13, shift_id="n1"),
    ]
    path = tmp_path / "roster.csv"
    write_roster_csv(rota, path)
    assert path.read_text().splitlines()[0] == "employee,day,shift"
    assert sorted(read_roster_csv(path), key=repr) == sorted(rota, key=repr)
    assert roster_csv_text(read_roster_csv(path)) == path.read_text()


@pytest.mark.parametrize("instance", ["Instance1", "Instance2", "Instance3"])
def test_solver_objective_agrees_with_independent_evaluation(
    instance: str, rota_dir: Path, best_known: dict[str, int], tmp_path: Path
) -> None:
    """On Instances 1-3 the rota breaks no rule and both evaluators recompute its objective."""
    text = (rota_dir / f"{instance}.txt").read_text()
    data = parse_curtois(text)
    result = solve_rota(data, SolveOptions(time_limit_seconds=8, num_workers=2))
    stats = result.stats
    assert stats.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert stats.objective is not None and stats.bound is not None
    write_roster_csv(result.assignments, tmp_path / "roster.csv")
    penalty, breaches = raw_evaluation(text, (tmp_path / "roster.csv").read_text())
    assert breaches == []
    assert penalty == stats.objective
    check = check_rota(data, read_roster_csv(tmp_path / "roster.csv"))
    assert check.feasible and check.objective == stats.objective
    assert check.terms == result.objective_terms
    # The best-known values of Instances 1-3 are proven optima: nothing lower may be reported.
    assert stats.bound <= best_known[instance] <= stats.objective
    if stats.status is Status.OPTIMAL:
        assert stats.objective == stats.bound == best_known[instance]


def test_cli_prints_one_json_object_and_writes_the_roster(rota_dir: Path, tmp_path: Path) -> None:
    """`rota-benchmark --json` prints one JSON object with the results and writes the roster CSV."""
    roster = tmp_path / "roster.csv"
    result = CliRunner().invoke(
        app,
        [
            "rota-benchmark",
            str(rota_dir / "Instance1.txt"),
            "--time-limit",
            "5",
            "--workers",
            "2",
            "--out",
            str(roster),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {"objective", "bound", "status", "seconds"} <= set(summary)
    assert summary["status"] in ("optimal", "feasible")
    assert summary["hard_violations"] == 0
    assert summary["checked_objective"] == summary["objective"]
    assert summary["workers"] == 2 and summary["time_limit"] == 5
    lines = roster.read_text().splitlines()
    assert lines[0] == "employee,day,shift"
    assert len(lines) - 1 == summary["assignments"]
    penalty, breaches = raw_evaluation((rota_dir / "Instance1.txt").read_text(), roster.read_text())
    assert breaches == [] and penalty == summary["objective"]


def test_cli_reports_a_malformed_instance(tmp_path: Path) -> None:
    """A malformed instance exits with code 1 and, with --json, says why in one JSON object."""
    bad = tmp_path / "bad.txt"
    bad.write_text("SECTION_HORIZON\nseven\n")
    result = CliRunner().invoke(app, ["rota-benchmark", str(bad), "--json"])
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["status"] == "invalid_input"
    assert "bad.txt" in summary["error"]
