"""The independent checker's fairness: spreads per WTE within staff groups, and the band.

Part of `check.py` (which imports it), kept apart for length. Like the rest of the checker it
works the figures out from the rota and the definitions in docs/rota.md ("What the rota is judged
on", 6), with none of the model's code: a count per WTE is the count x 10 / fte_tenths, to the
nearest hundredth of a shift; a group's spread is rounded down to whole shifts; the band runs
from (1 - band_percent) to (1 + band_percent) x a person's share, fte / (the group's fte) x the
group's total, rounded outwards to whole shifts, and counts the whole shifts a person works beyond
it. The lines are what the Rota page shows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from fractions import Fraction

from pydantic import BaseModel, ConfigDict

from solvers.rota.schema import RotaInput, ShiftType, Staff

KINDS = ("nights", "weekends", "cross_site")


class FairnessLine(BaseModel):
    """One staff group's share of one kind of shift, per whole-time equivalent.

    `fewest` and `most` are counts per WTE in hundredths of a shift; `outside` names the people
    outside the band (empty without one) and `band_shifts` counts their whole shifts outside it.
    """

    model_config = ConfigDict(frozen=True)

    group: str
    kind: str
    people: int
    fewest: int
    most: int
    band_percent: int | None = None
    band_shifts: int = 0
    outside: tuple[str, ...] = ()


def fairness_lines(data: RotaInput, worked: dict[tuple[str, int], list[str]]) -> list[FairnessLine]:
    """A line per staff group of two or more with a contract, per kind whose weight is not zero."""
    fairness = data.fairness
    weights = _weights(data)
    shifts = {s.id: s for s in data.shift_types}
    groups: dict[str, list[Staff]] = defaultdict(list)
    for person in data.staff:
        if person.fte_tenths:  # no contract, no share
            groups[person.group].append(person)
    lines = []
    for group, members in groups.items():
        if len(members) < 2:
            continue
        counts = {kind: [_count(data, shifts, worked, p, kind) for p in members] for kind in KINDS}
        group_fte = sum(p.fte_tenths for p in members)
        for kind in (k for k in KINDS if weights[k]):
            hundredths = [
                n * round(Fraction(1000, p.fte_tenths))
                for p, n in zip(members, counts[kind], strict=True)
            ]
            band, outside, band_shifts = fairness.band_percent, [], 0
            if band is not None and fairness.band_weight:
                total, width = sum(counts[kind]), Fraction(band, 100)
                for person, n in zip(members, counts[kind], strict=True):
                    share = Fraction(person.fte_tenths, group_fte) * total
                    away = max(0, n - math.ceil((1 + width) * share))
                    away += max(0, math.floor((1 - width) * share) - n)
                    if away:
                        outside.append(person.id)
                        band_shifts += away
            lines.append(
                FairnessLine(
                    group=group,
                    kind=kind,
                    people=len(members),
                    fewest=min(hundredths),
                    most=max(hundredths),
                    band_percent=band if fairness.band_weight else None,
                    band_shifts=band_shifts,
                    outside=tuple(outside),
                )
            )
    return lines


def fairness_terms(data: RotaInput, lines: list[FairnessLine]) -> dict[str, int]:
    """The objective's fairness terms: weight x whole shifts of spread; the band's shifts."""
    fairness = data.fairness
    weights = _weights(data)
    terms: dict[str, int] = {}
    for line in lines:
        for key, amount in (
            (f"fairness:{line.kind}", weights[line.kind] * ((line.most - line.fewest) // 100)),
            (f"fairness_band:{line.kind}", fairness.band_weight * line.band_shifts),
        ):
            if amount:
                terms[key] = terms.get(key, 0) + amount
    return terms


def _count(
    data: RotaInput,
    shifts: dict[str, ShiftType],
    worked: dict[tuple[str, int], list[str]],
    person: Staff,
    kind: str,
) -> int:
    """Nights worked, weekends with any work, or shifts away from the person's home site."""
    days = [worked.get((person.id, day), []) for day in range(data.horizon_days)]
    mine = [shifts[s] for todays in days for s in todays]
    if kind == "nights":
        return sum(1 for s in mine if s.night)
    if kind == "weekends":
        return sum(1 for weekend in data.weekends() if any(days[day] for day in weekend))
    return sum(
        1
        for s in mine
        if s.site is not None and person.home_site is not None and s.site != person.home_site
    )


def _weights(data: RotaInput) -> dict[str, int]:
    fairness = data.fairness
    return {
        "nights": fairness.nights_weight,
        "weekends": fairness.weekends_weight,
        "cross_site": fairness.cross_site_weight,
    }
