"""A scenario's treatment capacity from its theatres, beds and case mix, calibrated to activity.

The projection's treatment a week starts from each trust x treatment function's published RTT
completions (`projection_input_from_tables`). A scenario's resources move it from there:

1. Each site's capacity a week in three resources: theatre minutes (theatres x sessions per
   theatre a week x session minutes x utilisation target), overnight bed-days (elective overnight
   beds x 7 x occupancy target) and day cases (day-case places x day cases per place a day x
   operating days a week).
2. A series' admitted cases a week are split over its sites (`site_share`), and each site's
   resources over the series using it in proportion to the baseline's use of them (cases x minutes
   per case, cases x (1 - day-case rate) x length of stay, cases x day-case rate).
3. The cases a week a series' share of a site allows is the scarcer of theatre minutes and
   overnight bed-days (`BINDING_RESOURCES`); summed over its sites, that is the capacity its
   resources imply.
4. ratio = scenario-implied cases / baseline-implied cases, and the scenario's admitted treatment
   is today's admitted completions x ratio; non-admitted completions (outpatient-only pathways)
   use no theatre or bed and are unchanged. The baseline's own ratio is exactly 1.

A saved rebalancing plan then adds, week by week, its treatment beyond what each trust would do
alone (the plan minus the solver's no-collaboration plan, both credited to the patient's home
trust), so the gap between the optimiser's capacity model and published activity cancels.

Pure numpy/pandas: the services read the rows (docs/projections.md, "A scenario's capacity").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ics_capacity.domain.assumptions import (
    DAY_CASES_PER_PLACE_PER_DAY,
    HUB_OPERATING_DAYS_PER_WEEK,
    MAIN_SITE_OPERATING_DAYS_PER_WEEK,
)

RESOURCES: tuple[str, ...] = ("theatre_minutes", "overnight_bed_days", "day_cases")
"""The resources a site's weekly capacity is counted in, in this order everywhere."""

BINDING_RESOURCES: tuple[str, ...] = ("theatre_minutes", "overnight_bed_days")
"""The resources that limit treatment in the projection: the scarcer of the two binds.

Day-case places are not among them: published activity already exceeds what they allow at
three of the demo's six sites (Midland Met treats about 300 day cases a week, 2.5 times its 12
places x DAY_CASES_PER_PLACE_PER_DAY x 5 days), so that conversion cannot be a limit calibrated
to activity (docs/projections.md).
"""

SITE_COLUMNS = (
    "theatres",
    "sessions_per_theatre_per_week",
    "session_minutes",
    "utilisation_target",
    "elective_overnight_beds",
    "occupancy_target",
    "day_case_places",
    "is_elective_hub",
)


def site_weekly_capacity(sites: pd.DataFrame) -> pd.DataFrame:
    """Each site's capacity a week in theatre minutes, overnight bed-days and day cases.

    Args:
        sites: One row per site with the columns of `SITE_COLUMNS` (a site with no theatre or
            bed row has 0 there). `sessions_per_theatre_per_week` is what runs: the timetable,
            or fewer when a rota staffs fewer.

    Returns:
        Same index; columns `RESOURCES`: theatres x sessions x minutes x utilisation target;
        beds x 7 x occupancy target; places x DAY_CASES_PER_PLACE_PER_DAY x operating days
        (HUB_OPERATING_DAYS_PER_WEEK at an elective hub, MAIN_SITE_OPERATING_DAYS_PER_WEEK
        elsewhere).
    """
    s = sites.fillna(0)
    days = np.where(
        s["is_elective_hub"].astype(bool),
        HUB_OPERATING_DAYS_PER_WEEK,
        MAIN_SITE_OPERATING_DAYS_PER_WEEK,
    )
    return pd.DataFrame(
        {
            "theatre_minutes": s["theatres"].astype(float)
            * s["sessions_per_theatre_per_week"].astype(float)
            * s["session_minutes"].astype(float)
            * s["utilisation_target"].astype(float),
            "overnight_bed_days": s["elective_overnight_beds"].astype(float)
            * 7.0
            * s["occupancy_target"].astype(float),
            "day_cases": s["day_case_places"].astype(float) * DAY_CASES_PER_PLACE_PER_DAY * days,
        },
        index=sites.index,
    )


def use_per_case(case_mix: pd.DataFrame, tfc: np.ndarray) -> np.ndarray:
    """What one admitted case of each series uses of each resource, shape (S, 3).

    Args:
        case_mix: Rows with `tfc`, `minutes_per_case`, `length_of_stay_days`, `day_case_rate`.
        tfc: Treatment function of each series; one absent from the case mix uses nothing.

    Returns:
        Columns in `RESOURCES` order: minutes per case, (1 - day-case rate) x length of stay,
        day-case rate.
    """
    mix = case_mix.set_index("tfc").reindex(tfc)
    minutes = mix["minutes_per_case"].astype(float).fillna(0.0).to_numpy()
    stay = mix["length_of_stay_days"].astype(float).fillna(0.0).to_numpy()
    day_case = mix["day_case_rate"].astype(float).fillna(0.0).to_numpy()
    return np.column_stack([minutes, (1.0 - day_case) * stay, day_case])


def _cases_allowed(
    load: np.ndarray, site_load: np.ndarray, capacity: np.ndarray, use: np.ndarray
) -> np.ndarray:
    """Cases a week each series' part of each site allows, by resource, shape (S, G, R).

    A series gets the part of a site's resource its baseline load is of the site's load; inf
    where it does not use the resource (so the resource never binds it).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        part = np.where(site_load[None] > 0, load / site_load[None], 0.0)
        allowed = np.where(use[:, None, :] > 0, capacity[None] * part / use[:, None, :], np.inf)
    return np.where(load > 0, allowed, np.inf)


def capacity_ratio(
    keys: pd.DataFrame,
    admitted_per_week: np.ndarray,
    site_share: np.ndarray,
    baseline_sites: pd.DataFrame,
    scenario_sites: pd.DataFrame,
    baseline_case_mix: pd.DataFrame,
    scenario_case_mix: pd.DataFrame,
    binding_resources: tuple[str, ...] = BINDING_RESOURCES,
) -> pd.DataFrame:
    """Admitted cases a week the baseline's and the scenario's resources allow each series.

    Args:
        keys: The series: `provider`, `tfc` (S rows, in the projection's order).
        admitted_per_week: Each series' admitted completions a week today, (S,).
        site_share: Share of each series' admitted work done at each site, (S, G), as in the
            baseline (`ResourcePools.share`).
        baseline_sites: The baseline's G sites, columns as `site_weekly_capacity` takes.
        scenario_sites: The scenario's same G sites in the same order.
        baseline_case_mix: The baseline's case mix (`tfc`, minutes, stay, day-case rate).
        scenario_case_mix: The scenario's case mix.
        binding_resources: The resources (of `RESOURCES`) that limit treatment.

    Returns:
        One row per series: `provider`, `tfc`, `admitted_per_week`, `baseline_cases_per_week`,
        `scenario_cases_per_week` (NaN where no site resource limits the series), `ratio`
        (scenario / baseline; 1 where either is NaN or the baseline allows none) and `binding`
        (the scarcest resource in the scenario at the series' main site, '' when none).
    """
    tfc = keys["tfc"].to_numpy()
    a = np.asarray(admitted_per_week, dtype=float)
    share = np.asarray(site_share, dtype=float)
    columns = [RESOURCES.index(r) for r in binding_resources]
    use0 = use_per_case(baseline_case_mix, tfc)[:, columns]
    use1 = use_per_case(scenario_case_mix, tfc)[:, columns]
    # A resource the series did not use in the baseline has no load to scale from: not counted.
    use1 = np.where(use0 > 0, use1, 0.0)
    cap0 = site_weekly_capacity(baseline_sites)[list(binding_resources)].to_numpy()
    cap1 = site_weekly_capacity(scenario_sites)[list(binding_resources)].to_numpy()
    load = (a[:, None] * share)[:, :, None] * use0[:, None, :]  # (S, G, R)
    site_load = load.sum(axis=0)  # (G, R)
    allowed0 = _cases_allowed(load, site_load, cap0, use0).min(axis=2)  # (S, G)
    allowed1_by_resource = _cases_allowed(load, site_load, cap1, use1)
    allowed1 = allowed1_by_resource.min(axis=2)
    limited = np.isfinite(allowed0)
    cases0 = np.where(limited, allowed0, 0.0).sum(axis=1)
    cases1 = np.where(limited, np.where(np.isfinite(allowed1), allowed1, allowed0), 0.0).sum(axis=1)
    any_limit = limited.any(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(any_limit & (cases0 > 0), cases1 / cases0, 1.0)
    main_site = share.argmax(axis=1) if share.shape[1] else np.zeros(len(a), dtype=int)
    binding = []
    for i, g in enumerate(main_site):
        row = allowed1_by_resource[i, g] if share.shape[1] else np.array([np.inf])
        binding.append(binding_resources[int(row.argmin())] if np.isfinite(row).any() else "")
    return pd.DataFrame(
        {
            "provider": keys["provider"].to_numpy(),
            "tfc": tfc,
            "admitted_per_week": a,
            "baseline_cases_per_week": np.where(any_limit, cases0, np.nan),
            "scenario_cases_per_week": np.where(any_limit, cases1, np.nan),
            "ratio": ratio,
            "binding": binding,
        }
    )


def plan_treatment_by_series(
    keys: pd.DataFrame, plan_rows: pd.DataFrame, horizon_weeks: int
) -> np.ndarray:
    """Patients a plan treats for each series' list each week, shape (S, horizon_weeks).

    Args:
        keys: The series: `provider`, `tfc`, with providers keyed as in `plan_rows`.
        plan_rows: Rows with `provider` (the patients' home trust), `tfc`, `week` (1-based) and
            `patients`, at any hub: a patient moved to a hub counts for the home trust's list.
            Rows whose `stage` is "non_admitted" are first outpatient appointments, not
            treatment, and are left out.
        horizon_weeks: The plan's weeks.

    Returns:
        Patients a week; rows of series the plan does not treat are 0.
    """
    out = np.zeros((len(keys), horizon_weeks))
    if plan_rows.empty:
        return out
    rows = plan_rows[(plan_rows["week"] >= 1) & (plan_rows["week"] <= horizon_weeks)]
    if "stage" in rows:
        rows = rows[rows["stage"] != "non_admitted"]
    summed = rows.groupby(["provider", "tfc", "week"], as_index=False)["patients"].sum()
    if summed.empty:
        return out
    index = {
        (p, t): i for i, (p, t) in enumerate(keys[["provider", "tfc"]].itertuples(index=False))
    }
    series = summed[["provider", "tfc"]].apply(
        lambda r: index.get((r.iloc[0], r.iloc[1]), -1), axis=1
    )
    known = series.to_numpy() >= 0
    np.add.at(
        out,
        (series.to_numpy()[known].astype(int), summed["week"].to_numpy()[known].astype(int) - 1),
        summed["patients"].to_numpy(dtype=float)[known],
    )
    return out


def treatment_capacity(
    capacity_per_week: np.ndarray,
    admitted_share: np.ndarray,
    ratio: np.ndarray,
    plan_extra: np.ndarray | None = None,
) -> np.ndarray:
    """Each series' treatment a week under a scenario's resources and, if any, its plan.

    Args:
        capacity_per_week: Today's completions a week, (S, W).
        admitted_share: Share of completions that are admitted, (S,).
        ratio: Scenario / baseline resource capacity (`capacity_ratio`), (S,).
        plan_extra: The plan's admitted treatment beyond each trust's own a week, (S, H); it
            applies to the first min(H, W) weeks, and after them the resources alone.

    Returns:
        (S, W): non-admitted x 1 + admitted x ratio + plan extra. Where a trust gives up more
        of its own treatment to others than it does today (admitted x ratio + extra < 0), its
        admitted treatment stops at 0 and the week's gains of the other series shrink by that
        shortfall in proportion, so each week's net extra of the plan is kept.
    """
    capacity = np.asarray(capacity_per_week, dtype=float)
    share = np.asarray(admitted_share, dtype=float)[:, None]
    admitted = capacity * share * np.asarray(ratio, dtype=float)[:, None]
    if plan_extra is not None:
        weeks = min(plan_extra.shape[1], capacity.shape[1])
        extra = np.asarray(plan_extra, dtype=float)[:, :weeks]
        moved = admitted[:, :weeks] + extra
        shortfall = np.where(moved < 0, -moved, 0.0).sum(axis=0)  # (weeks,)
        gains = np.where((moved > 0) & (extra > 0), extra, 0.0)
        total_gain = gains.sum(axis=0)
        keep = np.divide(
            total_gain - shortfall, total_gain, out=np.ones_like(total_gain), where=total_gain > 0
        ).clip(0.0, 1.0)
        admitted[:, :weeks] = np.maximum(moved - gains * (1.0 - keep), 0.0)
    return capacity * (1.0 - share) + admitted
