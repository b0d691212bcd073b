"""The files an onboarding reads: which published file each upload is, and the set of them.

`file_kind` tells a file by its first line (the administrators' page sorts uploads with it);
`files_by_kind` makes the `OnboardingFiles` of `services/onboarding.py` from a list of uploads.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ics_capacity.domain.errors import InvalidInputError
from ics_capacity.importers.templates import EXCEL_SUFFIXES, template_kind_of


class OnboardingError(InvalidInputError):
    """The system cannot be onboarded as asked; the message says why and what to do."""


@dataclass(frozen=True)
class OnboardingFiles:
    """The files to build a system from; only the RTT extract is required.

    `templates` are the collaborative's own theatres (sites) and case-mix templates: local
    figures that replace the estimate where they say something.
    """

    rtt: Path
    kh03: Path | None = None
    workforce: Path | None = None
    etr: Path | None = None
    mar: Path | None = None
    flows: Path | None = None
    templates: tuple[Path, ...] = ()


FILE_KIND_LABELS = {
    "rtt": "RTT Full CSV extract",
    "kh03": "KH03 beds",
    "workforce": "Workforce statistics",
    "etr": "ODS NHS trusts (etr)",
    "mar": "Monthly Activity Return",
    "flows": "Monthly RTT flows per system",
    "template": "Local template (sites or case-mix)",
}
_HEADER_MARKS = (
    ("rtt", "rtt part type"),
    ("kh03", "kh03_avail_ga_avg_beds"),
    ("mar", "activity month"),
    ("workforce", "staff_group_1_name"),
    ("flows", "incomplete"),
)


def file_kind(path: Path) -> str | None:
    """Which published file this is, from its first line (a zip is taken as the RTT extract).

    Returns:
        One of `FILE_KIND_LABELS`, or None when the first line matches none of them.
    """
    if path.suffix.lower() == ".zip":
        return "rtt"
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return "template"  # onboarding reads no other spreadsheet
    with path.open("rb") as handle:
        first = handle.readline(64_000).decode("utf-8-sig", errors="replace")
    for kind, mark in _HEADER_MARKS:
        if mark in first.lower():
            return kind
    header = next(csv.reader([first]), [])
    if template_kind_of(header) is not None:
        return "template"
    # The ODS file has no header: 27 quoted columns, an organisation code first.
    if first.count(",") >= 20 and first.startswith('"'):
        return "etr"
    return None


def files_by_kind(paths: list[Path]) -> OnboardingFiles:
    """The uploaded files sorted by what they are, the RTT required.

    Each published kind comes at most once; local templates (sites, case-mix) any number of times.

    Raises:
        OnboardingError: a file is not recognised, a kind comes twice, or there is no RTT extract.
    """
    found: dict[str, Path] = {}
    templates: list[Path] = []
    problems = []
    for path in paths:
        kind = file_kind(path)
        if kind == "template":
            templates.append(path)
        elif kind is None:
            problems.append(
                f"{path.name} is none of the files onboarding reads "
                f"({', '.join(FILE_KIND_LABELS.values())})"
            )
        elif kind in found:
            problems.append(f"{path.name} and {found[kind].name} are both a {kind} file")
        else:
            found[kind] = path
    if "rtt" not in found:
        problems.append("the RTT Full CSV extract (.zip or .csv) is required")
    if problems:
        raise OnboardingError("; ".join(problems).capitalize() + ".")
    return OnboardingFiles(
        rtt=found["rtt"],
        kh03=found.get("kh03"),
        workforce=found.get("workforce"),
        etr=found.get("etr"),
        mar=found.get("mar"),
        flows=found.get("flows"),
        templates=tuple(templates),
    )
