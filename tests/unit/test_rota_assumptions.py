"""Keep domain/rota_assumptions.py and docs/assumptions.md section 9 in step, and sane."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from ics_capacity.domain import rota_assumptions as r
from ics_capacity.domain.staff import StaffContract, StaffRole

DOC = Path(__file__).resolve().parents[2] / "docs" / "assumptions.md"
URL_RE = re.compile(r"https?://[^\s)\];,]+")
ROLE_NAMES = {
    "Surgeon": StaffRole.SURGEON,
    "Anaesthetist": StaffRole.ANAESTHETIST,
    "Scrub practitioner": StaffRole.SCRUB,
    "ODP": StaffRole.ODP,
    "Ward nurse": StaffRole.WARD_NURSE,
}


def _section() -> str:
    """The text of section 9 of docs/assumptions.md, up to the next section or the end."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## 9. Shared workforce rota")
    following = text.find("\n## ", start + 1)
    return text[start:] if following < 0 else text[start:following]


def _tables(text: str) -> list[tuple[list[str], list[list[str]]]]:
    """Every pipe table in the markdown as (header cells, body rows)."""
    tables: list[tuple[list[str], list[list[str]]]] = []
    block: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.strip().startswith("|"):
            block.append(line.strip())
            continue
        if len(block) >= 2 and set(block[1].replace("|", "").strip()) <= set("-: "):
            rows = [[c.strip() for c in row.strip("|").split("|")] for row in block]
            tables.append((rows[0], rows[2:]))
        block = []
    return tables


def _table_with(*headers: str) -> list[dict[str, str]]:
    """The rows, as dicts, of the one table of section 9 whose header has all these cells."""
    found = [(h, body) for h, body in _tables(_section()) if all(x in h for x in headers)]
    assert len(found) == 1, f"expected one table with columns {headers}, found {len(found)}"
    head, body = found[0]
    return [dict(zip(head, row, strict=True)) for row in body]


def _plain(cell: str) -> str:
    return cell.replace("`", "").strip()


def _words(text: str) -> str:
    return " ".join(text.split())


def _role(cell: str) -> StaffRole:
    name = cell.split(" (")[0]
    return (
        ROLE_NAMES.get(name)
        or {
            "Operating department practitioner": StaffRole.ODP,
        }[name]
    )


def test_every_rota_constant_is_in_the_doc_table_with_its_value() -> None:
    """Each `ROTA_CONSTANTS` entry has one row in section 9 with the same value and a source."""
    rows = {_plain(row["Rota constant"]): row for row in _table_with("Rota constant", "Value")}
    assert set(rows) == set(r.ROTA_CONSTANTS)
    for name, value in r.ROTA_CONSTANTS.items():
        assert math.isclose(float(_plain(rows[name]["Value"])), value), name
        assert len(rows[name]["Source"]) > 20, name
    assert len(rows) == len(r.ROTA_CONSTANTS)


def test_rota_constants_are_the_module_values() -> None:
    """`ROTA_CONSTANTS` holds each named constant of the module under its own name."""
    for name, value in r.ROTA_CONSTANTS.items():
        assert getattr(r, name) == value, name


def test_every_source_is_listed_and_quoted_in_the_doc() -> None:
    """Every `*_SOURCE` of the module is in `ROTA_SOURCES`, and its text is quoted in section 9."""
    names = sorted(n for n in dir(r) if n.endswith("_SOURCE"))
    assert {getattr(r, n) for n in names} == set(r.ROTA_SOURCES)
    assert len(r.ROTA_SOURCES) == len(names)
    section = _words(_section())
    for name in names:
        assert f"`{name}`: {_words(getattr(r, name))}" in section, name


def test_every_source_url_is_cited_in_the_doc() -> None:
    """Every URL quoted in a rota source is in section 9's references too."""
    section = _section()
    refs = {row["URL"] for row in _table_with("Ref", "URL")}
    urls = [url.rstrip(".") for source in r.ROTA_SOURCES for url in URL_RE.findall(source)]
    assert urls, "the rota sources cite no URL"
    for url in urls:
        assert url in section, url
        assert url in refs, url


def test_theatre_team_is_the_issue_7_skill_mix_and_in_the_doc() -> None:
    """A list needs 1 surgeon, 1 anaesthetist, 2 scrub practitioners and 1 ODP, as documented."""
    team = {need.role: need.per_list for need in r.THEATRE_TEAM}
    assert team == {
        StaffRole.SURGEON: 1,
        StaffRole.ANAESTHETIST: 1,
        StaffRole.SCRUB: 2,
        StaffRole.ODP: 1,
    }
    assert len(r.THEATRE_TEAM) == len(team)
    rows = {_role(row["Role"]): int(row["Per list"]) for row in _table_with("Role", "Per list")}
    assert rows == team


def test_cost_factors_rise_from_substantive_to_bank_to_agency() -> None:
    """Substantive < bank < agency, and agency is the 55% price cap over basic pay."""
    assert 1.0 < r.SUBSTANTIVE_ON_COST < r.BANK_ON_COST < r.AGENCY_ON_COST
    assert r.AGENCY_ON_COST == pytest.approx(1.55)


def test_basic_pay_follows_the_annual_salaries() -> None:
    """Hourly basic pay is the 2025/26 salary over 52.14 weeks of the contract's hours."""
    weekly_hours = {StaffRole.SURGEON: 40, StaffRole.ANAESTHETIST: 40}
    salary = {
        StaffRole.SURGEON: 109_725,
        StaffRole.ANAESTHETIST: 109_725,
        StaffRole.SCRUB: 38_682,
        StaffRole.ODP: 38_682,
        StaffRole.WARD_NURSE: 31_049,
    }
    assert set(r.BASIC_HOURLY_PENCE) == set(StaffRole)
    for role, pounds in salary.items():
        hours = 52.14 * weekly_hours.get(role, 37.5)
        # Within a penny: the consultant rate is 5261.1p by this sum, taken as 5262p.
        assert r.BASIC_HOURLY_PENCE[role] == pytest.approx(pounds * 100 / hours, abs=1), role
    assert r.RESIDENT_DOCTOR_BASIC_HOURLY_PENCE < r.BASIC_HOURLY_PENCE[StaffRole.ANAESTHETIST]


def test_pay_table_in_the_doc_matches_the_code() -> None:
    """Grade, basic pay and each derived hourly cost in section 9 match the module's figures."""
    rows = _table_with("Role", "Grade", "Basic pay an hour (p)")
    assert {_role(row["Role"]) for row in rows} == set(StaffRole)
    for row in rows:
        role = _role(row["Role"])
        basic = r.BASIC_HOURLY_PENCE[role]
        assert row["Grade"] == r.GRADE[role], role
        assert int(row["Basic pay an hour (p)"]) == basic, role
        assert int(row["Substantive (p)"]) == round(basic * r.SUBSTANTIVE_ON_COST), role
        assert int(row["Bank (p)"]) == round(basic * r.BANK_ON_COST), role
        assert int(row["Agency (p)"]) == round(basic * r.AGENCY_ON_COST), role


def test_everyone_costs_less_an_hour_than_an_agency_worker_in_their_role() -> None:
    """Filling a place with anyone on the staff list is cheaper than leaving it to agency."""
    for role, basic in r.BASIC_HOURLY_PENCE.items():
        agency = basic * r.AGENCY_ON_COST
        assert basic * r.BANK_ON_COST < agency, role
    resident = r.RESIDENT_DOCTOR_BASIC_HOURLY_PENCE * r.BANK_ON_COST
    assert resident < r.BASIC_HOURLY_PENCE[StaffRole.ANAESTHETIST] * r.AGENCY_ON_COST


def test_ward_shifts_match_the_doc_and_cover_the_day() -> None:
    """Long day 07:30 and night 19:30, 750 minutes each, overlapping by 30 minutes at handover."""
    assert r.WARD_LONG_DAY == (7 * 60 + 30, 750)
    assert r.WARD_NIGHT == (19 * 60 + 30, 750)
    assert r.WARD_LONG_DAY[0] + r.WARD_LONG_DAY[1] - r.WARD_NIGHT[0] == 30
    assert (r.WARD_NIGHT[0] + r.WARD_NIGHT[1]) % (24 * 60) - r.WARD_LONG_DAY[0] == 30
    rows = {row["Shift"]: row for row in _table_with("Shift", "Starts", "Minutes")}
    for name, (start, minutes) in (("Long day", r.WARD_LONG_DAY), ("Night", r.WARD_NIGHT)):
        assert rows[name]["Starts"] == f"{start // 60:02d}:{start % 60:02d}", name
        assert int(rows[name]["Minutes"]) == minutes, name
        end = (start + minutes) % (24 * 60)
        assert rows[name]["Ends"].startswith(f"{end // 60:02d}:{end % 60:02d}"), name


def test_workforce_group_mapping_matches_the_doc() -> None:
    """Each role is shared between trusts by the staff group the doc names for it."""
    rows = {
        _role(row["Role"]): row["Workforce staff group"]
        for row in _table_with("Role", "Workforce staff group")
    }
    assert rows == r.WORKFORCE_GROUP
    assert set(r.WORKFORCE_GROUP) == set(StaffRole) == set(r.GRADE)


def test_contracted_hours_and_shares_are_sane() -> None:
    """Full-time weeks are 37.5 h and 40 h; shares and coverage are fractions of a whole."""
    assert r.CONTRACTED_MINUTES_PER_WEEK == {
        StaffContract.AGENDA_FOR_CHANGE: 37.5 * 60,
        StaffContract.CONSULTANT_2003: 40 * 60,
        StaffContract.RESIDENT_DOCTOR_2016: 40 * 60,
    }
    for share in (r.HUB_STAFF_COVERAGE, r.RESIDENT_ANAESTHETIST_SHARE, r.BANK_SHARE):
        assert 0.0 < share < 1.0
    # The demo picks every n-th person, so the shares must be 1 in a whole number.
    for share in (r.RESIDENT_ANAESTHETIST_SHARE, r.BANK_SHARE):
        assert (1 / share) == pytest.approx(round(1 / share))
    assert 1 <= r.ANNUAL_LEAVE_WEEKS_IN_12 < 12
    assert r.PATIENTS_PER_WARD_NURSE == 8  # NICE SG1 red flag


def test_travel_price_is_the_mileage_rate_there_and_back() -> None:
    """38p a minute is 45p a mile at 25 mph, counted both ways, to the nearest penny."""
    assert r.TRAVEL_PENCE_PER_MINUTE == round(2 * 45 * 25 / 60)
    assert r.THEATRE_DAY_START_MINUTE == 8 * 60
