"""The catalogue of measures, and the rebalancing plan at the who-moves-where grain."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from ics_capacity.domain import hub_standards
from ics_capacity.domain.measures import (
    BY_KEY,
    MEASURES,
    Pathways,
    Providers,
    Utilisation,
    When,
    label,
    measure,
)
from ics_capacity.domain.utilisation import BED_CAP_LABEL, THEATRE_CAP_LABEL, UTILISATION_WORDS
from ics_capacity.services.capacity import EDITABLE_FIELDS
from ics_capacity.services.overview import WaitingCounts
from ics_capacity.services.rebalance_view import (
    PlanNames,
    describe_plan,
    moves_sentence,
    wait_group,
    who_moves_where,
)
from ics_capacity.services.results import RebalanceResult
from solvers.common import SolveStats, Status
from solvers.rebalance.schema import PlanRow, QueueOutcome, RebalanceSettings


def test_every_measure_has_a_unique_key_and_label_and_says_what_it_counts() -> None:
    assert len(BY_KEY) == len(MEASURES)
    assert len({m.label for m in MEASURES}) == len(MEASURES), "two measures share a label"
    for m in MEASURES:
        assert m.definition.endswith(".") and len(m.definition) < 300, m.key
        assert m.source and m.label
        assert m.scope in m.tooltip and m.definition in m.tooltip


def test_labels_say_the_population_when_pages_count_different_ones() -> None:
    members, system = measure("waiting_list"), measure("waiting_list_all_providers")
    assert (members.providers, system.providers) == (Providers.MEMBERS, Providers.ALL_PROVIDERS)
    assert "member trusts" in members.label and "all providers" in system.label
    admitted = measure("plan_waiting_start")
    assert admitted.pathways == Pathways.ADMITTED_PLANNED and "admitted" in admitted.label.lower()
    # the same name at another time is another measure
    assert measure("over_52_weeks").when == When.NOW
    assert measure("projected_over_52_weeks").when == When.HORIZON
    assert measure("plan_over_52_end").when == When.PLAN_END


def test_utilisation_says_whether_it_is_capped() -> None:
    assert measure("theatre_utilisation").utilisation == Utilisation.UNCAPPED
    assert measure("hub_use").utilisation == Utilisation.CAPPED
    assert "(capped)" in label("hub_use") and "(uncapped)" in label("theatre_utilisation")


def test_every_utilisation_figure_names_its_one_definition() -> None:
    """A label about utilisation, occupancy or the cap says capped or uncapped, and its tooltip
    gives the app's one definition of that word (issue 15 §3)."""
    for m in MEASURES:
        if re.search(r"utilisation|occupan|occupied|\bcap\b|hours a week", m.label.lower()):
            assert m.utilisation is not None, m.key
        if m.utilisation is not None:
            assert m.label.endswith(f"({m.utilisation.value})"), m.key
            assert UTILISATION_WORDS[m.utilisation].rstrip(".") in m.tooltip, m.key


def test_capped_means_one_thing_in_the_app() -> None:
    """The measures and the hub standards use the same enum and the same words."""
    assert Utilisation is hub_standards.UtilisationDefinition
    assert "cannot exceed 100%" in UTILISATION_WORDS[Utilisation.CAPPED]
    assert "overruns included" in UTILISATION_WORDS[Utilisation.UNCAPPED]
    assert THEATRE_CAP_LABEL == "Theatre utilisation cap (capped)"
    assert BED_CAP_LABEL == "Bed occupancy cap (capped)"
    assert EDITABLE_FIELDS["utilisation_target"].label == THEATRE_CAP_LABEL
    assert EDITABLE_FIELDS["occupancy_target"].label == BED_CAP_LABEL


def test_unknown_measure_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        measure("waiting")


@pytest.mark.parametrize(
    ("band", "group"),
    [(0, "under 18 weeks"), (17, "under 18 weeks"), (18, "18 to 40 weeks"), (45, "40 to 52 weeks")]
    + [(52, "52 weeks or more"), (110, "52 weeks or more")],
)
def test_wait_groups(band: int, group: str) -> None:
    assert wait_group(band) == group


def _row(provider: str, hub: str, week: int, band: int, patients: float, **kw) -> PlanRow:
    return PlanRow(
        provider=provider,
        tfc="C_110",
        hub=hub,
        week=week,
        wait_band_weeks=band,
        patients=patients,
        transfer=hub != "MANOR",
        travel_minutes=0.0 if hub == "MANOR" else 25.0,
        **kw,
    )


def _result() -> RebalanceResult:
    queue = QueueOutcome(
        provider="RBK",
        tfc="C_110",
        weekly_demand=50.0,
        waiting_at_start=2000.0,
        treated=1600.0,
        waiting_at_end=2300.0,
        pressure_at_start=3.0,
        pressure_at_end=2.5,
        target_queue_size=225.0,
        relief_capacity_per_week=100.0,
        long_waiters_at_end={52: 0.0},
        reachable_hubs=["MANOR", "CANNOCK"],
    )
    return RebalanceResult(
        stats=SolveStats(
            status=Status.OPTIMAL, wall_seconds=1.0, time_limit_seconds=5, num_workers=1, seed=0
        ),
        settings=RebalanceSettings(horizon_weeks=8),
        queues=[queue],
        plan=[
            # May 2026 starts on the 1st: weeks 1-4 start in May, week 5 on 29 May, week 6 in June
            _row("RBK", "CANNOCK", 1, 45, 300.0),
            _row("RBK", "CANNOCK", 2, 46, 400.0),
            _row("RBK", "CANNOCK", 6, 47, 700.0),
            _row("RBK", "CANNOCK", 2, 20, 10.0),
            _row("RBK", "MANOR", 1, 60, 50.0),
        ],
    )


NAMES = PlanNames(
    trusts={"RBK": "Walsall Healthcare NHS Trust"},
    sites={"CANNOCK": "Cannock Chase Hospital", "MANOR": "Walsall Manor Hospital"},
    start=dt.date(2026, 5, 1),
    members=WaitingCounts(waiting_list=27_974, admitted_list=4_000),
)


def test_who_moves_where_adds_up_cohorts_by_trust_site_month_and_wait_band() -> None:
    moves = who_moves_where(_result(), NAMES)
    assert moves["patients"].sum() == pytest.approx(1460.0)
    cannock = moves[(moves["site_code"] == "CANNOCK") & (moves["wait_band"] == "40 to 52 weeks")]
    by_month = dict(zip(cannock["month"], cannock["patients"], strict=True))
    assert by_month == {dt.date(2026, 5, 1): 700.0, dt.date(2026, 6, 1): 700.0}
    assert set(cannock["travel_minutes"]) == {25}
    assert set(moves.loc[moves["site_code"] == "MANOR", "moved"]) == {"no"}
    moved = who_moves_where(_result(), NAMES, moved_only=True)
    assert set(moved["moved"]) == {"yes"} and moved["patients"].sum() == pytest.approx(1410.0)


def test_the_sentence_names_the_biggest_cohort_in_words() -> None:
    moved = who_moves_where(_result(), NAMES, moved_only=True)
    assert moves_sentence(moved) == (
        "About 1,400 patients of Walsall Healthcare NHS Trust's Trauma and Orthopaedics list "
        "who have waited 40 to 52 weeks go to Cannock Chase Hospital from May 2026 (25 minutes' "
        "travel); in all the plan moves 1,410 patients."
    )
    assert moves_sentence(moved.iloc[0:0]) == ""


def test_the_view_states_its_scope_and_why_a_list_grows() -> None:
    view = describe_plan(_result(), NAMES)
    assert "2,000 patients at the start, of 4,000" in view.scope
    assert "27,974" in view.scope and "week 8" in view.scope
    (trust,) = view.providers
    assert trust["provider"] == "Walsall Healthcare NHS Trust"
    assert trust["demand"] == "50" and trust["why"].startswith("Grows by 300")
    assert view.moves[0]["site"] == "Cannock Chase Hospital"
