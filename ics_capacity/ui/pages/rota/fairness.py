"""The Rota page's fairness table: how each staff group shares nights, weekends and away shifts.

Pure view builders, like `view.py`: a `RotaOutcome` in, the table's rows out. The figures are the
independent checker's (`RotaOutcome.fairness`), counted per whole-time equivalent (WTE), so a
half-time member's two nights stand beside a full-timer's four (docs/rota.md, "What the rota is
judged on", 6).
"""

from __future__ import annotations

from ics_capacity.services.results import RotaOutcome
from ics_capacity.ui.pages.rota.view import ROLE_NAMES

KIND_LABELS = {
    "nights": "Night shifts",
    "weekends": "Weekends worked",
    "cross_site": "Shifts away from home site",
}
_NAMED = 4  # people named in a row; the rest are counted


def fairness_rows(outcome: RotaOutcome) -> list[dict[str, str]]:
    """A row per staff group and kind: fewest and most per WTE, and who is outside the band.

    Kinds nobody in the group worked (theatre staff's nights) are left out.
    """
    names = {person.code: person.label for person in outcome.staff}
    order = list(KIND_LABELS)
    lines = sorted(
        (line for line in outcome.fairness if line.most),
        key=lambda line: (ROLE_NAMES.get(line.group, line.group), order.index(line.kind)),
    )
    return [
        {
            "group": f"{ROLE_NAMES.get(line.group, line.group)} ({line.people} people)",
            "kind": KIND_LABELS.get(line.kind, line.kind),
            "range": f"{line.fewest / 100:.1f} to {line.most / 100:.1f}",
            "outside": _outside(line.band_percent, line.outside, line.band_shifts, names),
        }
        for line in lines
    ]


def _outside(band: int | None, outside: tuple[str, ...], shifts: int, names: dict[str, str]) -> str:
    if band is None:
        return "No band set"
    if not outside:
        return f"None: all within ±{band}% of their share"
    named = ", ".join(names.get(code, code) for code in outside[:_NAMED])
    more = len(outside) - _NAMED
    who = f"{named} and {more} more" if more > 0 else named
    people = "1 person" if len(outside) == 1 else f"{len(outside)} people"
    plural = "s" if shifts != 1 else ""
    return f"{people}, {shifts} shift{plural} beyond ±{band}%: {who}"
