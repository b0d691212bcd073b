"""The validation lever through the service: set per specialty, checked, locked, audited."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ics_capacity.db.models import AuditEvent, FigureProvenance, Scenario, ValidationSetting
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth
from ics_capacity.services import scenarios as sc
from ics_capacity.services.comparison import compare_outcomes
from ics_capacity.services.projections import (
    comparison_removal_figures,
    project_scenario,
    projection_headline,
    removal_figures,
)
from ics_capacity.services.scenarios import ConflictError, FieldValueError, ScenarioError
from ics_capacity.services.validation import set_validation_share, validation_settings
from ics_capacity.ui.pages.compare import _outcome_rows
from ics_capacity.ui.pages.dashboard.view import removal_text
from tests.conftest import TEST_PASSWORD


def _baseline(url: str) -> int:
    with unit_of_work(url) as session:
        return session.execute(
            sa.select(Scenario.id).where(Scenario.is_baseline).order_by(Scenario.id)
        ).scalar()


def _draft(url: str, emails: dict[str, str]) -> tuple[str, int]:
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    return manager, sc.create_scenario(manager, _baseline(url), "Validation sprint")


def _row(token: str, scenario: int, tfc: str):
    return {r.tfc: r for r in validation_settings(token, scenario)}[tfc]


def test_every_specialty_starts_at_its_observed_rate(app_db) -> None:
    """Each treatment function of the list is listed with its observed rate and no setting."""
    url, emails = app_db
    manager, draft = _draft(url, emails)
    rows = validation_settings(manager, draft)
    assert rows and all(r.share_percent == "" and r.version == 0 for r in rows)
    assert all(r.observed_percent != "" for r in rows)
    assert all(0 <= float(r.observed_percent) <= 100 for r in rows)
    assert any(r.tfc == "C_110" and r.patients_waiting > 0 for r in rows)


def test_a_share_is_saved_audited_local_copied_and_projected_apart_from_treatment(app_db) -> None:
    """A 40% share removes more by validation, treats no more, and is kept by a branch."""
    url, emails = app_db
    manager, draft = _draft(url, emails)
    before = project_scenario(manager, draft, horizon_weeks=52, runs=2)
    saved = set_validation_share(manager, draft, "C_110", "40", expected_version=0)
    assert saved.share_percent == "40" and saved.version == 1
    again = set_validation_share(manager, draft, "C_110", "45%", expected_version=1)
    assert again.share_percent == "45" and again.version == 2
    after = project_scenario(manager, draft, horizon_weeks=52, runs=2)
    old, new = removal_figures(before), removal_figures(after)
    assert new.removed_by_validation > old.removed_by_validation
    assert new.treated <= old.treated + 1e-6  # validation never adds treatment capacity
    assert "C_110 45.0%" in after.validation_basis
    headline = projection_headline(after)
    assert headline["removed_by_validation"] == pytest.approx(new.removed_by_validation, abs=0.1)
    assert headline["treated"] == pytest.approx(new.treated, abs=0.1)
    with unit_of_work(url) as session:
        audits = session.execute(
            sa.select(AuditEvent.old_value, AuditEvent.new_value).where(
                AuditEvent.scenario_id == draft, AuditEvent.action == "validation.share"
            )
        ).all()
        kind = session.execute(
            sa.select(FigureProvenance.kind).where(
                FigureProvenance.scenario_id == draft,
                FigureProvenance.entity == "validation_setting",
            )
        ).scalar()
    assert ("observed rate", "40%") in [tuple(a) for a in audits]
    assert ("40%", "45%") in [tuple(a) for a in audits]
    assert kind == "local"
    copy = sc.create_scenario(manager, draft, "Validation sprint copy")
    assert _row(manager, copy, "C_110").share_percent == "45"
    # An empty share goes back to the observed rate.
    cleared = set_validation_share(manager, draft, "C_110", "", expected_version=2)
    assert cleared.share_percent == "" and cleared.version == 0


def test_stale_versions_bad_values_unknown_specialties_and_other_roles_are_refused(app_db) -> None:
    """Nothing changes after a refusal; each message names the specialty and the limits."""
    url, emails = app_db
    manager, draft = _draft(url, emails)
    set_validation_share(manager, draft, "C_110", "20", expected_version=0)
    with pytest.raises(ConflictError, match="was changed by manager@bcpc.test"):
        set_validation_share(manager, draft, "C_110", "30", expected_version=0)
    with pytest.raises(ConflictError, match="removed since you opened"):
        set_validation_share(manager, draft, "C_100", "30", expected_version=4)
    for text, message in [
        ("60", "Validation share for C_110: '60' is outside 0 to 50%"),
        ("-1", "outside 0 to 50%"),
        ("lots", "'lots' is not a number"),
        ("nan", "outside 0 to 50%"),
    ]:
        with pytest.raises(FieldValueError, match=message):
            set_validation_share(manager, draft, "C_110", text, expected_version=1)
    with pytest.raises(ScenarioError, match="has no waiting list"):
        set_validation_share(manager, draft, "X99", "10", expected_version=0)
    viewer = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    assert _row(viewer, draft, "C_110").share_percent == "20"
    with pytest.raises(auth.PermissionDeniedError):
        set_validation_share(viewer, draft, "C_110", "30", expected_version=1)
    with pytest.raises(auth.NotSignedInError):
        set_validation_share(None, draft, "C_110", "30", expected_version=1)
    with pytest.raises(ScenarioError):  # the baseline is approved: not editable
        set_validation_share(manager, _baseline(url), "C_110", "30", expected_version=0)
    with unit_of_work(url) as session:
        shares = session.execute(
            sa.select(ValidationSetting.scenario_id, ValidationSetting.share_per_year)
        ).all()
    assert [(s, float(v)) for s, v in shares] == [(draft, 0.2)]


def test_a_plan_that_assumes_more_validation_shows_it_beside_its_comparison(app_db) -> None:
    """40% in C_110 against the baseline's observed rate: the Dashboard's "without the plan",
    the CLI headline, Compare's table and its verdict all give the baseline's removals by
    validation beside the plan's, apart from treatment, with where each rate came from."""
    url, emails = app_db
    manager, draft = _draft(url, emails)
    set_validation_share(manager, draft, "C_110", "40", expected_version=0)
    projection = project_scenario(manager, draft, horizon_weeks=52, runs=2)
    ours, theirs = removal_figures(projection), comparison_removal_figures(projection)
    assert theirs is not None and theirs.removed_by_validation < ours.removed_by_validation
    assert "observed rate" in theirs.basis and "C_110" not in theirs.basis
    more = ours.removed_by_validation - theirs.removed_by_validation

    removal = removal_text(projection)
    assert removal["compared_name"] == "Without the plan (Baseline April 2026)"
    assert (
        f"removed by validation, not treated {theirs.removed_by_validation:,.0f}"
        in (removal["compared"])
    )
    assert f"treated {theirs.treated:,.0f}" in removal["compared"]
    assert removal["compared_basis"] == theirs.basis
    assert f"assumes {more:,.0f} more patients removed by validation" in removal["compared_more"]
    without = projection_headline(projection)["without_plan"]
    assert without["removed_by_validation"] == pytest.approx(theirs.removed_by_validation, abs=0.1)
    assert without["treated"] == pytest.approx(theirs.treated, abs=0.1)

    result = compare_outcomes(manager, [_baseline(url), draft], 52)
    base, plan = result.outcomes
    assert plan.removed_by_validation > base.removed_by_validation
    assert plan.treated <= base.treated + 1e-6  # validation adds no treatment
    assert (base.validation_source, plan.validation_source) == (
        "observed rates",
        "own setting: C_110 40% a year; others observed",
    )
    assert plan.removed_by_validation == pytest.approx(ours.removed_by_validation)  # weeks 1-52
    gap = plan.removed_by_validation - base.removed_by_validation
    assert result.verdict.endswith(
        f"; 'Validation sprint' assumes {gap:,.0f} more patients removed by validation "
        "(not treated) than 'Baseline April 2026'."
    )
    rows, _ = _outcome_rows(result.outcomes)
    labels = {r[0]: r[2:] for r in rows}
    assert labels["Removed by validation, not treated (all pathways, member trusts)"] == [
        f"{base.removed_by_validation:,.0f}",
        f"{plan.removed_by_validation:,.0f}",
    ]
    assert labels["Validation rate from"][1].startswith("own setting: C_110 40%")
