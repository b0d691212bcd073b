"""A scenario's capacity and saved plan change its projection; `ics-capacity project` shows it."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from ics_capacity.cli import app
from ics_capacity.db.models import Organisation, RttActivity, Scenario, Site, SiteTreatmentFunction
from ics_capacity.db.session import unit_of_work
from ics_capacity.projections.inputs import weekly_flows_from_activity
from ics_capacity.services import auth, jobs
from ics_capacity.services.capacity import read_site_capacity, update_site_capacity
from ics_capacity.services.projections import project_scenario
from ics_capacity.services.rebalance import save_plan_as_scenario
from ics_capacity.services.scenarios import create_scenario
from tests.conftest import TEST_PASSWORD

runner = CliRunner()
WEEKS = 26


@pytest.fixture
def demo(app_db):
    """The seeded demo with a signed-in manager; jobs run only when a test runs them."""
    url, emails = app_db
    jobs.set_dispatcher(lambda job_id: None)
    with unit_of_work(url) as session:
        baseline = session.execute(sa.select(Scenario.id).where(Scenario.is_baseline)).scalar()
    yield url, auth.sign_in(emails["manager"], TEST_PASSWORD), baseline
    jobs.set_dispatcher(None)


def _treated(projection, provider: int | None = None) -> pd.Series:
    frame = (
        projection.frame("total")
        if provider is None
        else projection.frame("provider").query(f"provider == {provider}")
    )
    return frame.set_index("week")["treated"]


def _rl4_admitted_at_cannock_a_week(url: str, scenario_id: int) -> tuple[int, float]:
    """RL4's admitted completions a week (published, last 3 months) in Cannock's specialties."""
    with unit_of_work(url) as session:
        rl4 = session.execute(sa.select(Organisation.id).where(Organisation.ods_code == "RL4"))
        rl4_id = rl4.scalar_one()
        cannock_tfcs = set(
            session.execute(
                sa.select(SiteTreatmentFunction.tfc)
                .join(Site, Site.id == SiteTreatmentFunction.site_id)
                .where(Site.scenario_id == scenario_id, Site.code == "CANNOCK")
            ).scalars()
        )
        rows = session.execute(
            sa.select(RttActivity.__table__).where(
                RttActivity.scenario_id == scenario_id, RttActivity.organisation_id == rl4_id
            )
        )
        activity = pd.DataFrame(rows.mappings().all())
    flows = weekly_flows_from_activity(activity).reset_index()
    flows = flows[flows["tfc"].isin(cannock_tfcs)]
    return rl4_id, float((flows["capacity_per_week"] * flows["admitted_share"]).sum())


def test_a_fifth_more_sessions_at_cannock_treat_a_fifth_more_of_its_work(demo) -> None:
    """Cannock 15 -> 18 sessions (theatres bind there): RL4 treats more, by the capacity ratio.

    Hand calculation: RL4's work in Cannock's specialties is split between Cannock and New Cross
    by scheduled theatre minutes, 10 x 15 x 240 = 36,000 against 8 x 10 x 240 = 19,200, so
    Cannock does 36,000 / 55,200 = 65.2% of it. Theatre minutes bind at Cannock (headroom 2.77
    against 3.74 for beds, still 3.32 < 3.74 after the change). The series' resource capacity is
    Cannock's part plus New Cross's, and only Cannock's grows by 20%, so RL4's admitted treatment
    in those specialties grows by more than 0.2 x 65.2% (New Cross no more spare than Cannock)
    and less than 0.2 x 100% (all of it at Cannock). Other trusts are unchanged.
    """
    url, manager, baseline = demo
    more = create_scenario(manager, baseline, "More Cannock sessions")
    row = next(r for r in read_site_capacity(manager, more) if r.code == "CANNOCK")
    update_site_capacity(manager, more, row.site_id, "sessions_per_week", "18", row.theatre_version)

    before = project_scenario(manager, baseline, horizon_weeks=WEEKS, runs=10)
    after = project_scenario(manager, more, horizon_weeks=WEEKS, runs=10)

    rl4, admitted = _rl4_admitted_at_cannock_a_week(url, baseline)
    expected = 0.2 * 36_000 / 55_200 * admitted  # 28 a week
    rise = _treated(after.deterministic, rl4) - _treated(before.deterministic, rl4)
    assert expected < rise.loc[1] < 0.2 * admitted  # 34 a week, between 28 and 43
    assert expected > 20  # a visible change
    others = [p for p in after.names if p != rl4]
    for provider in others:
        assert _treated(after.deterministic, provider).loc[1] == pytest.approx(
            _treated(before.deterministic, provider).loc[1]
        )
    total_after, total_before = (p.deterministic.frame("total") for p in (after, before))
    assert total_after["list_size"].iloc[0] == total_before["list_size"].iloc[0]
    assert total_after["list_size"].iloc[-1] < total_before["list_size"].iloc[-1] - 10 * expected
    assert after.comparison == "Compared with its parent scenario, 'Baseline April 2026'"
    assert after.baseline is not None
    assert after.baseline.frame("total")["list_size"].tolist() == pytest.approx(
        total_before["list_size"].tolist()
    )
    assert any("admitted treatment" in note for note in after.notes)


def test_a_saved_plan_treats_its_extra_patients_for_its_weeks_then_falls_back(demo) -> None:
    """Weeks 1-12 treat the plan's patients beyond the no-collaboration plan; then today's rate.

    The baseline, on which the optimiser ran, still projects on published activity.
    """
    url, manager, baseline = demo
    before = project_scenario(manager, baseline, horizon_weeks=WEEKS, runs=10)
    job = jobs.start_job(manager, baseline, "rebalance", {"weeks": 12, "time_limit_seconds": 30})
    assert jobs.run_job(job).status == "done"
    plan = save_plan_as_scenario(manager, baseline, "Saved plan")
    stored = jobs.job_view(manager, job, with_result=True).rebalance
    assert stored is not None
    result = stored.model_dump(mode="json")
    rows = pd.DataFrame(result["plan"])
    alone = pd.DataFrame(
        next(b for b in result["baselines"] if b["name"] == "no_collaboration")["plan"]
    )
    extra = rows.groupby("week")["patients"].sum() - alone.groupby("week")["patients"].sum()

    projection = project_scenario(manager, plan, horizon_weeks=WEEKS, runs=10)
    baseline_now = project_scenario(manager, baseline, horizon_weeks=WEEKS, runs=10)

    assert projection.baseline_name == "Baseline April 2026"
    rise = _treated(projection.deterministic) - _treated(projection.baseline)
    assert rise.loc[1:12].tolist() == pytest.approx(extra.loc[1:12].tolist(), rel=0.02)
    assert extra.sum() > 100
    # After week 12 the same capacity: the same treated, except where the plan has left a list
    # too short to use it all.
    assert (rise.loc[13:] < 1e-6).all() and (rise.loc[13:].abs() < 1e-6).mean() > 0.8
    total = projection.deterministic.frame("total")["list_size"]
    without = projection.baseline.frame("total")["list_size"]
    assert total.iloc[0] == without.iloc[0] and total.iloc[-1] < without.iloc[-1]
    assert any("holds a rebalancing plan for 12 weeks" in note for note in projection.notes)
    if (
        ~rows["hub"].isin(["CANNOCK", "SANDWELL", "MANOR", "NEWCROSS", "RUSSELLS", "MIDMET"])
    ).any():
        assert any("independent-sector" in note for note in projection.notes)
    assert baseline_now.deterministic.frame("total")["list_size"].tolist() == pytest.approx(
        before.deterministic.frame("total")["list_size"].tolist()
    )


def test_cli_prints_the_dashboard_headline_with_and_without_the_plan(demo) -> None:
    """`project SCENARIO --json`: the dashboard's figures at the horizon, a band, the parent's."""
    url, manager, baseline = demo
    more = create_scenario(manager, baseline, "More Cannock theatres")
    row = next(r for r in read_site_capacity(manager, more) if r.code == "CANNOCK")
    update_site_capacity(manager, more, row.site_id, "theatres", "12", row.theatre_version)

    result = runner.invoke(app, ["project", str(more), "--weeks", str(WEEKS), "--json"])
    assert result.exit_code == 0, result.output
    headline = json.loads(result.stdout)
    dashboard = project_scenario(manager, more, horizon_weeks=WEEKS)
    end = dashboard.deterministic.frame("total").iloc[-1]
    keys = ("waiting_list", "within_18_weeks", "over_52_weeks", "over_65_weeks", "over_78_weeks")
    for key in keys:
        figure = headline[key]
        assert set(figure) == {"median", "p10", "p90"}
        assert figure["p10"] <= figure["p90"]
        assert set(headline["without_plan"][key]) == {"median", "p10", "p90"}
    assert headline["waiting_list"]["median"] == pytest.approx(end["list_size"])
    assert headline["within_18_weeks"]["median"] == pytest.approx(end["pct_within_18"] / 100)
    assert 0 < headline["within_18_weeks"]["p10"] <= headline["within_18_weeks"]["p90"] < 1
    assert headline["over_52_weeks"]["median"] == pytest.approx(end["over_52"])
    assert headline["without_plan"]["scenario"] == "Baseline April 2026"
    assert headline["waiting_list"]["median"] < headline["without_plan"]["waiting_list"]["median"]

    base = json.loads(
        runner.invoke(app, ["project", str(baseline), "--weeks", "26", "--json"]).stdout
    )
    assert base["without_plan"] is None
    assert base["waiting_list"]["median"] == pytest.approx(
        headline["without_plan"]["waiting_list"]["median"]
    )
    text = runner.invoke(app, ["project", str(more), "--weeks", str(WEEKS)])
    assert (
        text.exit_code == 0
        and "Within 18 weeks" in text.stdout
        and "without the plan" in text.stdout
    )
    missing = runner.invoke(app, ["project", "999999"])
    assert missing.exit_code == 1 and "999999" in missing.output
