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
    WeekendLimit,
    WeeklyRest,
    WindowMinutesLimit,
)

NIGHT_START_MINUTE = 23 * 60
NIGHT_END_MINUTE = 6 * 60 + MINUTES_PER_DAY


class RulePack(BaseModel):
    """A named set of working-time limits, each None when the pack does not set it.

    Minutes throughout. `max_weekend_share` (e.g. 0.5 for "one weekend in two") becomes a maximum
    number of weekends over the horizon, rounded up: of `weekend_limit`'s weekends when the pack
    defines its own weekend, else of Saturday-and-Sunday weekends. `weekend_limit` also limits
    every run of weekends (1 in any 2 in a row). `min_rest_after_nights_minutes` is the rest owed
    after a run of at least `rest_after_nights_min_run` nights in a row;
    `rest_after_long_shifts_minutes` after `max_consecutive_long_shifts` long shifts in a row and
    `rest_after_consecutive_days_minutes` after `max_consecutive_days` shifts in a row.
    `weekly_rest_minutes` of uninterrupted rest are owed in each `weekly_rest_period_days` days.
    `rest_after_on_call_minutes` are owed after each non-resident on-call period (a shift type
    marked `on_call`): no shift starts sooner after it ends.
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
    weekend_limit: WeekendLimit | None = None
    rest_after_long_shifts_minutes: int | None = Field(None, ge=0)
    rest_after_consecutive_days_minutes: int | None = Field(None, ge=0)
    weekly_rest_minutes: int | None = Field(None, ge=1)
    weekly_rest_period_days: int = Field(7, ge=1)
    contracted_weekly_minutes: int | None = Field(None, ge=0)
    rest_after_on_call_minutes: int | None = Field(None, ge=0)


UK_WORKING_TIME_REGULATIONS = RulePack(
    name="UK Working Time Regulations 1998",
    source=(
        "Working Time Regulations 1998 (SI 1998/1833): 48 h average week over a 17-week "
        "reference period (reg 4; workers may opt out); 11 consecutive hours' daily rest in each "
        "24 h (reg 10(1)); 24 h uninterrupted weekly rest in each 7 days, or 48 h in 14 (reg 11, "
        "https://www.legislation.gov.uk/uksi/1998/1833/regulation/11)."
    ),
    max_average_weekly_minutes=48 * 60,
    min_daily_rest_minutes=11 * 60,
    weekly_rest_minutes=24 * 60,
    weekly_rest_period_days=7,
)
"""The statutory floor for every worker: 48 h average week, 11 h daily rest, weekly rest.

The 48 h average is applied over the rota's own horizon (stricter than the 17-week reference
period when the horizon is shorter); the weekly rest is 24 h uninterrupted in each week from
Monday 00:00 (reg 11(1)); `WTR_FORTNIGHTLY_REST` is the employer's alternative of reg 11(2)(b).
"""

WTR_FORTNIGHTLY_REST = UK_WORKING_TIME_REGULATIONS.model_copy(
    update={
        "name": "UK Working Time Regulations 1998, 48 h rest in each 14 days",
        "weekly_rest_minutes": 48 * 60,
        "weekly_rest_period_days": 14,
    }
)
"""The same regulations with the employer's alternative weekly rest: 48 h in each 14 days."""

CONTRACT_WEEKEND = WeekendLimit(
    name="weekends (Fri 21:00-Mon 07:00)",
    start_weekday=4,
    start_minute=21 * 60,
    length_minutes=58 * 60,
    max_worked=1,
    out_of=2,
)
"""The 2016 contract's weekend, Friday 21:00 to Monday 07:00, worked at most 1 in any 2."""

DOCTORS_IN_TRAINING_2016 = RulePack(
    name="2016 terms and conditions, doctors and dentists in training (England)",
    source=(
        "NHS Employers, 'Terms and conditions of service for NHS doctors and dentists in "
        "training (England) 2016', schedule 03 (as amended in 2019): maximum average 48 h week; "
        "maximum 72 h in any 7-day period; maximum shift 13 h; at most 4 consecutive long "
        "(>10 h) shifts, then 48 h rest; at most 7 consecutive shifts, then 48 h rest; at most "
        "4 consecutive night shifts; weekend Friday 21:00 to Monday 07:00, no more than one "
        "weekend in two. 46 h rest after a run of 3 or 4 consecutive nights (Department of "
        "Health and Social Care, written answer 270697, 3 July 2019). 11 h minimum rest between "
        "shifts (written answer of 29 February 2016), owed after a non-resident on-call period "
        "as after any shift (docs/rota.md, 'Rest after on-call')."
    ),
    max_average_weekly_minutes=48 * 60,
    min_daily_rest_minutes=11 * 60,
    max_consecutive_days=7,
    rest_after_consecutive_days_minutes=48 * 60,
    max_minutes_in_7_days=72 * 60,
    max_shift_minutes=13 * 60,
    long_shift_over_minutes=10 * 60,
    max_consecutive_long_shifts=4,
    rest_after_long_shifts_minutes=48 * 60,
    max_consecutive_nights=4,
    min_rest_after_nights_minutes=46 * 60,
    rest_after_nights_min_run=3,
    max_weekend_share=0.5,
    weekend_limit=CONTRACT_WEEKEND,
    rest_after_on_call_minutes=11 * 60,
)
"""Resident doctors' safeguards on top of the Working Time Regulations (2019 amendments).

Not modelled: the 2019 change to 46 h after any number of nights (set
`rest_after_nights_min_run=1` for it) and the limit on long late-evening shifts; see docs/rota.md.
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
    "wtr_fortnightly_rest": WTR_FORTNIGHTLY_REST,
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
    if pack.weekend_limit is not None:
        limit = pack.weekend_limit
        if pack.max_weekend_share is not None:
            allowed = math.ceil(pack.max_weekend_share * len(data.weekend_windows(limit)))
            limit = limit.model_copy(update={"max_total": _at_most(limit.max_total, allowed)})
        update["weekend_limits"] = (*person.weekend_limits, limit)
    elif pack.max_weekend_share is not None:
        allowed = math.ceil(pack.max_weekend_share * len(data.weekends()))
        update["max_weekends"] = _at_most(person.max_weekends, allowed)
    if pack.weekly_rest_minutes is not None:
        update["weekly_rests"] = (
            *person.weekly_rests,
            WeeklyRest(
                name=f"weekly rest ({pack.weekly_rest_period_days} days)",
                period_days=pack.weekly_rest_period_days,
                min_rest_minutes=pack.weekly_rest_minutes,
            ),
        )
    max_shifts = dict(person.max_shifts_per_type)
    if pack.max_shift_minutes is not None:
        for shift in data.shift_types:
            if shift.duration_minutes > pack.max_shift_minutes:
                max_shifts[shift.id] = 0
    update["max_shifts_per_type"] = max_shifts
    consecutive = list(person.consecutive_limits)
    # Rest owed after runs: (name, shift types, run length, minutes of rest).
    rests: list[tuple[str, frozenset[str], int, int | None]] = []
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
            rests.append(
                (
                    "rest after long shifts",
                    long_ids,
                    pack.max_consecutive_long_shifts,
                    pack.rest_after_long_shifts_minutes,
                )
            )
    if pack.max_consecutive_days is not None:
        every = frozenset(s.id for s in data.shift_types)
        rests.append(
            (
                "rest after shifts in a row",
                every,
                pack.max_consecutive_days,
                pack.rest_after_consecutive_days_minutes,
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
    on_call_ids = frozenset(s.id for s in data.shift_types if s.on_call)
    if on_call_ids:
        # A run of one on-call period is enough: the rest is owed after every one of them.
        rests.append(("rest after on-call", on_call_ids, 1, pack.rest_after_on_call_minutes))
    if night_ids:
        rests.append(
            (
                "rest after nights",
                night_ids,
                pack.rest_after_nights_min_run,
                pack.min_rest_after_nights_minutes,
            )
        )
    update["rest_after_runs"] = (
        *person.rest_after_runs,
        *(
            RestAfterRun(name=name, shift_ids=ids, min_run=run, min_rest_minutes=minutes)
            for name, ids, run, minutes in rests
            if minutes is not None
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
