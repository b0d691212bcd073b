"""Fairness within staff groups, per whole-time equivalent: the weights and the shared definitions.

A person's nights, weekends and cross-site shifts are compared per whole-time equivalent (WTE,
`Staff.fte_tenths`): a half-time doctor's two nights weigh as a full-timer's four. Counts per WTE
are kept in hundredths of a shift (`PER_WTE_UNIT`), so the model stays in whole numbers; the
spread of a group is then rounded down to whole shifts per WTE. With `band_percent` set, each
person's count is also held to a band around their pro-rata share of the group's total (rounded
outwards to whole shifts), the "+/-25 %" rule of many local rota agreements (docs/rota.md,
"What the rota is judged on", 6).

The model (`objective.py`) and the independent checker (`check.py`) both count by these
definitions; each computes the counts from the rota on its own. Kept apart from `schema.py`
(which imports it) so the schema stays readable; it imports nothing of the rota solver.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from solvers.rota.schema import ShiftType, Staff

PER_WTE_UNIT = 100
"""Counts per WTE are kept in hundredths of a shift."""


class Fairness(BaseModel):
    """Weights on how evenly each staff group shares nights, weekends and cross-site shifts.

    `*_weight` is charged per whole shift per WTE of spread (most minus fewest, per WTE) of night
    shifts worked, weekends with any work, and shifts worked away from the person's home site;
    summed over groups (`Staff.group`) of two or more people with a contract (`fairness_groups`).
    With `band_percent`, `band_weight` is charged for each whole shift a person works above or
    below that band around their pro-rata share (rounded outwards to whole shifts: a share of 0.4
    allows 0 or 1), for each kind whose weight is not zero.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    nights_weight: int = Field(0, ge=0)
    weekends_weight: int = Field(0, ge=0)
    cross_site_weight: int = Field(0, ge=0)
    band_percent: int | None = Field(None, ge=0, le=100)
    band_weight: int = Field(0, ge=0)


def per_wte_factor(person: Staff) -> int:
    """Hundredths of a shift per WTE that one shift counts for: 100 at full time, 200 at half.

    Rounded to the nearest hundredth (0.6 WTE: 167), which no spread of whole shifts can feel.
    """
    return round(PER_WTE_UNIT * 10 / person.fte_tenths)


def fairness_groups(staff: Iterable[Staff]) -> dict[str, list[Staff]]:
    """Staff groups of two or more people with a contract (`fte_tenths` above 0), by group."""
    groups: dict[str, list[Staff]] = {}
    for person in staff:
        if person.fte_tenths > 0:
            groups.setdefault(person.group, []).append(person)
    return {group: members for group, members in groups.items() if len(members) >= 2}


def is_away(person: Staff, shift: ShiftType) -> bool:
    """A shift at a site other than the person's home site (without either, never away)."""
    return (
        shift.site is not None and person.home_site is not None and shift.site != person.home_site
    )
