"""UK rule packs as data, and how a pack tightens a rota problem before it is solved.

A `RulePack` is a list of named limits with their source. `apply_rule_pack` turns a pack into the
general rota schema: limits on each person (total minutes, runs, weekends, minutes in a window,
runs of long or night shifts, shift length) and banned shift successions computed from the shift
times. Nothing here is solver code: the same packs can be shown to planners as they are.

Sources were checked where marked "verified" in docs/rota.md; the rest is marked there too.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from solvers.rota.schema import (
    MINUTES_PER_DAY,
    ConsecutiveLimit,
    RestAfterRun,
    RotaInput,
    ShiftType,
    Staff,
    WindowMinutesLimit,
)

NIGHT_START_MINUTE = 23 * 60
NIGHT_END_MINUTE = 6 * 60 + MINUTES_PER_DAY


class RulePack(BaseModel):
    """A named set of working-time limits, each None when the pack does not set it.

    Minutes throughout. `max_weekend_share` (e.g. 0.5 for "one weekend in two") becomes a maximum
    number of weekends over the horizon, rounded up. `min_rest_after_nights_minutes` is the rest
    owed after a run of at least `rest_after_nights_min_run` nights in a row.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    source: str
    max_average_weekly_minutes: int | None = Field(None, ge=0)
    min_daily_rest_minutes: int | None = Field(None, ge=0)
    max_consecutive_days: int | None = Field(None, ge=1)
    max_minutes_in_7_days: int | None = Field(None, ge=0)
    max_shift_minutes: int | None = Field(None, ge=1)
    long_shift_over_minutes: int | None = Field(None, ge=1)
    max_consecutive_long_shifts: int | None = Field(None, ge=1)
    max_consecutive_nights: int | None = Field(None, ge=1)
    min_rest_after_nights_minutes: int | None = Field(None, ge=0)
    rest_after_nights_min_run: int = Field(3, ge=1)
    max_weekend_share: float | None = Field(None, ge=0, le=1)
    contracted_weekly_minutes: int | None = Field(None, ge=0)


UK_WORKING_TIME_REGULATIONS = RulePack(
    name="UK Working Time Regulations 1998",
    source=(
        "Working Time Regulations 1998 (SI 1998/1833): 48 h average week over a 17-week "
        "reference period (reg 4; workers may opt out); 11 consecutive hours' daily rest in each "
        "24 h (reg 10(1)); 24 h uninterrupted weekly rest in each 7 days, or 48 h in 14 (reg 11)."
    ),
    max_average_weekly_minutes=48 * 60,
    min_daily_rest_minutes=11 * 60,
    # Weekly rest approximated as at least one day off in any 7 days (see docs/rota.md).
    max_consecutive_days=6,
)
"""The statutory floor for every worker: 48 h average week, 11 h daily rest, weekly rest.

The 48 h average is applied over the rota's own horizon (stricter than the 17-week reference
period when the horizon is shorter); the weekly rest becomes "at most 6 days in a row".
"""

DOCTORS_IN_TRAINING_2016 = RulePack(
    name="2016 terms and conditions, doctors and dentists in training (England)",
    source=(
        "NHS Employers, 'Working hours and patterns FAQs' on the 2016 contract: maximum average "
        "48 h week; maximum 72 h in any 7-day period; maximum shift 13 h; at most 5 consecutive "
        "long (>10 h) shifts; at most 4 consecutive night shifts; at most 8 consecutive shifts; "
        "no more than one weekend in two. 46 h rest after a run of 3 or 4 consecutive nights "
        "(Department of Health and Social Care, written answer 270697, 3 July 2019)."
    ),
    max_average_weekly_minutes=48 * 60,
    min_daily_rest_minutes=11 * 60,
    max_consecutive_days=8,
    max_minutes_in_7_days=72 * 60,
    max_shift_minutes=13 * 60,
    long_shift_over_minutes=10 * 60,
    max_consecutive_long_shifts=5,
    max_consecutive_nights=4,
    min_rest_after_nights_minutes=46 * 60,
    rest_after_nights_min_run=3,
    max_weekend_share=0.5,
)
"""Resident doctors' safeguards on top of the Working Time Regulations.

Not modelled: the minimum rest after other runs (48 h after 5 long shifts or 8 shifts), the 2019
change to 46 h after any number of nights (set `rest_after_nights_min_run=1` for it), the limit
on long late-evening shifts, and the contract's own weekend definition
(Friday 21:00 to Monday 07:00); see docs/rota.md.
"""

AGENDA_FOR_CHANGE = RulePack(
    name="Agenda for Change standard hours",
    source=(
        "NHS terms and conditions of service handbook, section 10.1: standard hours of full-time "
        "staff are 37.5 h a week, excluding meal breaks."
    ),
    contracted_weekly_minutes=37 * 60 + 30,
)
"""Contracted hours pro rata to each person's FTE, as a maximum over the horizon."""

RULE_PACKS: dict[str, RulePack] = {
    "wtr": UK_WORKING_TIME_REGULATIONS,
    "doctors_2016": DOCTORS_IN_TRAINING_2016,
    "agenda_for_change": AGENDA_FOR_CHANGE,
}


def is_night_shift(shift: ShiftType) -> bool:
    """True when at least 3 hours of the shift fall between 23:00 and 06:00.

    The 3-hour definition is the one commonly used for the 2016 doctors' contract; it is not
    verified against the contract text (see docs/rota.md). Unknown start times are never nights.
    """
    if shift.start_minute is None or shift.end_minute is None:
        return False
    overlap = 0
    for day_offset in (-MINUTES_PER_DAY, 0):
        start = max(shift.start_minute, NIGHT_START_MINUTE + day_offset)
        end = min(shift.end_minute, NIGHT_END_MINUTE + day_offset)
        overlap += max(0, end - start)
    return overlap >= 3 * 60


def rest_banned_successions(
    shifts: tuple[ShiftType, ...], min_rest_minutes: int
) -> set[tuple[str, str]]:
    """Shift pairs (first, then) too close together on consecutive days.

    Returns:
        (first, then) where `then` on the next day starts less than `min_rest_minutes` after
        `first` ends; shifts without a start time are left out (their rest cannot be known).
    """
    banned: set[tuple[str, str]] = set()
    for first in shifts:
        for then in shifts:
            if first.end_minute is None or then.start_minute is None:
                continue
            rest = MINUTES_PER_DAY + then.start_minute - first.end_minute
            if rest < min_rest_minutes:
                banned.add((first.id, then.id))
    return banned


def apply_rule_pack(
    data: RotaInput, pack: RulePack, staff_ids: set[str] | None = None
) -> RotaInput:
    """The same rota problem with the pack's limits added (each limit only ever tightens).

    Args:
        data: the problem as the planner gave it.
        pack: the rules to apply.
        staff_ids: whom the pack applies to (everyone if None); banned successions from the
            daily rest rule apply to everyone, as the rule does.

    Returns:
        A new, validated `RotaInput`.
    """
    staff = tuple(
        _tighten(person, pack, data) if staff_ids is None or person.id in staff_ids else person
        for person in data.staff
    )
    banned = set(data.banned_successions)
    if pack.min_daily_rest_minutes is not None:
        banned |= rest_banned_successions(data.shift_types, pack.min_daily_rest_minutes)
    return RotaInput.model_validate(
        {**data.model_dump(), "staff": staff, "banned_successions": frozenset(banned)}
    )


def _at_most(current: int | None, limit: int | None) -> int | None:
    if limit is None:
        return current
    return limit if current is None else min(current, limit)


def _tighten(person: Staff, pack: RulePack, data: RotaInput) -> Staff:
    """One person's limits with the pack's added."""
    weeks = data.horizon_days / 7
    update: dict = {}
    max_total = person.max_total_minutes
    if pack.max_average_weekly_minutes is not None:
        max_total = _at_most(max_total, math.floor(pack.max_average_weekly_minutes * weeks))
    if pack.contracted_weekly_minutes is not None:
        contracted = pack.contracted_weekly_minutes * person.fte_tenths / 10 * weeks
        max_total = _at_most(max_total, math.floor(contracted))
    update["max_total_minutes"] = max_total
    update["max_consecutive_shifts"] = _at_most(
        person.max_consecutive_shifts, pack.max_consecutive_days
    )
    if pack.max_weekend_share is not None:
        allowed = math.ceil(pack.max_weekend_share * len(data.weekends()))
        update["max_weekends"] = _at_most(person.max_weekends, allowed)
    max_shifts = dict(person.max_shifts_per_type)
    if pack.max_shift_minutes is not None:
        for shift in data.shift_types:
            if shift.duration_minutes > pack.max_shift_minutes:
                max_shifts[shift.id] = 0
    update["max_shifts_per_type"] = max_shifts
    consecutive = list(person.consecutive_limits)
    if pack.max_consecutive_long_shifts is not None and pack.long_shift_over_minutes is not None:
        long_ids = frozenset(
            s.id for s in data.shift_types if s.duration_minutes > pack.long_shift_over_minutes
        )
        if long_ids:
            consecutive.append(
                ConsecutiveLimit(
                    name="long shifts",
                    shift_ids=long_ids,
                    max_days=pack.max_consecutive_long_shifts,
                )
            )
    night_ids = frozenset(s.id for s in data.shift_types if is_night_shift(s))
    if pack.max_consecutive_nights is not None and night_ids:
        consecutive.append(
            ConsecutiveLimit(
                name="nights", shift_ids=night_ids, max_days=pack.max_consecutive_nights
            )
        )
    update["consecutive_limits"] = tuple(consecutive)
    if pack.min_rest_after_nights_minutes is not None and night_ids:
        update["rest_after_runs"] = (
            *person.rest_after_runs,
            RestAfterRun(
                name="rest after nights",
                shift_ids=night_ids,
                min_run=pack.rest_after_nights_min_run,
                min_rest_minutes=pack.min_rest_after_nights_minutes,
            ),
        )
    windows = list(person.window_limits)
    if pack.max_minutes_in_7_days is not None:
        windows.append(
            WindowMinutesLimit(
                name="minutes in 7 days", window_days=7, max_minutes=pack.max_minutes_in_7_days
            )
        )
    update["window_limits"] = tuple(windows)
    return person.model_copy(update=update)
