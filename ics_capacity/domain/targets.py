"""Waiting-time targets as dates (issue 15 §4).

"No 65-week waiters by September", "65% within 18 weeks by March 2027".

A `DatedTarget` is one of two kinds: at most so many patients waiting over N weeks by a date
(`MAX_LONG_WAITERS`), or at least a share of the list within 18 weeks by a date
(`MIN_WITHIN_18`). Each trust's projection meets it or falls short by a number of patients or
percentage points; services ask the projection's inverse question (what constant treatment a
week meets it) for the trusts that fall short. Pure: no database, no UI.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

LONG_WAIT_WEEKS = (52, 65, 78, 104)
"""The long waits a projection counts (its `over_N` columns)."""


class TargetKind(StrEnum):
    """What a dated target asks of each trust's waiting list."""

    MAX_LONG_WAITERS = "max_long_waiters"
    MIN_WITHIN_18 = "min_within_18"


class TargetError(ValueError):
    """A target that cannot be evaluated; the message says which part is wrong."""


@dataclass(frozen=True)
class DatedTarget:
    """One target with a date.

    Attributes:
        kind: `MAX_LONG_WAITERS` (at most `value` patients waiting over `over_weeks` weeks) or
            `MIN_WITHIN_18` (at least `value` percent of the list waiting 18 weeks or less).
        value: Patients, or a percentage 0-100.
        due: The date by which it applies (rated at the last projected week ending by then).
        over_weeks: For long waiters: 52, 65, 78 or 104.
        source: Where the target is published, or who set it.
    """

    kind: TargetKind
    value: float
    due: dt.date
    over_weeks: int | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if self.kind == TargetKind.MAX_LONG_WAITERS:
            if self.over_weeks not in LONG_WAIT_WEEKS:
                raise TargetError(
                    f"Long waits: over {self.over_weeks} weeks is not counted; use one of "
                    f"{', '.join(map(str, LONG_WAIT_WEEKS))}."
                )
            if self.value < 0:
                raise TargetError("Long waiters: a number of patients, 0 or more.")
        elif not 0 < self.value <= 100:
            raise TargetError("Within 18 weeks: a share above 0% and at most 100%.")

    @property
    def measure(self) -> str:
        """The projection's column the target is on: `over_65`, `pct_within_18`, ..."""
        if self.kind == TargetKind.MAX_LONG_WAITERS:
            return f"over_{self.over_weeks}"
        return "pct_within_18"

    @property
    def unit(self) -> str:
        """What a shortfall is counted in."""
        return "patients" if self.kind == TargetKind.MAX_LONG_WAITERS else "percentage points"

    @property
    def label(self) -> str:
        """In planners' words, e.g. 'No 65-week waiters by 30 September 2026'."""
        when = f"{self.due.day} {self.due:%B %Y}"
        if self.kind == TargetKind.MAX_LONG_WAITERS:
            if self.value == 0:
                return f"No {self.over_weeks}-week waiters by {when}"
            return f"At most {self.value:,.0f} waiting over {self.over_weeks} weeks by {when}"
        return f"{self.value:g}% within 18 weeks by {when}"

    def shortfall(self, projected: float) -> float:
        """How far a projected value misses the target; 0 when it meets it.

        Patients over the limit, or percentage points below the share.
        """
        if self.kind == TargetKind.MAX_LONG_WAITERS:
            gap = projected - self.value
        else:
            gap = self.value - projected
        return max(0.0, gap) if gap > 1e-6 else 0.0

    def met(self, projected: float) -> bool:
        """Whether a projected value meets the target."""
        return self.shortfall(projected) == 0.0


_ELECTIVE_REFORM_PLAN = (
    "NHS England, 'Reforming elective care for patients' (Elective Reform Plan, January 2025): "
    "65% of patients waiting under 18 weeks by March 2026 and 92% by March 2029"
)

DEFAULT_TARGETS: tuple[DatedTarget, ...] = (
    DatedTarget(
        TargetKind.MAX_LONG_WAITERS,
        0,
        dt.date(2026, 9, 30),
        over_weeks=65,
        source="Issue 15's example of a collaborative's own target (ASSUMPTION: 'September' "
        "read as the end of September 2026)",
    ),
    DatedTarget(
        TargetKind.MIN_WITHIN_18,
        65,
        dt.date(2027, 3, 31),
        source=f"Issue 15's example, a year after the national interim milestone; "
        f"{_ELECTIVE_REFORM_PLAN}",
    ),
)
"""The targets the dashboard checks until a collaborative sets its own (docs/assumptions.md)."""


def parse_target(kind: str, value: str, over_weeks: str, due: str) -> DatedTarget:
    """A target from a form's text: its kind, patients or percent, the long wait, and a date.

    Raises:
        TargetError: naming the part that is not a valid target.
    """
    try:
        target_kind = TargetKind(str(kind).strip())
    except ValueError:
        raise TargetError(f"Target: '{kind}' is not a kind of target.") from None
    cleaned = str(value).strip().rstrip("%").replace(",", "").strip()
    try:
        number = float(cleaned)
    except ValueError:
        raise TargetError(f"Target: '{value}' is not a number.") from None
    try:
        when = dt.date.fromisoformat(str(due).strip())
    except ValueError:
        raise TargetError(f"By: '{due}' is not a date.") from None
    weeks = None
    if target_kind == TargetKind.MAX_LONG_WAITERS:
        try:
            weeks = int(str(over_weeks).strip())
        except ValueError:
            raise TargetError(f"Over: '{over_weeks}' is not a number of weeks.") from None
    return DatedTarget(target_kind, number, when, over_weeks=weeks, source="Set on the dashboard")
