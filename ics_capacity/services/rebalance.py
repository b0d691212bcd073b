"""Rebalancing a scenario: DB rows -> solver instance -> plan (docs/rebalance.md).

A scenario's instance is built from its rows, read in one transaction and nothing written:

* providers: the collaborative's member trusts; their admitted waiting lists (RTT `Part_2A`, by
  weekly wait band) for every treatment function with a case mix;
* weekly new demand: clock starts a week (RTT `Part_3`, latest month x 7 / days in month) x the
  share of completed pathways that were admitted (`Part_1A` / (`Part_1A` + `Part_1B`));
* hubs: every site of the scenario (elective hubs and main sites) with its theatres, overnight
  beds and day-case places, and each independent-sector provider of the RTT extract with admitted
  activity, as capacity the collaborative may buy (`INDEPENDENT_SECTOR_HEADROOM` x its admitted
  completions a week, by treatment function);
* with `non_admitted` (off by default), the stage before the first outpatient appointment too:
  each trust's non-admitted list by wait band is `Part_2` minus `Part_2A` (everyone waiting
  without a decision to admit), its weekly demand the non-admitted completions a week
  (`Part_1B`), and its main site's outpatient clinics see `clinic_factor` x those completions a
  week per treatment function (docs/assumptions.md, "Before the first outpatient appointment");
* travel: from each trust's population, located at its main acute site, to every hub, as the
  straight-line (haversine) distance x `ROAD_FACTOR` / `ROAD_SPEED_KM_PER_HOUR`.

Assumptions are the cited constants of `ics_capacity.domain.assumptions` (docs/assumptions.md,
"Travel").
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError
from sqlmodel import Session, select

from ics_capacity.db.models import (
    BedCapacity,
    CaseMix,
    CollaborativeMember,
    HubStandardSetting,
    IndependentSectorPrice,
    Organisation,
    OrganisationKind,
    RttActivity,
    Scenario,
    Site,
    SiteTreatmentFunction,
    TheatreCapacity,
    WaitingList,
)
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.assumptions import (
    DAY_CASES_PER_PLACE_PER_DAY,
    HUB_OPERATING_DAYS_PER_WEEK,
    INDEPENDENT_SECTOR_HEADROOM,
    INDEPENDENT_SITES,
    MAIN_SITE_OPERATING_DAYS_PER_WEEK,
    MAX_TRAVEL_MINUTES,
    ROAD_FACTOR,
    ROAD_SPEED_KM_PER_HOUR,
)
from ics_capacity.domain.errors import InvalidInputError
from ics_capacity.domain.roles import Permission
from ics_capacity.services.jobs import copy_latest_result, latest_result
from ics_capacity.services.readiness import rebalance_reasons, require_ready
from ics_capacity.services.rebalance_outpatients import (
    ADMITTED_PART,
    Outpatients,
    non_admitted_queues,
    per_week,
    with_clinics,
)
from ics_capacity.services.results import stored_rota
from ics_capacity.services.scenarios import (
    NotFoundError,
    ScenarioError,
    branch_scenario,
    scenario_transaction,
)
from ics_capacity.services.weekly_calendar import operating_days, scenario_profiles
from solvers.common import SolveOptions
from solvers.rebalance import schema as rb
from solvers.rebalance.model import solve_rebalance
from solvers.rebalance.schema import (
    WAIT_BANDS,
    Hub,
    HubKind,
    Provider,
    ProviderKind,
    Queue,
    RebalanceInput,
    RebalanceResult,
    RebalanceSettings,
)

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius


class ScenarioNotFoundError(NotFoundError, LookupError):
    """No scenario has the id asked for."""

    def __init__(self, scenario_id: int) -> None:
        super().__init__(f"Scenario {scenario_id} does not exist.")
        self.scenario_id = scenario_id


class InstanceFileError(InvalidInputError):
    """A rebalancing instance file cannot be read; `problems` name each field that is wrong."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__(f"{path}: " + "; ".join(problems))
        self.path = path
        self.problems = problems


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (straight-line) distance in kilometres between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def travel_minutes(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Road travel minutes: straight-line km x ROAD_FACTOR / ROAD_SPEED_KM_PER_HOUR x 60."""
    km = haversine_km(lat1, lon1, lat2, lon2) * ROAD_FACTOR
    return round(km / ROAD_SPEED_KM_PER_HOUR * 60.0, 1)


def rebalance_input_as_operator(
    scenario_id: int,
    *,
    weeks: int | None = None,
    settings: RebalanceSettings | None = None,
    outpatients: Outpatients | None = None,
    db_url: str | None = None,
) -> RebalanceInput:
    """The rebalancing instance of a scenario, read from the database (nothing is written).

    Raises:
        ScenarioNotFoundError: If no scenario has this id.
    """
    with unit_of_work(db_url) as session:
        return scenario_rebalance_input(
            session, scenario_id, weeks=weeks, settings=settings, outpatients=outpatients
        )


def export_instance_as_operator(
    scenario_id: int,
    *,
    weeks: int | None = None,
    outpatients: Outpatients | None = None,
    db_url: str | None = None,
) -> dict[str, Any]:
    """The scenario's instance as a JSON-ready dict (docs/rebalance_instance.schema.json)."""
    data = rebalance_input_as_operator(
        scenario_id, weeks=weeks, outpatients=outpatients, db_url=db_url
    )
    return data.model_dump(mode="json")


def load_instance(path: Path) -> RebalanceInput:
    """Reads and validates an instance file.

    Raises:
        InstanceFileError: If the file is missing, is not JSON, or breaks the schema; every
            problem names its field (e.g. "queues.3.weekly_demand: ...").
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise InstanceFileError(path, ["no such file"]) from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InstanceFileError(path, [f"not valid JSON ({error})"]) from error
    try:
        return RebalanceInput.model_validate(raw)
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'instance'}: {e['msg']}"
            for e in error.errors()
        ]
        raise InstanceFileError(path, problems) from error


def run_rebalance_as_operator(
    scenario_id: int,
    *,
    weeks: int | None = None,
    time_limit_seconds: float = 10.0,
    num_workers: int = 2,
    seed: int = 0,
    outpatients: Outpatients | None = None,
    db_url: str | None = None,
) -> RebalanceResult:
    """Builds the scenario's instance and solves it.

    Raises:
        ScenarioNotFoundError: If no scenario has this id.
    """
    data = rebalance_input_as_operator(
        scenario_id, weeks=weeks, outpatients=outpatients, db_url=db_url
    )
    return solve_instance(
        data, time_limit_seconds=time_limit_seconds, num_workers=num_workers, seed=seed
    )


def solve_instance(
    data: RebalanceInput,
    *,
    time_limit_seconds: float = 10.0,
    num_workers: int = 2,
    seed: int = 0,
) -> RebalanceResult:
    """Solves an instance with an explicit time limit, worker count and seed."""
    options = SolveOptions(
        time_limit_seconds=time_limit_seconds, num_workers=num_workers, seed=seed
    )
    return solve_rebalance(data, options)


# --- Reading the scenario --------------------------------------------------------------------


def scenario_rebalance_input(
    session: Session,
    scenario_id: int,
    *,
    weeks: int | None,
    settings: RebalanceSettings | None,
    outpatients: Outpatients | None = None,
) -> RebalanceInput:
    """The scenario's rebalancing instance, read inside a use case that has checked the caller.

    With `outpatients`, the non-admitted lists and the main sites' clinics are in it too.
    """
    scenario = session.get(Scenario, scenario_id)
    if scenario is None:
        raise ScenarioNotFoundError(scenario_id)
    # An empty model would come back "optimal, 0 treated": refuse it, naming what is missing.
    require_ready("rebalance", rebalance_reasons(session, scenario))
    orgs = {o.id: o for o in session.exec(select(Organisation)).all()}
    member_ids = [
        m.organisation_id
        for m in session.exec(
            select(CollaborativeMember).where(
                CollaborativeMember.collaborative_id == scenario.collaborative_id
            )
        ).all()
    ]
    members = sorted((orgs[i] for i in member_ids), key=lambda o: o.ods_code)
    case_mix = {
        c.tfc: c
        for c in session.exec(select(CaseMix).where(CaseMix.scenario_id == scenario_id)).all()
    }
    sites = session.exec(
        select(Site).where(Site.scenario_id == scenario_id).order_by(Site.id)
    ).all()
    theatres = {
        t.site_id: t
        for t in session.exec(
            select(TheatreCapacity).where(TheatreCapacity.scenario_id == scenario_id)
        ).all()
    }
    beds = {
        b.site_id: b
        for b in session.exec(
            select(BedCapacity).where(BedCapacity.scenario_id == scenario_id)
        ).all()
    }
    site_tfcs: dict[int, list[str]] = defaultdict(list)
    for row in session.exec(
        select(SiteTreatmentFunction).where(
            SiteTreatmentFunction.site_id.in_([s.id for s in sites])  # type: ignore[union-attr]
        )
    ).all():
        site_tfcs[row.site_id].append(row.tfc)
    activity = _latest_activity(session, scenario_id)
    staffed = staffed_sessions_per_week(session, scenario_id)
    hub_days = {
        h.site_id: h.operating_days_per_week
        for h in session.exec(
            select(HubStandardSetting).where(HubStandardSetting.scenario_id == scenario_id)
        ).all()
    }

    hubs: list[Hub] = []
    where: dict[str, tuple[float, float]] = {}
    for site in sites:
        tfcs = sorted(t for t in site_tfcs[site.id] if t in case_mix)
        if not tfcs:
            continue
        theatre = theatres.get(site.id)
        bed = beds.get(site.id)
        # A hub's own operating days (the hub readiness table) when it has set them.
        days = (
            hub_days.get(site.id, HUB_OPERATING_DAYS_PER_WEEK)
            if site.is_elective_hub
            else MAIN_SITE_OPERATING_DAYS_PER_WEEK
        )
        hubs.append(
            Hub(
                id=site.code,
                name=site.name,
                kind=HubKind.ELECTIVE_HUB if site.is_elective_hub else HubKind.MAIN_SITE,
                operator=orgs[site.operator_id].ods_code,
                treatment_functions=tfcs,
                theatre=rb.TheatreCapacity(
                    theatres=theatre.theatres,
                    sessions_per_theatre_per_week=sessions_per_theatre(
                        theatre.theatres, theatre.sessions_per_week, staffed.get(site.code)
                    ),
                    session_minutes=theatre.session_minutes,
                    utilisation_cap=float(theatre.utilisation_target),
                )
                if theatre
                else None,
                beds=rb.BedCapacity(
                    overnight_beds=bed.elective_overnight_beds,
                    occupancy_cap=float(bed.occupancy_target),
                )
                if bed
                else None,
                day_case=rb.DayCaseCapacity(
                    places=bed.day_case_places,
                    patients_per_place_per_week=DAY_CASES_PER_PLACE_PER_DAY * days,
                )
                if bed
                else None,
            )
        )
        if site.latitude is not None and site.longitude is not None:
            where[site.code] = (site.latitude, site.longitude)
    prices = {
        p.tfc: float(p.price_per_case)
        for p in session.exec(
            select(IndependentSectorPrice).where(IndependentSectorPrice.scenario_id == scenario_id)
        ).all()
    }
    hubs += _independent_hubs(orgs, activity, case_mix, where, prices)

    population = _population_locations(members, sites, orgs)
    travel = {
        provider: {hub.id: travel_minutes(*here, *where[hub.id]) for hub in hubs if hub.id in where}
        for provider, here in population.items()
    }
    queues = _queues(session, scenario_id, members, case_mix, activity)
    if outpatients is not None:
        queues += non_admitted_queues(session, scenario_id, members, case_mix, activity)
        hubs = with_clinics(
            hubs, members, sites, orgs, activity, set(case_mix), outpatients.clinic_factor
        )
    operators = {h.operator for h in hubs if h.operator}
    providers = [
        Provider(id=o.ods_code, name=o.name, kind=ProviderKind.NHS_TRUST) for o in members
    ] + [
        Provider(id=o.ods_code, name=o.name, kind=ProviderKind(o.kind))
        for o in sorted(orgs.values(), key=lambda o: o.ods_code)
        if o.ods_code in operators and o.id not in member_ids
    ]
    base = settings or RebalanceSettings(max_travel_minutes=MAX_TRAVEL_MINUTES)
    if weeks is not None:
        base = base.model_copy(update={"horizon_weeks": weeks})
    # Real weeks: bank holidays, the seasons of the flow history and the scenario's calendar.
    days = {h.id: MAIN_SITE_OPERATING_DAYS_PER_WEEK for h in hubs} | operating_days(list(sites))
    profiles = scenario_profiles(session, scenario, days, base.horizon_weeks)
    hubs = [h.model_copy(update={"capacity_factor_by_week": profiles.capacity[h.id]}) for h in hubs]
    return RebalanceInput(
        name=f"scenario {scenario.id}: {scenario.name}",
        description=(
            "Exported by `ics-capacity rebalance SCENARIO --export-instance FILE` from the "
            "scenario's database rows and the cited assumptions of docs/assumptions.md."
        ),
        providers=providers,
        hubs=hubs,
        case_mix=[
            rb.CaseMix(
                tfc=c.tfc,
                minutes_per_case=c.minutes_per_case,
                length_of_stay_days=float(c.length_of_stay_days),
                day_case_rate=float(c.day_case_rate),
            )
            for c in sorted(case_mix.values(), key=lambda c: c.tfc)
        ],
        queues=queues,
        travel_minutes=travel,
        settings=RebalanceSettings.model_validate(base.model_dump()),
        demand_factor_by_week=profiles.demand,
    )


def staffed_sessions_per_week(session: Session, scenario_id: int) -> dict[str, float]:
    """Theatre sessions a week each site's staff can run, by site code, from the newest rota.

    Empty when the scenario has no finished rota. For use inside a use case that has checked
    the caller.
    """
    # A finished rota says how many theatre sessions its staff can run; no more are planned.
    rota = latest_result(session, scenario_id, "rota")
    if rota is None:
        return {}
    return {str(k): float(v) for k, v in stored_rota(rota).staffed_sessions_per_week.items()}


def sessions_per_theatre(
    theatres: float, timetable_sessions: float, staffed_per_week: float | None
) -> float:
    """The timetable's sessions per theatre a week, capped by what the latest rota staffs.

    Args:
        theatres: Theatres at the site.
        timetable_sessions: Sessions per theatre a week in the timetable.
        staffed_per_week: Sessions a week the rota staffs at the site (all theatres), or None
            when there is no rota.
    """
    timetable = float(timetable_sessions)
    if staffed_per_week is None or theatres <= 0:
        return timetable
    return min(timetable, staffed_per_week / theatres)


def _latest_activity(session: Session, scenario_id: int) -> dict[tuple[int, str], RttActivity]:
    """Each (organisation, tfc)'s RTT flows in the scenario's latest month."""
    rows = session.exec(select(RttActivity).where(RttActivity.scenario_id == scenario_id)).all()
    latest: dict[tuple[int, str], RttActivity] = {}
    for row in rows:
        key = (row.organisation_id, row.tfc)
        if key not in latest or row.period > latest[key].period:
            latest[key] = row
    return latest


def _queues(
    session: Session,
    scenario_id: int,
    members: list[Organisation],
    case_mix: dict[str, CaseMix],
    activity: dict[tuple[int, str], RttActivity],
) -> list[Queue]:
    """Admitted waiting lists by wait band, and weekly demand, of the member trusts."""
    bands: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0] * WAIT_BANDS)
    for row in session.exec(
        select(WaitingList).where(
            WaitingList.scenario_id == scenario_id,
            WaitingList.part == ADMITTED_PART,
            WaitingList.organisation_id.in_([m.id for m in members]),  # type: ignore[union-attr]
        )
    ).all():
        if row.tfc in case_mix:
            bands[(row.organisation_id, row.tfc)][row.wait_band_weeks] += row.patients
    # The admitted share of a tfc across the collaborative, for lists with no completions.
    pooled: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for (org_id, tfc), row in activity.items():
        if org_id in {m.id for m in members}:
            pooled[tfc][0] += row.completed_admitted
            pooled[tfc][1] += row.completed_admitted + row.completed_non_admitted
    queues = []
    for member in members:
        for tfc in sorted(case_mix):
            waiting = bands.get((member.id, tfc))
            row = activity.get((member.id, tfc))
            demand = 0.0
            if row is not None:
                completed = row.completed_admitted + row.completed_non_admitted
                admitted, total = (row.completed_admitted, completed) if completed else pooled[tfc]
                share = admitted / total if total else 0.0
                demand = round(per_week(row.new_clock_starts, row) * share, 3)
            if waiting is None and demand == 0:
                continue
            waiting = waiting or []
            while waiting and waiting[-1] == 0:
                waiting = waiting[:-1]
            queues.append(
                Queue(provider=member.ods_code, tfc=tfc, waiting_list=waiting, weekly_demand=demand)
            )
    return queues


def _independent_hubs(
    orgs: dict[int, Organisation],
    activity: dict[tuple[int, str], RttActivity],
    case_mix: dict[str, CaseMix],
    where: dict[str, tuple[float, float]],
    prices: dict[str, float],
) -> list[Hub]:
    """Independent providers with admitted NHS activity and a known site, as capacity to buy.

    Each is bought at the scenario's price per case of the treatment function, where it sets one.
    """
    cases: dict[str, dict[str, float]] = defaultdict(dict)
    for (org_id, tfc), row in sorted(activity.items(), key=lambda item: item[0]):
        org = orgs[org_id]
        if (
            org.kind != OrganisationKind.INDEPENDENT_SECTOR
            or tfc not in case_mix
            or org.ods_code not in INDEPENDENT_SITES
            or row.completed_admitted <= 0
        ):
            continue
        weekly = per_week(row.completed_admitted, row) * INDEPENDENT_SECTOR_HEADROOM
        cases[org.ods_code][tfc] = round(weekly, 3)
    hubs = []
    for ods_code, caps in sorted(cases.items()):
        site = INDEPENDENT_SITES[ods_code]
        hubs.append(
            Hub(
                id=ods_code,
                name=site.name,
                kind=HubKind.INDEPENDENT_SECTOR,
                operator=ods_code,
                treatment_functions=sorted(caps),
                cases_per_week=caps,
                price_per_case={t: prices[t] for t in caps if t in prices},
            )
        )
        where[ods_code] = (site.latitude, site.longitude)
    return hubs


def _population_locations(
    members: list[Organisation], sites: list[Site], orgs: dict[int, Organisation]
) -> dict[str, tuple[float, float]]:
    """Each trust's population, placed at its main acute site (its first non-hub site)."""
    located: dict[str, tuple[float, float]] = {}
    for member in members:
        own = [
            s
            for s in sites
            if orgs[s.operator_id].ods_code == member.ods_code
            and s.latitude is not None
            and s.longitude is not None
        ]
        main = [s for s in own if not s.is_elective_hub] or own
        if main:
            located[member.ods_code] = (main[0].latitude, main[0].longitude)  # type: ignore[assignment]
    return located


def save_plan_as_scenario(token: str | None, scenario_id: int, name: str) -> int:
    """Saves the scenario's newest plan as a new draft scenario carrying that plan, at once.

    The caller must be allowed to branch scenarios in the scenario's collaborative.

    Returns:
        The new scenario's id.
    """
    with scenario_transaction(token, scenario_id, Permission.MANAGE_SCENARIOS) as use:
        if latest_result(use.session, use.scenario.id, "rebalance") is None:
            raise ScenarioError("Run the optimiser first.")
        copy = branch_scenario(use, name, description="Rebalancing plan")
        copy_latest_result(use.session, use.principal.email, use.scenario.id, copy.id, "rebalance")
        return cast(int, copy.id)  # flushed: the database gave it an id
