"""The typed input of the waiting-list projection, and the validation rates it carries.

A projection runs over *series*: one provider x RTT treatment function each. For every series it
needs the waiting list now by weekly wait band (the 105 RTT bands), and for every week of the
horizon the demand (new clock starts), the treatment capacity (pathways completed) and the rate
at which patients leave the list without treatment (validation, patients treated elsewhere or
no longer wanting treatment). Theatre and bed use come from the treatment function's case mix and
the share of treatments that are admitted. Building it from table-shaped frames is
`input_tables`; `ics_capacity.projections.inputs` gathers both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ics_capacity.domain.codes import WAIT_BANDS
from ics_capacity.domain.errors import InvalidInputError

DEFAULT_VALIDATION_RATE_PER_MONTH: float = 0.03
"""Share of the waiting list removed each month for reasons other than treatment.

Estimated from the monthly flow series of 22 systems, April 2020 .. September 2022
(`waiting_list_flow_by_ics_2020-04_2022-09.csv`): the unreported removals
Incomplete(t - 1) + New(t) - Completed(t) - Incomplete(t), divided by Incomplete(t - 1), have a
median of 3.05% a month (interquartile range 1.8% to 4.4%, 601 system-months) once the 37
boundary-change months are set aside (docs/projections.md). Used when a provider's own history
is too short (the RTT extract gives one month).
"""

WEEKS_PER_MONTH: float = 365.25 / 12 / 7
"""Average weeks in a calendar month (4.348), to turn monthly counts and rates into weekly ones."""

WEEKS_PER_YEAR: float = 365.25 / 7
"""Average weeks in a year (52.18), to turn a yearly validation share into a weekly rate."""

MAX_VALIDATION_SHARE_PER_YEAR: float = 0.5
"""The largest yearly share of a list a scenario may say validation removes (docs/assumptions)."""


class ProjectionInputError(InvalidInputError):
    """A projection input is not usable; `problems` lists everything wrong with it."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True, eq=False)
class ResourcePools:
    """Theatres and overnight beds (of sites or elective hubs) that series' admitted work uses.

    Attributes:
        names: Pool names (e.g. site or hub names), length G.
        theatre_minutes_per_week: Scheduled theatre session minutes a week (theatres x sessions
            a week x session minutes), shape (G,).
        theatre_utilisation_target: Share of session minutes that can be used for cases, (G,).
        bed_days_per_week: Elective overnight beds x 7, shape (G,).
        bed_occupancy_target: Planned maximum occupancy of those beds, (G,).
        share: Share of each series' admitted work done in each pool, shape (S, G); each row
            sums to 1 (or 0 for a series whose admitted work uses none of these pools).
    """

    names: tuple[str, ...]
    theatre_minutes_per_week: np.ndarray
    theatre_utilisation_target: np.ndarray
    bed_days_per_week: np.ndarray
    bed_occupancy_target: np.ndarray
    share: np.ndarray

    def __post_init__(self) -> None:
        """Checks shapes and ranges, reporting every problem at once."""
        g = len(self.names)
        problems: list[str] = []
        for name in (
            "theatre_minutes_per_week",
            "theatre_utilisation_target",
            "bed_days_per_week",
            "bed_occupancy_target",
        ):
            values = np.asarray(getattr(self, name), dtype=float)
            object.__setattr__(self, name, values)
            if values.shape != (g,):
                problems.append(f"{name} has shape {values.shape}; expected ({g},), one per pool")
            elif not np.all(np.isfinite(values) & (values >= 0)):
                problems.append(f"{name} must be finite and 0 or more")
        share = np.asarray(self.share, dtype=float)
        object.__setattr__(self, "share", share)
        if share.ndim != 2 or share.shape[1] != g:
            problems.append(f"share has shape {share.shape}; expected (series, {g})")
        elif not np.all(np.isfinite(share) & (share >= 0)) or np.any(share.sum(axis=1) > 1 + 1e-9):
            problems.append(
                "share must be 0 or more, with each series' shares adding up to 1 at most"
            )
        if problems:
            raise ProjectionInputError(problems)


@dataclass(frozen=True, eq=False)
class ProjectionInput:
    """What the projection needs per provider x treatment function (a series), per week.

    Build it with `ProjectionInput.create` (which broadcasts scalars and per-series values over
    the weeks) or with `projection_input_from_tables`. S is the number of series, W the horizon
    in weeks. Values are patients (or patients a week) as floats.

    Attributes:
        provider: Provider of each series (ODS code or organisation id), shape (S,).
        tfc: RTT treatment function code of each series, shape (S,).
        waiting: Patients waiting now by weekly wait band, shape (S, 105): band n holds those
            waiting more than n and up to n + 1 weeks; band 104 all over 104 weeks.
        demand_per_week: New clock starts joining the list each week, shape (S, W).
        capacity_per_week: Pathways that can be completed (treated) each week, shape (S, W).
        validation_rate_per_week: Share of the list removed each week without treatment, (S, W).
        priority_share: Share of each week's new patients who are clinically urgent and are
            treated first, from the shortest waits, before longest waiters, shape (S,).
        admitted_share: Share of completed pathways that are admitted (use theatres and beds), (S,).
        minutes_per_case: Theatre minutes per admitted case, shape (S,); 0 for non-surgical work.
        length_of_stay_days: Mean stay of admitted patients who stay overnight, shape (S,).
        day_case_rate: Share of admitted patients treated as day cases, shape (S,).
        pools: Theatres and beds the series use, for utilisation; None to skip utilisation.
        start_date: Date of week 0 (the waiting-list snapshot), to date the weeks; optional.
    """

    provider: np.ndarray
    tfc: np.ndarray
    waiting: np.ndarray
    demand_per_week: np.ndarray
    capacity_per_week: np.ndarray
    validation_rate_per_week: np.ndarray
    priority_share: np.ndarray
    admitted_share: np.ndarray
    minutes_per_case: np.ndarray
    length_of_stay_days: np.ndarray
    day_case_rate: np.ndarray
    pools: ResourcePools | None = None
    start_date: dt.date | None = None

    def __post_init__(self) -> None:
        """Checks shapes and ranges, reporting every problem at once."""
        problems: list[str] = []
        provider = np.asarray(self.provider)
        tfc = np.asarray(self.tfc)
        object.__setattr__(self, "provider", provider)
        object.__setattr__(self, "tfc", tfc)
        s = provider.shape[0] if provider.ndim == 1 else -1
        if provider.ndim != 1 or tfc.shape != provider.shape:
            problems.append("provider and tfc must be 1-D and the same length (one per series)")
        waiting = np.asarray(self.waiting, dtype=float)
        object.__setattr__(self, "waiting", waiting)
        if waiting.shape != (s, WAIT_BANDS):
            problems.append(f"waiting has shape {waiting.shape}; expected ({s}, {WAIT_BANDS})")
        weekly = np.asarray(self.demand_per_week, dtype=float)
        w = weekly.shape[1] if weekly.ndim == 2 else -1
        if w < 1:
            problems.append("demand_per_week must be (series, weeks) with at least one week")
        for name in ("demand_per_week", "capacity_per_week", "validation_rate_per_week"):
            values = np.asarray(getattr(self, name), dtype=float)
            object.__setattr__(self, name, values)
            if values.shape != (s, w):
                problems.append(f"{name} has shape {values.shape}; expected ({s}, {w})")
        for name in (
            "priority_share",
            "admitted_share",
            "minutes_per_case",
            "length_of_stay_days",
            "day_case_rate",
        ):
            values = np.asarray(getattr(self, name), dtype=float)
            object.__setattr__(self, name, values)
            if values.shape != (s,):
                problems.append(f"{name} has shape {values.shape}; expected ({s},)")
        if problems:
            raise ProjectionInputError(problems)
        for name in (
            "waiting",
            "demand_per_week",
            "capacity_per_week",
            "minutes_per_case",
            "length_of_stay_days",
        ):
            values = getattr(self, name)
            if not np.all(np.isfinite(values) & (values >= 0)):
                problems.append(f"{name} must be finite and 0 or more")
        for name in (
            "validation_rate_per_week",
            "priority_share",
            "admitted_share",
            "day_case_rate",
        ):
            values = getattr(self, name)
            if not np.all(np.isfinite(values) & (values >= 0) & (values <= 1)):
                problems.append(f"{name} must be a share between 0 and 1")
        if self.pools is not None and self.pools.share.shape[0] != s:
            problems.append(
                f"pools.share has {self.pools.share.shape[0]} rows; expected {s}, one per series"
            )
        if problems:
            raise ProjectionInputError(problems)

    @property
    def series_count(self) -> int:
        """Number of provider x treatment function series (S)."""
        return int(self.provider.shape[0])

    @property
    def horizon_weeks(self) -> int:
        """Number of weeks projected (W)."""
        return int(self.demand_per_week.shape[1])

    @classmethod
    def create(
        cls,
        *,
        provider: Sequence[object] | np.ndarray,
        tfc: Sequence[str] | np.ndarray,
        waiting: np.ndarray,
        demand_per_week: float | np.ndarray,
        capacity_per_week: float | np.ndarray,
        horizon_weeks: int,
        validation_rate_per_week: float | np.ndarray = 0.0,
        priority_share: float | np.ndarray = 0.0,
        admitted_share: float | np.ndarray = 0.0,
        minutes_per_case: float | np.ndarray = 0.0,
        length_of_stay_days: float | np.ndarray = 0.0,
        day_case_rate: float | np.ndarray = 0.0,
        pools: ResourcePools | None = None,
        start_date: dt.date | None = None,
    ) -> ProjectionInput:
        """An input with scalars and per-series values spread over the series and weeks.

        Args:
            provider: Provider of each series.
            tfc: Treatment function of each series.
            waiting: Patients by wait band, (S, 105).
            demand_per_week: Scalar, (S,) or (S, W).
            capacity_per_week: Scalar, (S,) or (S, W).
            horizon_weeks: W, weeks to project.
            validation_rate_per_week: Scalar, (S,) or (S, W).
            priority_share: Scalar or (S,).
            admitted_share: Scalar or (S,).
            minutes_per_case: Scalar or (S,).
            length_of_stay_days: Scalar or (S,).
            day_case_rate: Scalar or (S,).
            pools: Theatres and beds, or None.
            start_date: Date of week 0, or None.

        Returns:
            The checked input.

        Raises:
            ProjectionInputError: If a value has the wrong shape or is out of range.
        """
        provider = np.asarray(provider)
        s = provider.shape[0]

        def weekly(values: float | np.ndarray) -> np.ndarray:
            array = np.asarray(values, dtype=float)
            if array.ndim == 1:
                array = array[:, None]
            return np.array(np.broadcast_to(array, (s, horizon_weeks)))

        def per_series(values: float | np.ndarray) -> np.ndarray:
            return np.array(np.broadcast_to(np.asarray(values, dtype=float), (s,)))

        return cls(
            provider=provider,
            tfc=np.asarray(tfc),
            waiting=np.asarray(waiting, dtype=float),
            demand_per_week=weekly(demand_per_week),
            capacity_per_week=weekly(capacity_per_week),
            validation_rate_per_week=weekly(validation_rate_per_week),
            priority_share=per_series(priority_share),
            admitted_share=per_series(admitted_share),
            minutes_per_case=per_series(minutes_per_case),
            length_of_stay_days=per_series(length_of_stay_days),
            day_case_rate=per_series(day_case_rate),
            pools=pools,
            start_date=start_date,
        )

    def keys(self) -> pd.DataFrame:
        """The series as a frame: `provider`, `tfc`, one row per series in input order."""
        return pd.DataFrame({"provider": self.provider, "tfc": self.tfc})


def weekly_rate_from_monthly(rate_per_month: float | np.ndarray) -> float | np.ndarray:
    """A monthly removal rate as the weekly rate that compounds to it over a month.

    Args:
        rate_per_month: Share removed a month, 0..1.

    Returns:
        Share removed a week: 1 - (1 - rate) ** (1 / 4.348).
    """
    return 1.0 - (1.0 - np.asarray(rate_per_month, dtype=float)) ** (1.0 / WEEKS_PER_MONTH)


def weekly_rate_from_yearly(share_per_year: float | np.ndarray) -> float | np.ndarray:
    """A yearly share removed as the weekly rate that compounds to it over a year.

    Args:
        share_per_year: Share of the list removed over a year, 0..1.

    Returns:
        Share removed a week: 1 - (1 - share) ** (1 / 52.18).
    """
    return 1.0 - (1.0 - np.asarray(share_per_year, dtype=float)) ** (1.0 / WEEKS_PER_YEAR)


def yearly_share_from_weekly(rate_per_week: float | np.ndarray) -> float | np.ndarray:
    """A weekly removal rate as the share of a list it removes over a year (no one joining)."""
    return 1.0 - (1.0 - np.asarray(rate_per_week, dtype=float)) ** WEEKS_PER_YEAR


def with_validation_shares(
    inp: ProjectionInput, share_per_year_by_tfc: Mapping[str, float]
) -> ProjectionInput:
    """The input with each set treatment function's removal rate replaced by its validation share.

    A series whose treatment function has a share loses that share of its list a year to
    validation, spread evenly over the weeks (the weekly rate compounding to it), instead of its
    observed rate of removals without treatment. Other series keep their rate.

    Args:
        inp: The projection input.
        share_per_year_by_tfc: Treatment function code -> share of its list removed a year, 0..0.5.

    Returns:
        A new input (the same object when nothing is set).

    Raises:
        ProjectionInputError: a share outside 0 to `MAX_VALIDATION_SHARE_PER_YEAR`.
    """
    if not share_per_year_by_tfc:
        return inp
    problems = [
        f"validation share for {tfc} is {share!r}; it must be 0 to "
        f"{MAX_VALIDATION_SHARE_PER_YEAR:.0%} of the list a year"
        for tfc, share in share_per_year_by_tfc.items()
        if not (np.isfinite(share) and 0.0 <= share <= MAX_VALIDATION_SHARE_PER_YEAR)
    ]
    if problems:
        raise ProjectionInputError(problems)
    rate = np.array(inp.validation_rate_per_week, dtype=float)
    for i, tfc in enumerate(inp.tfc):
        share = share_per_year_by_tfc.get(str(tfc))
        if share is not None:
            rate[i, :] = weekly_rate_from_yearly(share)
    return replace(inp, validation_rate_per_week=rate)


def observed_validation_by_tfc(inp: ProjectionInput) -> dict[str, float]:
    """Each treatment function's removal rate in week 1 as a yearly share, weighted by list size.

    Returns:
        Treatment function code -> share of its list removed a year at that rate (0..1).
    """
    size = inp.waiting.sum(axis=1)
    rate = inp.validation_rate_per_week[:, 0]
    frame = pd.DataFrame({"tfc": inp.tfc.astype(str), "size": size, "weighted": rate * size})
    frame["rate"] = rate
    result = {}
    for tfc, group in frame.groupby("tfc", sort=True):
        total = float(group["size"].sum())
        if total > 0:
            weekly = float(group["weighted"].sum() / total)
        else:
            weekly = float(group["rate"].mean())
        result[str(tfc)] = float(yearly_share_from_weekly(weekly))
    return result
