"""Hypothesis strategies shared by the tests: malformed NHS files, and rota problems.

Each `BaseFile` is a small, valid file cut from a real one in the shared data folder (or the
project's template example), with the facts a mutation needs: which lines are rows that the
import actually writes, which fields of them are numbers the import reads, and which header
columns it requires. Every mutation is built so that the file is certainly wrong for the import
(a truncated row loses a field the import needs, a wrong type lands in a number it reads), so a
test may demand an error for every example.

`database_dump` reads every table of the schema in a stable order, to prove an import that
failed changed nothing.

The rota problems (`rota_inputs`, `planner_rotas`, `with_history`) are at the end.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from hypothesis import strategies as st
from sqlmodel import SQLModel

import ics_capacity.db.models  # noqa: F401 - registers every table in SQLModel.metadata
from ics_capacity.domain.assumptions import DEMO_COLLABORATIVE
from ics_capacity.settings import REPO_ROOT, nhs_data_dir
from solvers.rota.rules import RULE_PACKS, apply_rule_pack, is_night_shift
from solvers.rota.schema import (
    ConsecutiveLimit,
    CoverRequirement,
    Fairness,
    LockedAssignment,
    PastShift,
    RotaInput,
    RuleFamily,
    RuleMode,
    ShiftRequest,
    ShiftType,
    Staff,
    WindowMinutesLimit,
)

MEMBERS = set(DEMO_COLLABORATIVE.member_trusts)
ICS = DEMO_COLLABORATIVE.icb


@dataclass(frozen=True, repr=False)
class BaseFile:
    """A small valid file, and where in it a mutation can do harm.

    Attributes:
        kind: Import kind (`rtt`, `kh03`, ...).
        name: File name to write it under.
        lines: The file's lines, each with its line ending.
        has_header: Whether line 0 is a header row.
        rows: Indices (into `lines`) of rows whose values are written by the import.
        numbers: Field positions of numbers the import reads and checks in those rows.
        required: Header positions of columns the import requires.
        cut_from: A truncated row is cut at or after the start of this field...
        cut_before: ...and before the start of this one, which the import needs.
    """

    kind: str
    name: str
    lines: tuple[str, ...]
    has_header: bool
    rows: tuple[int, ...]
    numbers: tuple[int, ...]
    required: tuple[int, ...]
    cut_from: int
    cut_before: int

    def __repr__(self) -> str:
        return f"BaseFile({self.kind!r}, {self.name!r}, {len(self.lines)} lines)"

    def content(self) -> bytes:
        """The valid file's bytes."""
        return "".join(self.lines).encode()


def _fields(line: str) -> list[str]:
    return next(csv.reader([line]))


def _starts(line: str) -> list[int]:
    """Character offset where each field of a CSV line starts (quote-aware)."""
    starts, quoted = [0], False
    for i, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            starts.append(i + 1)
    return starts


def _lines(path: Path, keep, header: bool = True) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = handle.readlines()
    first, rest = (lines[:1], lines[1:]) if header else ([], lines)
    return first + [line for line in rest if keep(_fields(line))]


def rtt_base() -> BaseFile:
    """The real RTT extract's Walsall (RBK) rows: C_999 totals and all."""
    path = nhs_data_dir() / "rtt_full_extract_2026-04_QUA_QHL_subset.csv"
    header = _fields(path.open(encoding="utf-8-sig").readline())
    lines = _lines(path, lambda f: f[header.index("Provider Org Code")] == "RBK")
    first_band = header.index("Gt 00 To 01 Weeks SUM 1")
    total_all = header.index("Total All")
    rows = tuple(
        i for i, line in enumerate(lines[1:], start=1) if _fields(line)[total_all] not in ("", "0")
    )
    return BaseFile(
        "rtt",
        "rtt_extract_rbk.csv",
        tuple(lines),
        True,
        rows,
        tuple(range(first_band, total_all + 1)),
        tuple(
            header.index(n)
            for n in ("Provider Org Code", "RTT Part Type", "Treatment Function Code", "Total All")
        ),
        first_band,
        total_all,
    )


def kh03_base() -> BaseFile:
    """The real KH03 panel's rows of the four Black Country trusts."""
    path = nhs_data_dir() / "kh03_qmco_quarterly_trust_2018-19_2024-25.csv"
    lines = _lines(path, lambda f: f[0] in MEMBERS)
    header = _fields(lines[0])
    beds = [
        header.index(n)
        for n in (
            "kh03_avail_ga_avg_beds",
            "kh03_occ_ga_avg_beds",
            "kh03_avail_acute_avg_beds",
            "kh03_occ_acute_avg_beds",
        )
    ]
    latest = {}
    for i, line in enumerate(lines[1:], start=1):
        fields = _fields(line)
        if float(fields[beds[0]] or 0) > 0:
            latest[fields[0]] = max(latest.get(fields[0], (fields[1], i)), (fields[1], i))
    return BaseFile(
        "kh03",
        "kh03_black_country.csv",
        tuple(lines),
        True,
        tuple(i for _, i in latest.values()),
        tuple(beds),
        (0, 1, *beds),
        beds[0],
        beds[-1],
    )


def workforce_base() -> BaseFile:
    """The real workforce file's staff-in-post rows of the four Black Country trusts."""
    path = nhs_data_dir() / "workforce_staff_group_org_Nov-25.csv"
    lines = _lines(path, lambda f: f[7] in MEMBERS and f[1] == "Denominator at end of period")
    header = _fields(lines[0])
    hc, fte = header.index("HC"), header.index("FTE")
    rows = tuple(i for i, line in enumerate(lines[1:], start=1) if float(_fields(line)[fte]) > 0)
    required = tuple(header.index(n) for n in ("TYPE", "REPORTING_ORG_CODE", "HC", "FTE"))
    return BaseFile(
        "workforce", "workforce_black_country.csv", tuple(lines), True, rows, (hc, fte),
        required, hc, fte,
    )  # fmt: skip


def etr_base() -> BaseFile:
    """The real ODS trusts file's Black Country (QUA) trusts; no header, open date in field 11.

    Only open trusts are written, so only their rows are mutated.
    """
    path = nhs_data_dir() / "etr_2026.csv"
    lines = _lines(path, lambda f: f[3] == ICS, header=False)
    open_trusts = tuple(i for i, line in enumerate(lines) if _fields(line)[11] == "")
    return BaseFile("etr", "etr_qua.csv", tuple(lines), False, open_trusts, (10,), (), 4, 10)


def flows_base() -> BaseFile:
    """The real monthly flow series: Black Country (QUA) and two other systems."""
    path = nhs_data_dir() / "waiting_list_flow_by_ics_2020-04_2022-09.csv"
    lines = _lines(path, lambda f: f[2] in {ICS, "QHM", "QE1"})
    header = _fields(lines[0])
    rows = tuple(i for i, line in enumerate(lines[1:], start=1) if _fields(line)[2] == ICS)
    counts = tuple(header.index(n) for n in ("Completed", "Incomplete", "New"))
    return BaseFile(
        "flows", "flows_by_system.csv", tuple(lines), True, rows, counts,
        (0, 1, 2, *counts), counts[0], counts[-1],
    )  # fmt: skip


def template_base() -> BaseFile:
    """The documented theatres template example (the demo's six sites)."""
    path = REPO_ROOT / "docs" / "examples" / "theatres_template.csv"
    lines = _lines(path, lambda f: True)
    header = _fields(lines[0])
    numbers = tuple(
        header.index(n)
        for n in (
            "Theatres",
            "Sessions per week per theatre",
            "Session minutes",
            "Elective overnight beds",
            "Day-case places",
        )
    )
    required = (
        tuple(header.index(n) for n in ("Site code", "Site name", "Operator ODS code", *[]))
        + numbers[:2]
        + numbers[3:]
    )
    return BaseFile(
        "template", "theatres_template.csv", tuple(lines), True,
        tuple(range(1, len(lines))), numbers, required, numbers[0], numbers[-1],
    )  # fmt: skip


BASE_FILES = {
    "rtt": rtt_base,
    "kh03": kh03_base,
    "workforce": workforce_base,
    "etr": etr_base,
    "flows": flows_base,
    "template": template_base,
}

NOT_NUMBERS = st.one_of(
    st.sampled_from(["abc", "twelve", "1O", "12a", "N/A", "--5", "1.2.3", "nan", "inf", "-", "?"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzXYZ", min_size=1, max_size=8),
)
HUGE_NUMBERS = st.sampled_from(
    ["1e400", "99999999999999999999999", "3000000000", "1e308", "-1e400", "18446744073709551616"]
)


def _replace_field(line: str, position: int, value: str) -> str:
    starts = _starts(line)
    end = starts[position + 1] - 1 if position + 1 < len(starts) else len(line.rstrip("\r\n"))
    return line[: starts[position]] + value + line[end:]


@st.composite
def truncated_row(draw: st.DrawFn, base: BaseFile) -> bytes:
    """A written row cut short, losing at least the field the import needs."""
    index = draw(st.sampled_from(base.rows))
    line = base.lines[index]
    starts = _starts(line)
    cut = draw(st.integers(starts[base.cut_from], starts[base.cut_before] - 1))
    lines = list(base.lines)
    lines[index] = line[:cut] + "\r\n"
    return "".join(lines).encode()


@st.composite
def wrong_type(draw: st.DrawFn, base: BaseFile) -> bytes:
    """Text where the import reads a number (a date, for the ODS file)."""
    index = draw(st.sampled_from(base.rows))
    position = draw(st.sampled_from(base.numbers))
    lines = list(base.lines)
    lines[index] = _replace_field(lines[index], position, draw(NOT_NUMBERS))
    return "".join(lines).encode()


@st.composite
def huge_number(draw: st.DrawFn, base: BaseFile) -> bytes:
    """A number far larger than any real count, or one that overflows a float."""
    index = draw(st.sampled_from(base.rows))
    lines = list(base.lines)
    if base.kind == "etr":  # no numbers: a name far longer than any real one
        lines[index] = _replace_field(
            lines[index], 1, '"' + "X" * draw(st.integers(201, 5000)) + '"'
        )
    else:
        position = draw(st.sampled_from(base.numbers))
        lines[index] = _replace_field(lines[index], position, draw(HUGE_NUMBERS))
    return "".join(lines).encode()


@st.composite
def wrong_encoding(draw: st.DrawFn, base: BaseFile) -> bytes:
    """The file saved in an encoding that is not UTF-8 (nor ASCII-compatible)."""
    encoding = draw(st.sampled_from(["utf-16", "utf-16-be", "utf-32", "cp500"]))
    return "".join(base.lines).encode(encoding)


@st.composite
def duplicated_header(draw: st.DrawFn, base: BaseFile) -> bytes:
    """One required column's name given to another required column (or, with no header row,
    a trust's row given twice)."""
    lines = list(base.lines)
    if not base.has_header:
        index = draw(st.sampled_from(base.rows))
        lines.insert(draw(st.integers(0, len(lines))), lines[index])
        return "".join(lines).encode()
    source, target = draw(st.permutations(base.required).map(lambda p: p[:2]))
    header = _fields(lines[0])
    header[target] = header[source]
    out = io.StringIO()
    csv.writer(out, lineterminator=lines[0][len(lines[0].rstrip("\r\n")) :]).writerow(header)
    lines[0] = out.getvalue()
    return "".join(lines).encode()


@st.composite
def empty_file(draw: st.DrawFn, base: BaseFile) -> bytes:
    """Nothing but a header, or blank lines."""
    options = ["\r\n", "\n\n\n", "   \r\n"]
    if base.has_header:
        options.append(base.lines[0])
    return draw(st.sampled_from(options)).encode()


@dataclass(frozen=True)
class Damaged:
    """A damaged file: what was done to it, and its bytes (shown short in failure reports)."""

    what: str
    content: bytes

    def __repr__(self) -> str:
        digest = hashlib.sha256(self.content).hexdigest()[:12]
        return f"Damaged({self.what!r}, {len(self.content):,} bytes, sha256 {digest}...)"


def malformed(base: BaseFile) -> st.SearchStrategy[Damaged]:
    """Every kind of damage the import must refuse, applied to the base file."""
    return st.one_of(
        truncated_row(base).map(lambda b: Damaged("truncated row", b)),
        wrong_type(base).map(lambda b: Damaged("wrong type", b)),
        huge_number(base).map(lambda b: Damaged("huge number", b)),
        wrong_encoding(base).map(lambda b: Damaged("wrong encoding", b)),
        duplicated_header(base).map(lambda b: Damaged("duplicated header", b)),
        empty_file(base).map(lambda b: Damaged("empty file", b)),
        st.just(Damaged("0-byte upload", b"")),
    )


def database_dump(url: str) -> dict[str, list[tuple]]:
    """Every row of every table of the schema, in a stable order, as Python values."""
    from ics_capacity.db.session import engine_for

    dump: dict[str, list[tuple]] = {}
    with engine_for(url).connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            rows = connection.execute(sa.select(table).order_by(*table.columns)).all()
            dump[table.name] = [tuple(row) for row in rows]
    return dump


# --- Rota problems -------------------------------------------------------------------------------
# Random problems for the rota solver's properties (tests/unit/test_rota_*.py), judged by
# tests/oracles.py. `rota_inputs` touches every rule family with arbitrary shifts; `planner_rotas`
# builds problems as the app does (sites, cover that counts towards other shifts, rule packs,
# travel, fairness); `with_history` adds up to 14 days worked before the rota.
# Which rule families each may make soft (the lists differ, and keep their order, so that the
# derandomized examples stay the same).

SOFT_IN_RANDOM_ROTAS = [
    RuleFamily.DAYS_OFF,
    RuleFamily.MAX_SHIFTS_PER_TYPE,
    RuleFamily.MAX_TOTAL_MINUTES,
    RuleFamily.MIN_TOTAL_MINUTES,
    RuleFamily.MAX_CONSECUTIVE_SHIFTS,
    RuleFamily.MIN_CONSECUTIVE_SHIFTS,
    RuleFamily.MIN_CONSECUTIVE_DAYS_OFF,
    RuleFamily.MAX_WEEKENDS,
    RuleFamily.BANNED_SUCCESSION,
    RuleFamily.MAX_CONSECUTIVE_OF_KIND,
    RuleFamily.MAX_MINUTES_IN_WINDOW,
]
SITES = ("H1", "H2", "H3")
SKILLS = ("RN", "HCA")
SOFT_IN_PLANNER_ROTAS = sorted(
    {
        *SOFT_IN_RANDOM_ROTAS,
        RuleFamily.REST_AFTER_RUN,
        RuleFamily.WEEKEND_FREQUENCY,
        RuleFamily.WEEKLY_REST,
    }
)


@st.composite
def rota_inputs(
    draw: st.DrawFn, max_staff: int = 4, max_days: int = 9, max_shifts: int = 3
) -> RotaInput:
    """A small rota problem touching every rule family; often feasible, sometimes not."""
    horizon = draw(st.integers(2, max_days))
    shift_ids = [f"S{i}" for i in range(draw(st.integers(1, max_shifts)))]
    shifts = tuple(
        ShiftType(
            id=shift_id,
            duration_minutes=draw(st.sampled_from([240, 480, 600, 750])),
            start_minute=draw(st.one_of(st.none(), st.integers(0, 23).map(lambda h: h * 60))),
        )
        for shift_id in shift_ids
    )
    days = st.integers(0, horizon - 1)
    shift = st.sampled_from(shift_ids)
    staff_ids = [f"P{i}" for i in range(draw(st.integers(1, max_staff)))]
    staff = []
    for staff_id in staff_ids:
        min_minutes = draw(st.sampled_from([0, 0, 0, 480, 960]))
        max_minutes = draw(st.one_of(st.none(), st.integers(min_minutes, min_minutes + 3000)))
        staff.append(
            Staff(
                id=staff_id,
                skills=draw(st.frozensets(st.sampled_from(["RN", "HCA"]))),
                cost_per_shift=draw(st.integers(0, 3)),
                max_shifts_per_type=draw(
                    st.dictionaries(shift, st.integers(0, horizon), max_size=1)
                ),
                min_total_minutes=min_minutes,
                max_total_minutes=max_minutes,
                min_consecutive_shifts=draw(st.integers(1, 3)),
                max_consecutive_shifts=draw(st.one_of(st.none(), st.integers(1, 5))),
                min_consecutive_days_off=draw(st.integers(1, 2)),
                max_weekends=draw(st.one_of(st.none(), st.integers(0, 2))),
                days_off=draw(st.frozensets(days, max_size=2)),
                consecutive_limits=tuple(
                    ConsecutiveLimit(name="run", shift_ids=ids, max_days=n)
                    for ids, n in draw(
                        st.lists(
                            st.tuples(st.frozensets(shift, min_size=1), st.integers(1, 3)),
                            max_size=1,
                        )
                    )
                ),
                window_limits=tuple(
                    WindowMinutesLimit(name="window", window_days=w, max_minutes=m)
                    for w, m in draw(
                        st.lists(st.tuples(st.integers(1, 4), st.integers(0, 2000)), max_size=1)
                    )
                ),
            )
        )
    cover = {
        (day, shift_id, skill): CoverRequirement(
            day=day,
            shift_id=shift_id,
            skill=skill,
            required=draw(st.integers(0, len(staff_ids))),
            under_weight=draw(st.integers(0, 100)),
            over_weight=draw(st.integers(0, 5)),
        )
        for day, shift_id, skill in draw(
            st.lists(st.tuples(days, shift, st.sampled_from([None, None, "RN"])), max_size=12)
        )
    }
    requests = tuple(
        ShiftRequest(staff_id=p, day=d, shift_id=s, kind=k, weight=w)
        for p, d, s, k, w in draw(
            st.lists(
                st.tuples(
                    st.sampled_from(staff_ids),
                    days,
                    st.one_of(st.none(), shift),
                    st.sampled_from(["on", "off"]),
                    st.integers(0, 5),
                ),
                max_size=5,
            )
        )
    )
    locked = {
        (p, d): LockedAssignment(staff_id=p, day=d, shift_id=s)
        for p, d, s in draw(
            st.lists(
                st.tuples(st.sampled_from(staff_ids), days, st.one_of(st.none(), shift)),
                max_size=2,
            )
        )
    }
    modes = {
        family: RuleMode(hard=False, weight=draw(st.integers(0, 20)))
        for family in draw(st.lists(st.sampled_from(SOFT_IN_RANDOM_ROTAS), max_size=4, unique=True))
    }
    return RotaInput(
        horizon_days=horizon,
        first_weekday=draw(st.integers(0, 6)),
        shift_types=shifts,
        staff=tuple(staff),
        cover=tuple(cover.values()),
        requests=requests,
        locked=tuple(locked.values()),
        banned_successions=draw(st.frozensets(st.tuples(shift, shift), max_size=3)),
        rule_modes=modes,
        edge_runs_exempt=draw(st.booleans()),
    )


@st.composite
def shift_types(draw: st.DrawFn, max_shifts: int) -> tuple[ShiftType, ...]:
    """Shifts with start times and sites; some count towards others' cover; nights as the app."""
    ids = [f"S{i}" for i in range(draw(st.integers(1, max_shifts)))]
    shifts = []
    for shift_id in ids:
        others = [other for other in ids if other != shift_id]
        fields = {
            "id": shift_id,
            "duration_minutes": draw(st.sampled_from([240, 480, 600, 720, 840])),
            "start_minute": draw(st.sampled_from([7, 8, 13, 20, 21])) * 60,
            "site": draw(st.sampled_from([None, *SITES])),
            "counts_as": draw(st.frozensets(st.sampled_from(others), max_size=2))
            if others
            else frozenset(),
        }
        shifts.append(ShiftType(**fields, night=is_night_shift(ShiftType(**fields))))
    return tuple(shifts)


@st.composite
def planner_rotas(
    draw: st.DrawFn, min_staff: int = 2, max_staff: int = 6, max_days: int = 10, max_shifts: int = 3
) -> RotaInput:
    """A small rota problem as the app builds it, with rule packs, travel and fairness."""
    horizon = draw(st.integers(3, max_days))
    shifts = draw(shift_types(max_shifts))
    shift_ids = [s.id for s in shifts]
    days = st.integers(0, horizon - 1)
    staff = []
    for k in range(draw(st.integers(min_staff, max_staff))):
        min_minutes = draw(st.sampled_from([0, 0, 0, 0, 480]))
        staff.append(
            Staff(
                id=f"P{k}",
                group=draw(st.sampled_from(["reg", "reg", "sho", f"alone{k}"])),
                home_site=draw(st.sampled_from([None, *SITES])),
                sites=draw(st.one_of(st.none(), st.frozensets(st.sampled_from(SITES), min_size=1))),
                skills=draw(st.frozensets(st.sampled_from(SKILLS))),
                cost_per_shift=draw(st.integers(0, 3)),
                fte_tenths=draw(st.sampled_from([5, 8, 10])),
                min_total_minutes=min_minutes,
                max_total_minutes=draw(st.one_of(st.none(), st.integers(min_minutes, 4000))),
                min_consecutive_shifts=draw(st.integers(1, 2)),
                max_consecutive_shifts=draw(st.one_of(st.none(), st.integers(2, 5))),
                min_consecutive_days_off=draw(st.integers(1, 2)),
                max_weekends=draw(st.one_of(st.none(), st.integers(0, 2))),
                days_off=draw(st.frozensets(days, max_size=2)),
                travel_minutes=draw(
                    st.dictionaries(st.sampled_from(SITES), st.integers(0, 60), max_size=3)
                ),
            )
        )
    staff_ids = [p.id for p in staff]
    cover = {
        (day, shift_id, skill): CoverRequirement(
            day=day,
            shift_id=shift_id,
            skill=skill,
            required=draw(st.integers(0, 3)),
            under_weight=draw(st.integers(0, 100)),
            over_weight=draw(st.integers(0, 5)),
        )
        for day, shift_id, skill in draw(
            st.lists(
                st.tuples(days, st.sampled_from(shift_ids), st.sampled_from([None, None, *SKILLS])),
                min_size=horizon,
                max_size=3 * horizon,
            )
        )
    }
    requests = tuple(
        ShiftRequest(staff_id=p, day=d, shift_id=s, kind=kind, weight=w)
        for p, d, s, kind, w in draw(
            st.lists(
                st.tuples(
                    st.sampled_from(staff_ids),
                    days,
                    st.one_of(st.none(), st.sampled_from(shift_ids)),
                    st.sampled_from(["on", "off"]),
                    st.integers(0, 5),
                ),
                max_size=5,
            )
        )
    )
    locked = draw(locks(staff, shifts, horizon))
    base = RotaInput(
        horizon_days=horizon,
        first_weekday=draw(st.integers(0, 6)),
        shift_types=shifts,
        staff=tuple(staff),
        cover=tuple(cover.values()),
        requests=requests,
        locked=locked,
        rule_modes={
            family: RuleMode(hard=False, weight=draw(st.integers(0, 20)))
            for family in draw(
                st.lists(st.sampled_from(SOFT_IN_PLANNER_ROTAS), max_size=4, unique=True)
            )
        },
        edge_runs_exempt=draw(st.booleans()),
        travel_weight=draw(st.sampled_from([0, 0, 1, 3])),
        fairness=Fairness(
            nights_weight=draw(st.integers(0, 10)),
            weekends_weight=draw(st.integers(0, 10)),
            cross_site_weight=draw(st.integers(0, 10)),
            band_percent=draw(st.sampled_from([None, None, 0, 25, 50])),
            band_weight=draw(st.integers(0, 10)),
        ),
    )
    for name in draw(st.lists(st.sampled_from(sorted(RULE_PACKS)), max_size=2, unique=True)):
        whom = draw(st.one_of(st.none(), st.frozensets(st.sampled_from(staff_ids), min_size=1)))
        base = apply_rule_pack(base, RULE_PACKS[name], None if whom is None else set(whom))
    return base


@st.composite
def locks(
    draw: st.DrawFn, staff: list[Staff], shifts: tuple[ShiftType, ...], horizon: int
) -> tuple[LockedAssignment, ...]:
    """Up to 3 locks: either on days and shifts the person may work, or anywhere at all."""
    consistent = draw(st.booleans())
    chosen: dict[tuple[str, int], str | None] = {}
    for _ in range(draw(st.integers(0, 3))):
        person = draw(st.sampled_from(staff))
        day = draw(st.integers(0, horizon - 1))
        allowed = [s.id for s in shifts if person.may_work_at(s) or not consistent]
        if not allowed or (consistent and day in person.days_off):
            shift_id = None
        else:
            shift_id = draw(st.one_of(st.none(), st.sampled_from(allowed)))
        chosen[person.id, day] = shift_id
    return tuple(
        LockedAssignment(staff_id=p, day=d, shift_id=s) for (p, d), s in sorted(chosen.items())
    )


@st.composite
def with_history(draw: st.DrawFn, data: RotaInput) -> RotaInput:
    """The problem with up to 14 days of random history for some of its staff."""
    days = draw(st.integers(1, 14))
    shift_ids = [s.id for s in data.shift_types]
    history = [
        PastShift(staff_id=p.id, day=day, shift_id=shift_id)
        for p in data.staff
        if draw(st.booleans())
        for day in range(-days, 0)
        if (shift_id := draw(st.one_of(st.none(), st.sampled_from(shift_ids)))) is not None
    ]
    return data.model_copy(update={"history": tuple(history), "history_days": days})


def planner_rotas_with_history(**sizes: int) -> st.SearchStrategy[RotaInput]:
    """`planner_rotas` of the given sizes, each with a random history."""
    return planner_rotas(**sizes).flatmap(with_history)


def ward_rota(people: int, days: int) -> RotaInput:
    """A ward with early and night shifts under the resident doctors' pack: 46 h after nights."""
    shifts = (
        ShiftType(id="E", duration_minutes=480, start_minute=7 * 60, site="W"),
        ShiftType(id="N", duration_minutes=720, start_minute=20 * 60, site="W", night=True),
    )
    staff = tuple(
        Staff(id=f"P{k}", skills=frozenset({"RN"}), cost_per_shift=1, max_total_minutes=40 * 60 * 2)
        for k in range(people)
    )
    cover = tuple(
        CoverRequirement(
            day=day, shift_id=shift, skill="RN", required=2, under_weight=1000, over_weight=1
        )
        for day in range(days)
        for shift in ("E", "N")
    )
    data = RotaInput(horizon_days=days, shift_types=shifts, staff=staff, cover=cover)
    return apply_rule_pack(data, RULE_PACKS["doctors_2016"], None)
