"""GIRFT's elective hub standards as data, and where a hub stands against each in a scenario.

The standards are the published GIRFT hub principles (six-day operating, 48 weeks a year,
2.5 session days, 85% theatre utilisation), the GIRFT High Volume Low Complexity expectation of
85% day cases for the procedures in the British Association of Day Surgery (BADS) directory, and
GIRFT's cases per list where published (10 cataracts on a half-day list). Each becomes a hub's
editable default; `readiness` compares the hub's figure in the scenario with the standard and
says which standards bind the last saved rebalancing plan at that hub.

Every standard sits under one element of GIRFT's accreditation framework, in GIRFT's words
("utilisation and productivity", "the patient pathway", ...). Which element holds which principle
is this app's reading: the sources read do not publish that mapping (docs/assumptions.md §3a).

Pure: no database, no UI. Values and sources are listed in docs/assumptions.md; the unit test
keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ics_capacity.domain.assumptions import (
    DAY_CASE_RATE_EXPECTATION,
    DAY_CASE_RATE_EXPECTATION_SOURCE,
    HUB_OPERATING_DAYS_PER_WEEK,
    HUB_OPERATING_DAYS_PER_WEEK_SOURCE,
    OPERATING_WEEKS_PER_YEAR,
    OPERATING_WEEKS_PER_YEAR_SOURCE,
    SESSION_MINUTES_SOURCE,
    THEATRE_UTILISATION_CAP,
    THEATRE_UTILISATION_CAP_SOURCE,
)
from ics_capacity.domain.utilisation import UtilisationDefinition

_GIRFT_ACCREDITATION = (
    "https://gettingitrightfirsttime.co.uk/"
    "more-surgical-hubs-awarded-accreditation-for-meeting-top-clinical-and-operational-standards/"
)
_CSJ_HVLC = "https://content.yudu.com/web/1u0jl/0A1up6l/CSJ-January-2022/html/22.html"
_BADS_DIRECTORY = "https://bads.co.uk/publications/"

ACCREDITATION_SOURCE = (
    "GIRFT elective surgical hub accreditation scheme (with the Royal College of Surgeons of "
    "England): hubs are evaluated against five elements, 'the patient pathway, staff and "
    "training, clinical governance and outcomes, facilities and ring-fencing, and utilisation "
    f"and productivity': {_GIRFT_ACCREDITATION}"
)


class AccreditationDomain(StrEnum):
    """The elements of GIRFT's hub accreditation framework, in GIRFT's words."""

    PATIENT_PATHWAY = "The patient pathway"
    STAFF_AND_TRAINING = "Staff and training"
    CLINICAL_GOVERNANCE = "Clinical governance and outcomes"
    FACILITIES = "Facilities and ring-fencing"
    UTILISATION = "Utilisation and productivity"


HUB_SESSIONS_PER_DAY: float = 2.5
"""Theatre sessions a day at an elective hub ("2.5 session days": 4-hour sessions, 10-hour day)."""

CATARACTS_PER_HALF_DAY_LIST: int = 10
"""Cataract operations on a half-day list (GIRFT specialty standard, cases per theatre session)."""

CATARACTS_PER_HALF_DAY_LIST_SOURCE = (
    "GIRFT High Volume Low Complexity guide for systems (May 2021), 'GIRFT specialty standards "
    f"cases per theatre session': 10 cataracts per half-day list, reproduced in Clinical Services "
    f"Journal, Jan 2022: {_CSJ_HVLC}"
)

CATARACT_TFC = "C_130"


@dataclass(frozen=True)
class HubStandard:
    """One published standard: what it asks, its value and unit, and where it is published.

    `citation` is the source in a few words for the table; `source` the full reference.
    `at_least`: the hub meets it with a figure at or above `default` (all of GIRFT's hub
    standards are floors). `tfc`: the treatment function it applies to, if only one.
    """

    id: str
    domain: AccreditationDomain
    wording: str
    default: float
    unit: str
    source: str
    citation: str
    at_least: bool = True
    tfc: str | None = None


_PRINCIPLES_CITED = "GIRFT elective hub principles (2022), quoted by NHS Providers"
_HVLC_CITED = "GIRFT High Volume Low Complexity guide for systems (May 2021)"

HUB_STANDARDS: tuple[HubStandard, ...] = (
    HubStandard(
        "operating_days",
        AccreditationDomain.UTILISATION,
        "Six-day operating",
        HUB_OPERATING_DAYS_PER_WEEK,
        "days a week",
        HUB_OPERATING_DAYS_PER_WEEK_SOURCE,
        _PRINCIPLES_CITED,
    ),
    HubStandard(
        "operating_weeks",
        AccreditationDomain.UTILISATION,
        "48 operating weeks a year",
        OPERATING_WEEKS_PER_YEAR,
        "weeks a year",
        OPERATING_WEEKS_PER_YEAR_SOURCE,
        _PRINCIPLES_CITED,
    ),
    HubStandard(
        "sessions_per_day",
        AccreditationDomain.UTILISATION,
        "2.5 session days (sessions a day per theatre)",
        HUB_SESSIONS_PER_DAY,
        "sessions a day",
        SESSION_MINUTES_SOURCE,
        _PRINCIPLES_CITED,
    ),
    HubStandard(
        "utilisation",
        AccreditationDomain.UTILISATION,
        "85% theatre utilisation (capped)",
        THEATRE_UTILISATION_CAP,
        "of session time",
        THEATRE_UTILISATION_CAP_SOURCE,
        f"{_PRINCIPLES_CITED}; the capped measure: Zhang, Dunstan & Pandit (2024)",
    ),
    HubStandard(
        "day_case_rate",
        AccreditationDomain.PATIENT_PATHWAY,
        "85% day cases for the procedures in the BADS Directory",
        DAY_CASE_RATE_EXPECTATION,
        "of BADS Directory procedures",
        f"{DAY_CASE_RATE_EXPECTATION_SOURCE}; procedures: BADS Directory of Procedures, "
        f"{_BADS_DIRECTORY}",
        f"{_HVLC_CITED}; procedures: BADS Directory of Procedures",
    ),
    HubStandard(
        "cataracts_per_list",
        AccreditationDomain.UTILISATION,
        "10 cataracts on a half-day list",
        CATARACTS_PER_HALF_DAY_LIST,
        "cases a list",
        CATARACTS_PER_HALF_DAY_LIST_SOURCE,
        f"{_HVLC_CITED}: specialty standards, cases per theatre session",
        tfc=CATARACT_TFC,
    ),
)

STANDARDS_BY_ID: dict[str, HubStandard] = {s.id: s for s in HUB_STANDARDS}


class Status(StrEnum):
    """Where a hub stands against one standard."""

    MET = "Met"
    NOT_MET = "Not met"
    UNKNOWN = "Unknown"
    NOT_APPLICABLE = "Not applicable"


@dataclass(frozen=True)
class HubFigures:
    """A hub's own figures in a scenario, each defaulting to the standard until edited.

    `sessions_per_week_per_theatre` and `utilisation` are the site's theatre capacity (what the
    rebalance plans with); `None` when the site has no theatres.
    """

    operating_days_per_week: int = HUB_OPERATING_DAYS_PER_WEEK
    operating_weeks_per_year: int = OPERATING_WEEKS_PER_YEAR
    sessions_per_week_per_theatre: float | None = None
    utilisation: float | None = None
    utilisation_definition: UtilisationDefinition = UtilisationDefinition.CAPPED
    day_case_rate: float = DAY_CASE_RATE_EXPECTATION
    cataracts_per_list: int = CATARACTS_PER_HALF_DAY_LIST
    treatment_functions: tuple[str, ...] = ()

    @property
    def sessions_per_day(self) -> float | None:
        """Sessions a day per theatre: sessions a week ÷ operating days."""
        if self.sessions_per_week_per_theatre is None or self.operating_days_per_week <= 0:
            return None
        return self.sessions_per_week_per_theatre / self.operating_days_per_week


@dataclass(frozen=True)
class HubLimit:
    """A limit of a saved rebalancing plan that is full at the hub: which resource, when."""

    resource: str
    when: str


# Which standards set each of the rebalance's hub resources (solvers/rebalance/schema.py).
# Theatre minutes a week = theatres x sessions a week x minutes x utilisation, and a list's
# cases fill them; overnight bed-days fall as the day-case rate rises; day-case places turn
# over on each operating day.
_STANDARDS_OF_RESOURCE: dict[str, tuple[str, ...]] = {
    "theatre_minutes": ("sessions_per_day", "operating_days", "utilisation", "cataracts_per_list"),
    "overnight_bed_days": ("day_case_rate",),
    "day_cases": ("operating_days",),
}

_RESOURCE_WORDS = {
    "theatre_minutes": "theatre time",
    "overnight_bed_days": "overnight beds",
    "day_cases": "day-case places",
}


@dataclass(frozen=True)
class StandardReading:
    """One row of a hub's readiness: the standard, the hub's figure, its status, what binds."""

    standard: HubStandard
    hub_value: float | None
    hub_text: str
    standard_text: str
    status: Status
    reason: str
    binds: str


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%" if abs(value * 100 - round(value * 100)) < 1e-9 else f"{value:.1%}"


def _number(value: float) -> str:
    return f"{value:g}" if value == round(value, 2) else f"{value:.2f}"


def standard_text(standard: HubStandard) -> str:
    """The standard's value in words, e.g. '85% of session time (capped)'."""
    if standard.id == "utilisation":
        return f"{_percent(standard.default)} ({UtilisationDefinition.CAPPED.value})"
    if standard.id == "day_case_rate":
        return f"{_percent(standard.default)} of BADS Directory procedures"
    return f"{_number(standard.default)} {standard.unit}"


def _compare(standard: HubStandard, value: float) -> Status:
    met = value >= standard.default - 1e-9 if standard.at_least else value <= standard.default
    return Status.MET if met else Status.NOT_MET


def _reading(
    standard: HubStandard, hub: HubFigures, binding: Mapping[str, list[str]]
) -> StandardReading:
    value: float | None
    reason = ""
    if standard.id == "operating_days":
        value, text = hub.operating_days_per_week, f"{hub.operating_days_per_week} days a week"
    elif standard.id == "operating_weeks":
        value, text = hub.operating_weeks_per_year, f"{hub.operating_weeks_per_year} weeks a year"
    elif standard.id == "sessions_per_day":
        value = hub.sessions_per_day
        text = (
            "no theatres"
            if value is None
            else f"{_number(value)} sessions a day "
            f"({_number(hub.sessions_per_week_per_theatre or 0)} a week per theatre "
            f"÷ {hub.operating_days_per_week} days)"
        )
    elif standard.id == "utilisation":
        value = hub.utilisation
        text = (
            "no theatres"
            if value is None
            else f"{_percent(value)} ({hub.utilisation_definition.value})"
        )
    elif standard.id == "day_case_rate":
        value, text = hub.day_case_rate, f"{_percent(hub.day_case_rate)} planned at the hub"
    else:
        value, text = hub.cataracts_per_list, f"{hub.cataracts_per_list} cases a list"

    if standard.tfc is not None and standard.tfc not in hub.treatment_functions:
        status = Status.NOT_APPLICABLE
        reason = f"The hub does not take {standard.tfc}."
    elif value is None:
        status, reason = Status.UNKNOWN, "The site has no theatres in this scenario."
    elif (
        standard.id == "utilisation"
        and hub.utilisation_definition == UtilisationDefinition.UNCAPPED
    ):
        # Uncapped is never below capped: a low uncapped figure is a low capped one too.
        if value < standard.default - 1e-9:
            status = Status.NOT_MET
            reason = "Uncapped is never below capped, so the capped figure is below 85% too."
        else:
            status = Status.UNKNOWN
            reason = "The standard is capped; an uncapped figure at or above it does not show it."
    else:
        status = _compare(standard, value)

    whens = binding.get(standard.id, [])
    if whens and status != Status.NOT_APPLICABLE:
        binds = "; ".join(whens)
    else:
        binds = ""
    return StandardReading(
        standard=standard,
        hub_value=value,
        hub_text=text,
        standard_text=standard_text(standard),
        status=status,
        reason=reason,
        binds=binds,
    )


def binding_standards(limits: Sequence[HubLimit]) -> dict[str, list[str]]:
    """Per standard, the full resources of the hub's saved plan it sets, in planners' words."""
    out: dict[str, list[str]] = {}
    for limit in limits:
        resource = limit.resource.split(":", 1)[0]
        for standard_id in _STANDARDS_OF_RESOURCE.get(resource, ()):
            words = f"{_RESOURCE_WORDS[resource]} full in {limit.when}"
            if words not in out.setdefault(standard_id, []):
                out[standard_id].append(words)
    return out


def readiness(hub: HubFigures, limits: Sequence[HubLimit] = ()) -> list[StandardReading]:
    """The hub against every standard, in the order of `HUB_STANDARDS`.

    `limits` are the hub's full resources in the last saved rebalancing plan (none if no plan):
    a standard "binds the plan" when it sets a resource that is full.
    """
    binding = binding_standards(limits)
    return [_reading(s, hub, binding) for s in HUB_STANDARDS]


# --- Validating a hub's own figures ----------------------------------------------------------

OPERATING_DAYS_RANGE = (1, 7)
OPERATING_WEEKS_RANGE = (1, 52)
CATARACTS_PER_LIST_RANGE = (0, 30)


class HubFigureError(ValueError):
    """A hub figure that is not a number or is out of range; the message names the limits."""


def parse_whole(text: str, label: str, limits: tuple[int, int]) -> int:
    """A whole number within `limits`, or a `HubFigureError` naming the field and the limits."""
    low, high = limits
    try:
        value = int(str(text).strip())
    except ValueError:
        raise HubFigureError(f"{label}: '{text}' is not a whole number.") from None
    if not low <= value <= high:
        raise HubFigureError(f"{label}: {value} is outside {low} to {high}.")
    return value


def parse_percent(text: str, label: str) -> float:
    """A percentage 0 to 100 (a '%' sign allowed) as a fraction 0 to 1."""
    cleaned = str(text).strip().rstrip("%").strip()
    try:
        value = float(cleaned)
    except ValueError:
        raise HubFigureError(f"{label}: '{text}' is not a percentage.") from None
    if not 0 <= value <= 100:
        raise HubFigureError(f"{label}: {value:g}% is outside 0% to 100%.")
    return round(value / 100, 3)


def parse_definition(text: str) -> UtilisationDefinition:
    """'capped' or 'uncapped'."""
    try:
        return UtilisationDefinition(str(text).strip().lower())
    except ValueError:
        raise HubFigureError(
            f"Utilisation definition: '{text}' is neither 'capped' nor 'uncapped'."
        ) from None
