"""Random but plausible rebalancing instances, for property tests and benchmarks.

Kept apart from `schema.py`, which holds what a real instance is: nothing in the app solves a
synthetic instance. `synthetic_instance(seed, ...)` is deterministic for a given seed and sizes,
so a failing property test's instance can be rebuilt from its seed (docs/rebalance.md).
"""

from __future__ import annotations

import numpy as np

from solvers.rebalance.schema import (
    STAGE_NON_ADMITTED,
    WAIT_BANDS,
    BedCapacity,
    CaseMix,
    DayCaseCapacity,
    Hub,
    HubKind,
    Provider,
    Queue,
    RebalanceInput,
    RebalanceSettings,
    TheatreCapacity,
)


def synthetic_instance(
    seed: int,
    *,
    providers: int = 4,
    hubs: int = 6,
    treatment_functions: int = 4,
    weeks: int = 12,
    independent: int = 1,
    region_km: float = 40.0,
    hub_tfc_share: float = 0.6,
    load: float = 1.1,
    settings: RebalanceSettings | None = None,
    non_admitted: bool = False,
) -> RebalanceInput:
    """A random but plausible instance: providers and hubs scattered over a square region.

    Each provider runs one main site treating all its treatment functions; the other hubs are
    elective hubs (run by a random provider) treating a random share of the functions, and
    `independent` of them are independent-sector providers with per-case caps. Backlogs follow a
    geometric wait profile with a tail past 52 weeks; demand is sized so that weekly demand over
    the region is about `load` times the theatre capacity's share for each function.

    With `non_admitted`, every provider also has a non-admitted list per function (waiting for a
    first outpatient appointment) and the main sites and some elective hubs get outpatient
    clinics sized so that the region's first appointments are about demand / `load`. These are
    drawn from a second random stream after everything else, so the admitted part of a seed's
    instance is the same with the stage on or off (benchmark figures stay comparable).

    Returns:
        A valid `RebalanceInput` (deterministic for a given seed and sizes).
    """
    rng = np.random.default_rng(seed)
    tfc_codes = [f"T{i:02d}" for i in range(treatment_functions)]
    case_mix = [
        CaseMix(
            tfc=t,
            minutes_per_case=float(rng.choice([30, 45, 60, 75, 90, 120])),
            length_of_stay_days=float(rng.choice([1.0, 1.5, 2.0, 3.0])),
            day_case_rate=float(rng.choice([0.5, 0.7, 0.8, 0.9])),
        )
        for t in tfc_codes
    ]
    minutes = {c.tfc: c.minutes_per_case for c in case_mix}
    provider_ids = [f"P{i:03d}" for i in range(providers)]
    # Provider i's population lives at its main site (hub i); the other hubs are scattered.
    hubs = max(hubs, providers)
    where = rng.uniform(0, region_km, size=(hubs, 2))
    hub_list: list[Hub] = []
    independent = min(independent, max(0, hubs - providers))
    operator: str | None
    for i in range(hubs):
        if i < providers:
            kind, operator, tfcs = HubKind.MAIN_SITE, provider_ids[i], list(tfc_codes)
        else:
            is_independent = i >= hubs - independent
            kind = HubKind.INDEPENDENT_SECTOR if is_independent else HubKind.ELECTIVE_HUB
            operator = None if is_independent else provider_ids[int(rng.integers(providers))]
            tfcs = [t for t in tfc_codes if rng.random() < hub_tfc_share] or [tfc_codes[0]]
        if kind == HubKind.INDEPENDENT_SECTOR:
            hub_list.append(
                Hub(
                    id=f"H{i:03d}",
                    kind=kind,
                    operator=operator,
                    treatment_functions=tfcs,
                    cases_per_week={t: float(rng.integers(2, 15)) for t in tfcs},
                    # From the case mix, so the random draws (and every seed's instance) stay.
                    price_per_case={t: 500.0 + 40.0 * minutes[t] for t in tfcs},
                )
            )
            continue
        theatres = int(rng.integers(2, 9))
        hub_list.append(
            Hub(
                id=f"H{i:03d}",
                kind=kind,
                operator=operator,
                treatment_functions=tfcs,
                theatre=TheatreCapacity(
                    theatres=theatres,
                    sessions_per_theatre_per_week=15 if kind == HubKind.ELECTIVE_HUB else 10,
                ),
                beds=BedCapacity(overnight_beds=float(rng.integers(4, 12) * theatres)),
                day_case=DayCaseCapacity(
                    places=float(rng.integers(2, 5) * theatres), patients_per_place_per_week=5
                ),
            )
        )
    minutes_of = {c.tfc: c.minutes_per_case for c in case_mix}
    theatre_minutes = sum(h.theatre.minutes_per_week for h in hub_list if h.theatre is not None)
    per_queue_minutes = theatre_minutes / (providers * treatment_functions)
    queue_list: list[Queue] = []
    bands = np.arange(WAIT_BANDS)
    for p in provider_ids:
        for t in tfc_codes:
            demand = load * per_queue_minutes / minutes_of[t] * float(rng.uniform(0.5, 1.5))
            mean_wait = float(rng.uniform(8, 30))
            profile = np.exp(-bands / mean_wait)
            backlog = demand * mean_wait * profile / profile.sum() * float(rng.uniform(0.5, 2))
            queue_list.append(
                Queue(
                    provider=p,
                    tfc=t,
                    waiting_list=[round(float(v), 3) for v in backlog],
                    weekly_demand=round(demand, 3),
                )
            )
    if non_admitted:
        hub_list, queue_list = _with_non_admitted(seed, hub_list, queue_list, providers, load)
    speed_km_per_minute = 40.0 / 60.0
    travel = {
        p: {
            h.id: round(float(np.hypot(*(where[i] - where[j]))) * 1.3 / speed_km_per_minute, 2)
            for j, h in enumerate(hub_list)
        }
        for i, p in enumerate(provider_ids)
    }
    return RebalanceInput(
        name=f"synthetic-{seed}",
        providers=[Provider(id=p) for p in provider_ids],
        hubs=hub_list,
        case_mix=case_mix,
        queues=queue_list,
        travel_minutes=travel,
        settings=settings or RebalanceSettings(horizon_weeks=weeks, max_travel_minutes=45.0),
    )


def _with_non_admitted(
    seed: int, hubs: list[Hub], queues: list[Queue], providers: int, load: float
) -> tuple[list[Hub], list[Queue]]:
    """Adds a non-admitted list per admitted list and outpatient clinics to sites (see above)."""
    rng = np.random.default_rng([seed, 1])
    bands = np.arange(WAIT_BANDS)
    extra: list[Queue] = []
    demand_of: dict[str, float] = {}
    for q in queues:
        # Non-admitted lists are the larger part of an RTT list: ~2-3x the admitted demand.
        demand = q.weekly_demand * float(rng.uniform(1.5, 3.0))
        demand_of[q.tfc] = demand_of.get(q.tfc, 0.0) + demand
        mean_wait = float(rng.uniform(4, 20))
        profile = np.exp(-bands / mean_wait)
        backlog = demand * mean_wait * profile / profile.sum() * float(rng.uniform(0.5, 2))
        extra.append(
            Queue(
                provider=q.provider,
                tfc=q.tfc,
                stage=STAGE_NON_ADMITTED,
                waiting_list=[round(float(v), 3) for v in backlog],
                weekly_demand=round(demand, 3),
            )
        )
    with_clinics = []
    for i, h in enumerate(hubs):
        if h.kind == HubKind.INDEPENDENT_SECTOR:
            with_clinics.append(h)
            continue
        share = 1.0 / providers if i < providers else 0.3 / providers
        tfcs = [t for t in h.treatment_functions if i < providers or rng.random() < 0.5]
        clinics = {
            t: round(demand_of[t] * share / load * float(rng.uniform(0.6, 1.4)), 3) for t in tfcs
        }
        with_clinics.append(h.model_copy(update={"outpatient_per_week": clinics}))
    return with_clinics, queues + extra
