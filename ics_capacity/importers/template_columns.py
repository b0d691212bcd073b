"""The project's two templates' columns: their names and aliases, and each number's range.

Ranges are those of the database (`CHECK` rules) and of the capacity editor, so that an imported
plan can be edited on the page (`docs/data-templates.md`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ics_capacity.domain.assumptions import (
    BED_OCCUPANCY_TARGET,
    SESSION_MINUTES,
    THEATRE_UTILISATION_CAP,
)
from ics_capacity.domain.utilisation import BED_CAP_LABEL, THEATRE_CAP_LABEL

THEATRES = "theatres"
CASE_MIX = "case_mix"
TEMPLATE_LABELS = {
    THEATRES: "Theatres, sessions and beds per site",
    CASE_MIX: "Case-mix per treatment function",
}


@dataclass(frozen=True)
class Column:
    """A template column: its meaning, the names accepted for it, and whether it must be there.

    The first name is the one the template and problems use.
    """

    key: str
    names: tuple[str, ...]
    required: bool = True


THEATRE_COLUMNS: tuple[Column, ...] = (
    Column("site_code", ("Site code", "Site", "Code", "Site ID")),
    Column("site_name", ("Site name", "Name", "Hospital", "Hospital name")),
    Column(
        "operator_ods_code",
        ("Operator ODS code", "Operator", "Trust ODS code", "Trust code", "ODS code"),
    ),
    Column("is_elective_hub", ("Elective hub", "Is elective hub", "Hub"), required=False),
    Column("postcode", ("Postcode", "Post code"), required=False),
    Column("latitude", ("Latitude", "Lat"), required=False),
    Column("longitude", ("Longitude", "Lon", "Long", "Lng"), required=False),
    Column("theatres", ("Theatres", "Number of theatres", "Operating theatres")),
    Column(
        "sessions_per_week",
        (
            "Sessions per week per theatre",
            "Sessions a week per theatre",
            "Sessions per week",
            "Sessions a week",
        ),
    ),
    Column(
        "session_minutes",
        ("Session minutes", "Session length minutes", "Minutes per session", "Session length"),
        required=False,
    ),
    Column(
        "utilisation_target",
        (
            "Utilisation target",
            "Theatre utilisation target",
            "Theatre utilisation cap",
            THEATRE_CAP_LABEL,
        ),
        required=False,
    ),
    Column(
        "elective_overnight_beds",
        ("Elective overnight beds", "Overnight beds", "Elective beds"),
    ),
    Column("day_case_places", ("Day-case places", "Day case places", "Daycase places")),
    Column(
        "occupancy_target",
        ("Bed occupancy target", "Occupancy target", "Bed occupancy cap", BED_CAP_LABEL),
        required=False,
    ),
    Column(
        "treatment_functions",
        ("Treatment functions", "Treatment function codes", "TFCs", "Specialties"),
        required=False,
    ),
    Column("source", ("Source", "Sources", "Notes"), required=False),
)

CASE_MIX_COLUMNS: tuple[Column, ...] = (
    Column("tfc", ("Treatment function", "TFC", "Treatment function code", "Specialty")),
    Column("minutes_per_case", ("Minutes per case", "Theatre minutes per case", "Case minutes")),
    Column("length_of_stay_days", ("Length of stay days", "Length of stay", "LOS days", "LOS")),
    Column("day_case_rate", ("Day-case rate", "Day case rate", "Daycase rate")),
    Column("source", ("Source", "Sources", "Notes"), required=False),
)

TEMPLATE_COLUMNS: dict[str, tuple[Column, ...]] = {
    THEATRES: THEATRE_COLUMNS,
    CASE_MIX: CASE_MIX_COLUMNS,
}


@dataclass(frozen=True)
class NumberRule:
    """What a numeric column allows, for the checks and for the people reading problems."""

    minimum: float
    maximum: float
    whole: bool
    rule: str
    is_rate: bool = False
    default: float | None = None  # used when the column is absent or the cell blank
    optional: bool = False  # a blank cell is allowed and stays blank
    decimals: int = 3


# Minima are the database's CHECK rules; maxima are the capacity editor's (so an imported plan
# can be edited on the page) or, where the editor has none, a plainly impossible value.
NUMBER_RULES: dict[str, NumberRule] = {
    "latitude": NumberRule(
        -90, 90, False, "latitude must be -90 to 90 degrees (WGS84)", optional=True, decimals=6
    ),
    "longitude": NumberRule(
        -180, 180, False, "longitude must be -180 to 180 degrees (WGS84)", optional=True, decimals=6
    ),
    "theatres": NumberRule(0, 100, True, "theatres must be a whole number, 0 to 100"),
    "sessions_per_week": NumberRule(
        0, 21, True, "sessions a week per theatre must be a whole number, 0 to 21"
    ),
    "session_minutes": NumberRule(
        1, 720, True, "a session must be 1 to 720 minutes", default=SESSION_MINUTES
    ),
    "utilisation_target": NumberRule(
        0,
        1,
        False,
        "a utilisation target must be 0 to 1 (or 0% to 100%)",
        is_rate=True,
        default=THEATRE_UTILISATION_CAP,
    ),
    "elective_overnight_beds": NumberRule(
        0, 2000, True, "elective overnight beds must be a whole number, 0 to 2,000"
    ),
    "day_case_places": NumberRule(0, 500, True, "day-case places must be a whole number, 0 to 500"),
    "occupancy_target": NumberRule(
        0,
        1,
        False,
        "a bed occupancy target must be 0 to 1 (or 0% to 100%)",
        is_rate=True,
        default=BED_OCCUPANCY_TARGET,
    ),
    "minutes_per_case": NumberRule(
        0, 1440, True, "minutes per case must be a whole number, 0 to 1,440"
    ),
    "length_of_stay_days": NumberRule(
        0, 365, False, "length of stay must be 0 to 365 days", decimals=2
    ),
    "day_case_rate": NumberRule(
        0, 1, False, "a day-case rate must be 0 to 1 (or 0% to 100%)", is_rate=True
    ),
}
TEXT_LIMITS = {"site_code": 20, "site_name": 200, "postcode": 10, "source": 2000}
"""Longest text the database holds, in characters."""
