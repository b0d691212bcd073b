"""Run results cross the job row as JSON and come back as the same frozen, typed models."""

from __future__ import annotations

import json

import pydantic
import pytest

from ics_capacity.db.models import SolveJob
from ics_capacity.domain.errors import ServiceError
from ics_capacity.services.job_kinds import view_of
from ics_capacity.services.results import (
    Assignment,
    Cell,
    ComplianceRow,
    CostLine,
    GapCost,
    HardViolation,
    LimitRow,
    LockRow,
    RebalanceResult,
    RotaCost,
    RotaOutcome,
    RotaRunSettings,
    RotaStats,
    SessionRow,
    ShiftMeta,
    StaffRow,
    StoredResultError,
    stored_rebalance,
    stored_result,
    stored_rota,
)
from ics_capacity.services.rota import outcome_with_lock
from solvers.common import SolveStats, Status
from solvers.rebalance.schema import TrustMeasures, TrustOutcome


def _outcome() -> RotaOutcome:
    """A two-day rota of one scrub practitioner, locked off on day 2, one place short."""
    return RotaOutcome(
        settings=RotaRunSettings(
            start_date="2027-01-04",
            weeks=1,
            site_codes=("SANDWELL",),
            rule_pack="uk_default",
            soft_rules=False,
            demand="timetable",
            time_limit_seconds=20.0,
            num_workers=2,
            seed=0,
        ),
        dates=("2027-01-04", "2027-01-05"),
        shifts={
            "SANDWELL-AM": ShiftMeta(
                site="SANDWELL",
                site_name="Sandwell",
                kind="AM",
                label="Sandwell: Morning list",
                start="08:00",
                end="13:00",
                minutes=300,
            )
        },
        staff=(
            StaffRow(
                code="S001",
                label="Scrub 1",
                role="scrub_practitioner",
                grade="Band 5",
                trust="RXK",
                home_site="SANDWELL",
                employment="substantive",
                contract="agenda_for_change",
                hourly_cost_pence=2500,
                cells=(
                    Cell(shift="SANDWELL-AM", locked=False, leave=False),
                    Cell(shift="", locked=True, leave=False),
                ),
                minutes=300,
            ),
        ),
        assignments=(Assignment(staff_id="S001", day=0, shift_id="SANDWELL-AM"),),
        locked=(LockRow(staff_id="S001", day=1, shift_id=None),),
        sessions=(
            SessionRow(
                site="SANDWELL",
                day=0,
                kind="AM",
                skill="scrub_practitioner",
                role="scrub_practitioner",
                required=2,
                staffed=1,
                short=1,
                agency_pence=9000,
            ),
        ),
        compliance=(
            ComplianceRow(
                rule="One shift a day",
                family="one_shift_per_day",
                mode="hard",
                breaches=0,
                at_limit=0,
            ),
        ),
        cost=RotaCost(
            substantive=CostLine(shifts=1, hours=5.0, pence=12500),
            bank=CostLine(),
            agency_gaps=GapCost(places=1, pence=9000),
            gaps_by_role={"scrub_practitioner": GapCost(places=1, pence=9000)},
            total_pence=21500,
        ),
        staffed_sessions_per_week={"SANDWELL": 0.0},
        stats=RotaStats(
            status=Status.OPTIMAL,
            objective=21500.0,
            bound=21500.0,
            gap=0.0,
            wall_seconds=0.5,
            time_limit_seconds=20.0,
            num_workers=2,
            seed=0,
            ortools_version="9.x",
            places_short=1,
            places_short_lower_bound=1,
        ),
        objective_terms={"staff_cost": 12500, "cover_under": 9000},
        binding_limits=(LimitRow(name="cover", where="SANDWELL-AM", when="day 0", shortfall=1),),
        binding_count=1,
        infeasible_because=(),
        checked_objective=21500,
        hard_violations=(HardViolation(rule="x", staff_id=None, when="day 0", detail="y"),),
        ignored_locks=(),
        rule_pack="UK defaults",
    )


def test_a_stored_rota_outcome_reads_back_equal() -> None:
    """A rota dumped as the job row keeps it validates back into an equal model."""
    outcome = _outcome()
    stored = json.dumps(outcome.model_dump(mode="json"))
    assert stored_rota(stored) == outcome
    assert stored_result("rota", json.loads(stored)) == outcome


def test_a_stored_rebalance_result_with_computed_fields_reads_back_equal() -> None:
    """The solver's dump carries computed fields (status, made_worse); they are dropped on read."""
    measures = TrustMeasures(worst_pressure=1.2, long_waiters_at_end={52: 3.0}, priority_overdue=0)
    result = RebalanceResult(
        stats=SolveStats(status=Status.OPTIMAL, time_limit_seconds=5, num_workers=2, seed=0),
        trusts=[
            TrustOutcome(provider="RXK", plan=measures, no_collaboration=measures, worse_on=["p2"])
        ],
    )
    stored = result.model_dump_json()
    assert {"status", "seconds"} <= set(json.loads(stored))
    assert json.loads(stored)["trusts"][0]["made_worse"] is True
    assert stored_rebalance(stored) == result


def test_models_are_frozen_and_refuse_unknown_fields() -> None:
    """A result cannot be changed in place, nor carry a field the model does not name."""
    outcome = _outcome()
    with pytest.raises(pydantic.ValidationError):
        outcome.rule_pack = "other"  # type: ignore[misc]
    with pytest.raises(StoredResultError, match=r"extra inputs are not permitted"):
        stored_rota({**outcome.model_dump(mode="json"), "surprise": 1})


@pytest.mark.parametrize(
    ("kind", "stored", "says"),
    [
        ("rota", "{not json", "not JSON"),
        ("rota", json.dumps({"stats": {"status": "optimal"}}), "settings: field required"),
        ("rebalance", json.dumps({"stats": {"status": "won"}}), "stats.status"),
    ],
    ids=["not-json", "rota-missing-fields", "rebalance-bad-status"],
)
def test_a_malformed_stored_result_is_refused_clearly(kind: str, stored: str, says: str) -> None:
    """A job whose stored result does not match its kind's model raises a ServiceError naming it."""
    job = SolveJob(
        id=41,
        scenario_id=1,
        kind=kind,
        status="done",
        requested_by="lead@bcpc.test",
        parameters="{}",
        result=stored,
    )
    with pytest.raises(ServiceError, match="run 41") as error:
        view_of(job)
    assert says in str(error.value)
    assert "start the run again" in str(error.value)
    assert view_of(job, with_result=False).rota is None  # only a read of the result is refused


def test_a_finished_job_view_carries_the_model_of_its_kind() -> None:
    """A done rota job's view has the outcome as `rota` and nothing as `rebalance`."""
    outcome = _outcome()
    job = SolveJob(
        id=7,
        scenario_id=1,
        kind="rota",
        status="done",
        requested_by="lead@bcpc.test",
        parameters="{}",
        result=outcome.model_dump_json(),
    )
    view = view_of(job)
    assert view.rota == outcome and view.rebalance is None


def test_locking_a_cell_returns_a_new_outcome() -> None:
    """The page's lock edit leaves the shown outcome unchanged and returns one with the lock."""
    outcome = _outcome()
    locked = outcome_with_lock(outcome, "S001", "2027-01-04", "SANDWELL-AM")
    assert locked.staff[0].cells[0].locked and not outcome.staff[0].cells[0].locked
    assert LockRow(staff_id="S001", day=0, shift_id="SANDWELL-AM") in locked.locked
    unlocked = outcome_with_lock(locked, "S001", "2027-01-05", None)
    assert not unlocked.staff[0].cells[1].locked
    assert [lk.day for lk in unlocked.locked] == [0]
    assert outcome_with_lock(outcome, "S001", "2031-01-01", None) is outcome
