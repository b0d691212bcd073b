"""Waiting-list forecasts: no look-ahead, the CLI's exact output, calibration and honest bands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ics_capacity.cli import app
from ics_capacity.importers.flows import read_flows
from ics_capacity.projections.forecast import (
    ForecastOptions,
    backtest,
    estimate_flow_rates,
    forecast_waiting_list,
    naive_forecasts,
    summarise_backtest,
)
from ics_capacity.settings import nhs_data_dir

FLOWS = nhs_data_dir() / "waiting_list_flow_by_ics_2020-04_2022-09.csv"
MONTHS = {"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6}
MONTHS |= {"Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12}


@pytest.fixture(scope="module")
def flows() -> pd.DataFrame:
    return read_flows(FLOWS)


def synthetic(months: int = 24, growth: float = 0.01) -> pd.DataFrame:
    periods = pd.date_range("2021-01-01", periods=months, freq="MS")
    waiting = 10_000 * (1 + growth) ** np.arange(months)
    return pd.DataFrame(
        {
            "org": "X",
            "period": periods,
            "new": 1_000,
            "completed": 900,
            "incomplete": waiting.round(),
        }
    )


def run_cli(tmp_path: Path, flows_file: Path, origin: str, horizon: int) -> pd.DataFrame:
    out = tmp_path / f"forecast_{flows_file.stem}.csv"
    result = CliRunner().invoke(
        app,
        [
            "forecast",
            "--flows",
            str(flows_file),
            "--origin",
            origin,
            "--horizon",
            str(horizon),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    return pd.read_csv(out, dtype={"period": str})


def test_cli_writes_the_exact_columns_for_every_system_and_month(tmp_path: Path) -> None:
    """`ics-capacity forecast` writes org,period,forecast,p10,p90 for 22 systems x K months."""
    table = run_cli(tmp_path, FLOWS, "2021-12", 6)
    assert list(table.columns) == ["org", "period", "forecast", "p10", "p90"]
    assert len(table) == 22 * 6
    assert (
        table.groupby("org")["period"]
        .apply(list)
        .map(lambda p: p == ["2022-01", "2022-02", "2022-03", "2022-04", "2022-05", "2022-06"])
        .all()
    )
    assert table[["forecast", "p10", "p90"]].notna().all().all()
    assert (table["p10"] <= table["forecast"]).all() and (table["forecast"] <= table["p90"]).all()


def test_cli_uses_no_data_after_the_origin(tmp_path: Path) -> None:
    """Scrambling every row after the origin (and adding later months) changes nothing."""
    original = run_cli(tmp_path, FLOWS, "2021-09", 4)
    raw = pd.read_csv(FLOWS, dtype=str)
    month = raw["Year"].astype(int) * 12 + raw["Month"].map(MONTHS)
    later = month > 2021 * 12 + 9
    rng = np.random.default_rng(0)
    for column in ("Completed", "Incomplete", "New"):
        raw.loc[later, column] = rng.integers(1, 10**6, later.sum()).astype(str)
    extra = raw[raw["Year"] == "2022"].head(22).assign(Year="2023", Month="Jan")
    scrambled = tmp_path / "scrambled.csv"
    pd.concat([raw, extra]).sample(frac=1.0, random_state=1).to_csv(scrambled, index=False)
    pd.testing.assert_frame_equal(run_cli(tmp_path, scrambled, "2021-09", 4), original)


def test_cli_refuses_a_bad_origin(tmp_path: Path) -> None:
    """An origin not written YYYY-MM is refused with a readable message."""
    arguments = ["forecast", "--flows", str(FLOWS), "--origin", "Sept 21", "--horizon", "3"]
    result = CliRunner().invoke(app, [*arguments, "--out", str(tmp_path / "x.csv")])
    assert result.exit_code != 0
    assert "YYYY-MM" in result.output


def test_a_steady_growth_rate_is_carried_on_with_damping() -> None:
    """A list growing 1% a month is forecast to grow by 0.9%, 0.81%, ... (damping 0.9)."""
    result = forecast_waiting_list(synthetic(), origin="2022-12", horizon_months=3)
    last = synthetic()["incomplete"].iloc[-1]
    expected = last * np.cumprod(1 + 0.01 * 0.9 ** np.arange(1, 4))
    assert np.allclose(result["forecast"], expected, rtol=1e-3)
    assert result["period"].tolist() == ["2023-01", "2023-02", "2023-03"]


def test_a_boundary_change_is_not_taken_for_a_trend() -> None:
    """A one-off 30% drop (a system losing a place) resets the level but not the growth rate."""
    data = synthetic()
    data.loc[20:, "incomplete"] = (data.loc[20:, "incomplete"] * 0.7).round()
    result = forecast_waiting_list(data, origin="2022-12", horizon_months=1)
    last = data["incomplete"].iloc[-1]
    assert result["forecast"].iloc[0] == pytest.approx(last * 1.009, rel=2e-3)


def test_system_never_seen_before_is_forecast_from_its_own_rows() -> None:
    """A file with one new system and little history still gives a forecast and a band."""
    data = synthetic(months=3).assign(org="NEW")
    result = forecast_waiting_list(data, origin="2021-03", horizon_months=2)
    assert result[["forecast", "p10", "p90"]].notna().all().all()
    assert (result["p90"] > result["p10"]).all()


def test_systems_without_data_up_to_the_origin_get_empty_rows() -> None:
    """Every system in the file gets K rows; one with no data by the origin has NaN values."""
    data = pd.concat([synthetic(), synthetic().assign(org="LATE").iloc[12:]])
    result = forecast_waiting_list(data, origin="2021-06", horizon_months=2)
    assert len(result) == 4
    assert result.loc[result["org"] == "LATE", "forecast"].isna().all()
    assert result.loc[result["org"] == "X", "forecast"].notna().all()


def test_naive_forecasts() -> None:
    """No change repeats the last list; last trend adds its last monthly change each month."""
    data = synthetic(growth=0.0)
    data.loc[len(data) - 1, "incomplete"] = 10_100
    naive = naive_forecasts(data, origin="2022-12", horizon_months=2)
    assert naive["no_change"].tolist() == [10_100, 10_100]
    assert naive["last_trend"].tolist() == [10_200, 10_300]


def test_flow_rates_split_the_change_into_demand_completions_and_removals() -> None:
    """1,000 new, 900 completed and a list growing 1% a month leave the rest as removals."""
    data = synthetic()
    rates = estimate_flow_rates(data, origin="2022-12", window_months=3).iloc[0]
    assert rates["new_per_month"] == 1_000
    assert rates["completed_per_month"] == 900
    waiting = data["incomplete"].to_numpy()
    removed = (waiting[-4:-1] + 1_000 - 900 - waiting[-3:]) / waiting[-4:-1]
    assert rates["removal_rate_per_month"] == pytest.approx(removed.mean())
    assert rates["demand_per_week"] == pytest.approx(1_000 * 12 * 7 / 365.25)


def test_options_are_checked() -> None:
    """Impossible settings are refused, all named at once."""
    with pytest.raises(ValueError, match="damping.*coverage"):
        ForecastOptions(damping=0, coverage=1.5)


def test_backtest_beats_the_naive_forecasts_with_a_calibrated_band(flows: pd.DataFrame) -> None:
    """Over 25 rolling origins x 22 systems: lower MAPE than both naive methods, ~80% coverage."""
    table = backtest(flows, horizon_months=6)
    assert (table["horizon"].between(1, 6)).all()
    summary = summarise_backtest(table)
    assert (summary["mape_forecast"] < summary["mape_no_change"]).all()
    assert (summary["mape_forecast"] < summary["mape_last_trend"]).all()
    assert summary["coverage"].between(70, 92).all()
    every = table.groupby("origin")["org"].nunique()
    assert every.eq(22).all()
