"""The weekly cohort projection: hand-checked steps, conservation every week, Monte Carlo bands."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ics_capacity.domain.codes import WAIT_BANDS
from ics_capacity.projections.cohort import (
    Variation,
    list_measures,
    project,
    simulate,
    tail_sums,
    wait_band_counts,
    wait_percentile_weeks,
)
from ics_capacity.projections.inputs import (
    DEFAULT_VALIDATION_RATE_PER_MONTH,
    ProjectionInput,
    ProjectionInputError,
    ResourcePools,
    projection_input_from_tables,
    resource_pools_from_tables,
    weekly_rate_from_monthly,
)


def bands(**counts: float) -> np.ndarray:
    """A (1, 105) wait-band vector from e.g. bands(b0=10, b3=5)."""
    vector = np.zeros((1, WAIT_BANDS))
    for name, value in counts.items():
        vector[0, int(name[1:])] = value
    return vector


def one_series(waiting: np.ndarray, weeks: int = 1, **kwargs: object) -> ProjectionInput:
    return ProjectionInput.create(
        provider=["RL4"], tfc=["C_110"], waiting=waiting, horizon_weeks=weeks, **kwargs
    )


def band_counts(inp: ProjectionInput, week: int) -> np.ndarray:
    result = project(inp, levels=("series",), snapshot_weeks=(week,))
    return result.levels["series"].bands[week][0]


def test_one_week_by_hand_longest_waiters_first() -> None:
    """Everyone ages a week, 2 join band 0, and 4 treatments go to the longest waiters."""
    inp = one_series(bands(b0=10, b3=5), demand_per_week=2, capacity_per_week=4)
    assert np.allclose(band_counts(inp, 1), bands(b0=2, b1=10, b4=1)[0])


def test_capacity_beyond_the_longest_band_moves_on_to_the_next() -> None:
    """Capacity of 8 empties band 4 (5 patients) and takes 3 of band 1's 10."""
    inp = one_series(bands(b0=10, b3=5), demand_per_week=2, capacity_per_week=8)
    assert np.allclose(band_counts(inp, 1), bands(b0=2, b1=7)[0])


def test_clinically_urgent_patients_are_treated_first_from_the_shortest_waits() -> None:
    """Half of 4 new patients are urgent: 2 treated from band 0, the last 1 of 3 from the top."""
    inp = one_series(bands(b0=10, b3=5), demand_per_week=4, capacity_per_week=3, priority_share=0.5)
    assert np.allclose(band_counts(inp, 1), bands(b0=2, b1=10, b4=4)[0])


def test_urgent_treatment_never_exceeds_capacity() -> None:
    """With capacity 1 and 2 urgent patients, only 1 is treated and no long waiter is."""
    inp = one_series(bands(b3=5), demand_per_week=4, capacity_per_week=1, priority_share=0.5)
    assert np.allclose(band_counts(inp, 1), bands(b0=3, b4=5)[0])


def test_validation_removes_the_same_share_of_every_band() -> None:
    """A 10% weekly removal rate and no treatment leaves 90% of every (aged) band."""
    inp = one_series(
        bands(b0=10, b50=20), demand_per_week=0, capacity_per_week=0, validation_rate_per_week=0.1
    )
    assert np.allclose(band_counts(inp, 1), bands(b1=9, b51=18)[0])


def test_over_104_weeks_band_keeps_its_patients_and_takes_band_103() -> None:
    """Band 104 is open-ended: after a week it holds its own patients and band 103's."""
    inp = one_series(bands(b102=1, b103=2, b104=3), demand_per_week=0, capacity_per_week=0)
    assert np.allclose(band_counts(inp, 1), bands(b103=1, b104=5)[0])


def test_the_list_empties_but_never_goes_negative() -> None:
    """Capacity far above the list treats everyone and leaves zero, not a negative list."""
    inp = one_series(bands(b0=3, b40=2), weeks=3, demand_per_week=1, capacity_per_week=100)
    frame = project(inp).frame("series")
    assert frame["list_size"].iloc[1:].eq(0).all()
    assert frame["treated"].iloc[1:].tolist() == [6.0, 1.0, 1.0]


def test_measures_by_hand() -> None:
    """20 patients, 10 in band 0 and 10 in band 1: median 1.0 week, 92nd percentile 1.84."""
    tail = tail_sums(bands(b0=10, b1=10))
    measures = list_measures(tail)
    assert measures["list_size"][0] == 20
    assert measures["pct_within_18"][0] == 100
    assert measures["median_wait_weeks"][0] == pytest.approx(1.0)
    assert measures["p92_wait_weeks"][0] == pytest.approx(1.84)


def test_long_wait_counts_and_18_week_share_by_hand() -> None:
    """Bands 17, 18, 52, 65, 78 and 104 split the list as the RTT definitions say."""
    tail = tail_sums(bands(b17=1, b18=2, b52=3, b65=4, b78=5, b104=6))
    measures = list_measures(tail)
    assert measures["within_18"][0] == 1
    assert measures["pct_within_18"][0] == pytest.approx(100 / 21)
    assert measures["over_52"][0] == 18
    assert measures["over_65"][0] == 15
    assert measures["over_78"][0] == 11
    assert measures["over_104"][0] == 6
    # 10 patients wait under 66 weeks; the 10.5th is half a patient into band 78 (of 5).
    assert measures["median_wait_weeks"][0] == pytest.approx(78 + 0.5 / 5)


def test_percentile_in_the_open_band_is_104_and_empty_list_is_nan() -> None:
    """A list all over 104 weeks has median 104; an empty list has no percentile."""
    waits = wait_percentile_weeks(tail_sums(np.vstack([bands(b104=5), bands()])), 0.5)
    assert waits[0] == 104
    assert np.isnan(waits[1])


def test_tail_sums_and_band_counts_invert() -> None:
    """Turning bands into tail sums and back gives the bands."""
    waiting = np.random.default_rng(3).gamma(1.0, 10.0, size=(4, WAIT_BANDS))
    assert np.allclose(wait_band_counts(tail_sums(waiting)), waiting)


series_inputs = st.integers(min_value=1, max_value=5).flatmap(
    lambda s: st.tuples(
        arrays(np.float64, (s, WAIT_BANDS), elements=st.floats(0, 50)),
        arrays(np.float64, (s, 12), elements=st.floats(0, 80)),
        arrays(np.float64, (s, 12), elements=st.floats(0, 120)),
        arrays(np.float64, (s,), elements=st.floats(0, 0.2)),
        arrays(np.float64, (s,), elements=st.floats(0, 1)),
    )
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(series_inputs)
def test_patients_are_conserved_every_week(data: tuple[np.ndarray, ...]) -> None:
    """Every week, at every level: waiting = waiting last week + joined - treated - validated."""
    waiting, demand, capacity, validation, priority = data
    s = waiting.shape[0]
    inp = ProjectionInput.create(
        provider=[f"P{i % 2}" for i in range(s)],
        tfc=[f"C_1{i % 3}0" for i in range(s)],
        waiting=waiting,
        demand_per_week=demand,
        capacity_per_week=capacity,
        horizon_weeks=12,
        validation_rate_per_week=validation,
        priority_share=priority,
    )
    result = project(inp)
    for level, keys in (
        ("series", []),
        ("provider", ["provider"]),
        ("tfc", ["tfc"]),
        ("total", []),
    ):
        measures = result.levels[level].measures
        size = measures["list_size"]
        expected = size[:, :-1] + measures["demand"][:, 1:]
        expected -= measures["treated"][:, 1:] + measures["validated"][:, 1:]
        assert np.allclose(size[:, 1:], expected, rtol=1e-9, atol=1e-7), (level, keys)
        assert (size >= -1e-9).all()
    series = result.levels["series"].measures
    assert (series["treated"][:, 1:] <= capacity + 1e-9).all()
    assert np.allclose(series["list_size"][:, 0], waiting.sum(axis=1))


def test_levels_add_up_to_the_total() -> None:
    """Providers, treatment functions and series all sum to the total list every week."""
    inp = _collaborative(weeks=20)
    result = project(inp)
    total = result.levels["total"].measures["list_size"][0]
    for level in ("provider", "tfc", "series"):
        summed = result.levels[level].measures["list_size"].sum(axis=0)
        assert np.allclose(summed, total, rtol=1e-12)


def test_frames_have_one_row_per_unit_and_week_with_dates() -> None:
    """Frames carry keys, week 0..W, the week's start date and every measure."""
    inp = _collaborative(weeks=10)
    frame = project(inp).frame("provider")
    assert len(frame) == 2 * 11
    assert frame["week_start"].iloc[1] - frame["week_start"].iloc[0] == pd.Timedelta(days=7)
    assert {"provider", "week", "list_size", "p92_wait_weeks", "treated"} <= set(frame.columns)
    assert frame.loc[frame["week"] == 0, "treated"].isna().all()


def test_utilisation_by_hand() -> None:
    """Treated x admitted share x minutes per case over each pool's session minutes."""
    pools = ResourcePools(
        names=("Hub", "Main"),
        theatre_minutes_per_week=np.array([1000.0, 0.0]),
        theatre_utilisation_target=np.array([0.85, 0.85]),
        bed_days_per_week=np.array([70.0, 70.0]),
        bed_occupancy_target=np.array([0.92, 0.92]),
        share=np.array([[0.75, 0.25]]),
    )
    inp = one_series(
        bands(b30=100),
        weeks=2,
        demand_per_week=0,
        capacity_per_week=10,
        admitted_share=0.5,
        minutes_per_case=100,
        length_of_stay_days=4,
        day_case_rate=0.5,
        pools=pools,
    )
    frame = project(inp).utilisation_frame()
    week_1 = frame[frame["week"] == 1].set_index("pool")
    assert week_1.loc["Hub", "theatre_minutes_used"] == pytest.approx(10 * 0.5 * 100 * 0.75)
    assert week_1.loc["Hub", "theatre_utilisation"] == pytest.approx(0.375)
    assert np.isnan(week_1.loc["Main", "theatre_utilisation"])  # no theatre minutes there
    assert week_1.loc["Main", "bed_occupancy"] == pytest.approx(10 * 0.5 * 0.5 * 4 * 0.25 / 70)


def test_monte_carlo_median_equals_the_deterministic_run_without_variation() -> None:
    """With no variation every run is the deterministic run, so p10 = p50 = p90 = it (to 1e-12)."""
    inp = _collaborative(weeks=30)
    deterministic = project(inp, levels=("total", "provider", "tfc"))
    mc = simulate(
        inp,
        runs=40,
        rng=np.random.default_rng(1),
        variation=Variation(),
        levels=("total", "provider", "tfc"),
    )
    for level in ("total", "provider", "tfc"):
        for name, values in deterministic.levels[level].measures.items():
            quantiles = mc.levels[level].measures[name]
            for q in range(3):
                np.testing.assert_allclose(
                    quantiles[q], values, rtol=1e-12, atol=1e-9, err_msg=f"{level} {name}"
                )


def test_monte_carlo_is_reproducible_and_its_bands_are_ordered() -> None:
    """The same seed gives the same bands; p10 <= p50 <= p90, and variation widens the band."""
    inp = _collaborative(weeks=26)
    variation = Variation(demand_cv_weekly=0.1, demand_cv_level=0.05, capacity_cv_weekly=0.1)
    first = simulate(inp, runs=200, rng=np.random.default_rng(7), variation=variation)
    second = simulate(inp, runs=200, rng=np.random.default_rng(7), variation=variation)
    frame = first.frame()
    pd.testing.assert_frame_equal(frame, second.frame())
    sizes = frame[frame["metric"] == "list_size"]
    assert (sizes["p10"] <= sizes["p50"] + 1e-9).all()
    assert (sizes["p50"] <= sizes["p90"] + 1e-9).all()
    assert (sizes["p90"] - sizes["p10"]).iloc[-1] > 0


def test_monte_carlo_median_tracks_the_deterministic_run() -> None:
    """With modest noise the median list stays within 2% of the deterministic projection."""
    inp = _collaborative(weeks=52)
    deterministic = project(inp, levels=("total",)).levels["total"].measures["list_size"][0]
    mc = simulate(
        inp,
        runs=300,
        rng=np.random.default_rng(11),
        variation=Variation(demand_cv_weekly=0.1, capacity_cv_weekly=0.1),
    )
    median = mc.levels["total"].measures["list_size"][1, 0]
    assert np.allclose(median, deterministic, rtol=0.02)


def test_bad_inputs_are_all_reported() -> None:
    """Negative waits, shares above 1 and a wrong band count are reported together."""
    with pytest.raises(ProjectionInputError) as error:
        ProjectionInput.create(
            provider=["A"],
            tfc=["C_110"],
            waiting=-np.ones((1, WAIT_BANDS)),
            demand_per_week=1,
            capacity_per_week=1,
            horizon_weeks=4,
            priority_share=1.5,
        )
    text = str(error.value)
    assert "waiting must be finite and 0 or more" in text
    assert "priority_share must be a share between 0 and 1" in text
    with pytest.raises(ProjectionInputError, match=r"expected \(1, 105\)"):
        one_series(np.zeros((1, 104)), demand_per_week=1, capacity_per_week=1)


def test_input_from_table_shaped_frames() -> None:
    """Waiting list and RTT activity rows become series with weekly rates and validation."""
    waiting_list = pd.DataFrame(
        {
            "organisation_id": [1, 1, 1, 2],
            "tfc": ["C_110", "C_110", "C_110", "C_130"],
            "part": ["Part_2", "Part_2", "Part_2A", "Part_2"],
            "wait_band_weeks": [0, 52, 0, 3],
            "patients": [10, 5, 99, 7],
        }
    )
    activity = pd.DataFrame(
        {
            "organisation_id": [1, 1, 2],
            "tfc": ["C_110", "C_110", "C_130"],
            "period": [dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 4, 1)],
            "new_clock_starts": [310, 300, 60],
            "completed_admitted": [100, 90, 0],
            "completed_non_admitted": [210, 210, 30],
            "waiting_total": [1000, 970, 7],
        }
    )
    case_mix = pd.DataFrame(
        {
            "tfc": ["C_110"],
            "minutes_per_case": [100],
            "length_of_stay_days": [3.0],
            "day_case_rate": [0.7],
        }
    )
    inp = projection_input_from_tables(
        waiting_list, activity, horizon_weeks=8, months=2, case_mix=case_mix
    )
    assert inp.provider.tolist() == [1, 2]
    assert inp.waiting[0, 0] == 10 and inp.waiting[0, 52] == 5  # Part_2A left out
    assert inp.demand_per_week[0, 0] == pytest.approx((310 + 300) / (31 + 30) * 7)
    assert inp.capacity_per_week[1, 0] == pytest.approx(30 / 30 * 7)
    assert inp.admitted_share[0] == pytest.approx(190 / 610)
    # April: 1000 + 300 - 300 - 970 = 30 removed of 1000, 3% a month.
    assert inp.validation_rate_per_week[0, 0] == pytest.approx(weekly_rate_from_monthly(0.03))
    default = weekly_rate_from_monthly(DEFAULT_VALIDATION_RATE_PER_MONTH)
    assert inp.validation_rate_per_week[1, 0] == pytest.approx(default)
    assert inp.minutes_per_case.tolist() == [100, 0]


def test_pools_split_a_providers_work_over_its_sites_by_theatre_minutes() -> None:
    """A provider's orthopaedics goes to its two sites in proportion to their theatre minutes."""
    keys = pd.DataFrame({"provider": [1, 1, 2], "tfc": ["C_110", "C_130", "C_110"]})
    sites = pd.DataFrame(
        {"id": [10, 11, 12], "name": ["Hub", "Main", "Other"], "operator_id": [1, 1, 2]}
    )
    site_tfcs = pd.DataFrame(
        {"site_id": [10, 11, 11, 12], "tfc": ["C_110", "C_110", "C_130", "C_110"]}
    )
    theatres = pd.DataFrame(
        {
            "site_id": [10, 11, 12],
            "theatres": [3, 1, 1],
            "sessions_per_week": [10, 10, 10],
            "session_minutes": [240, 240, 240],
            "utilisation_target": [0.85, 0.85, 0.85],
        }
    )
    beds = pd.DataFrame(
        {"site_id": [10, 11, 12], "elective_overnight_beds": [20, 10, 5], "occupancy_target": 0.92}
    )
    pools = resource_pools_from_tables(
        keys,
        sites=sites,
        site_treatment_functions=site_tfcs,
        theatre_capacity=theatres,
        bed_capacity=beds,
    )
    assert np.allclose(pools.share, [[0.75, 0.25, 0], [0, 1, 0], [0, 0, 1]])
    assert pools.theatre_minutes_per_week.tolist() == [7200, 2400, 2400]
    assert pools.bed_days_per_week.tolist() == [140, 70, 35]


def test_more_capacity_never_lengthens_the_list() -> None:
    """A 10% capacity increase gives a list no larger, and no more long waiters, every week."""
    inp = _collaborative(weeks=52)
    more = dataclasses.replace(inp, capacity_per_week=inp.capacity_per_week * 1.1)
    base = project(inp, levels=("series",)).levels["series"].measures
    plan = project(more, levels=("series",)).levels["series"].measures
    assert (plan["list_size"] <= base["list_size"] + 1e-9).all()
    assert (plan["over_52"] <= base["over_52"] + 1e-9).all()


def _collaborative(weeks: int) -> ProjectionInput:
    rng = np.random.default_rng(5)
    s = 6
    waiting = rng.gamma(2.0, 40.0, size=(s, WAIT_BANDS)) * np.exp(-np.arange(WAIT_BANDS) / 25)
    return ProjectionInput.create(
        provider=["RL4", "RL4", "RL4", "RNA", "RNA", "RNA"],
        tfc=["C_110", "C_130", "C_100", "C_110", "C_130", "C_100"],
        waiting=waiting,
        demand_per_week=waiting.sum(axis=1) / 25,
        capacity_per_week=waiting.sum(axis=1) / 24,
        horizon_weeks=weeks,
        validation_rate_per_week=0.006,
        priority_share=0.1,
        start_date=dt.date(2026, 4, 27),
    )
