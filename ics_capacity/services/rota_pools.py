"""What the bank and agency pools did in a rota: places filled and spend per site and role, caps.

Read off the solver's `RotaResult.pool_fills` and the problem's pools (`rota_problem.pools_for`);
`rota_report` puts it in the cost summary beside the independent checker's recomputation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ics_capacity.services.results import PoolRow, PoolUseRow, SessionRow
from ics_capacity.services.rota_settings import RotaProblem
from solvers.rota.schema import RotaResult


@dataclass(frozen=True)
class PoolReport:
    """Per (site, role) rows, and one row per pool of its use against its cap."""

    rows: tuple[PoolRow, ...]
    use: tuple[PoolUseRow, ...]


def pool_role(pool_id: str) -> str:
    """The role a pool of `pools_for` serves (its id is kind:scope:role)."""
    return pool_id.rsplit(":", 1)[-1]


def pool_report(
    problem: RotaProblem, result: RotaResult, sessions: tuple[SessionRow, ...]
) -> PoolReport:
    """Places filled from each kind of pool, spend and places left short, per site and role."""
    data = problem.data
    pools = {p.id: p for p in data.pools}
    by: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in sessions:
        row = by[r.site, r.role]
        row["bank_shifts"] += r.bank
        row["agency_shifts"] += r.agency
        row["short"] += r.short - r.bank - r.agency
    used: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    spend: dict[str, int] = defaultdict(int)
    for fill in result.pool_fills:
        pool = pools[fill.pool_id]
        pence = fill.places * pool.place_price(data.shift(fill.shift_id))
        site = problem.shifts[fill.shift_id]["site"]
        by[site, pool_role(pool.id)][f"{pool.kind}_pence"] += pence
        used[pool.id][pool.period(fill.day)] += fill.places
        spend[pool.id] += pence
    rows = tuple(
        PoolRow(site=site, role=role, **figures)
        for (site, role), figures in sorted(by.items())
        if any(figures.values())
    )
    period = "week" if problem.settings.pool_period == "week" else "rota"
    use = tuple(
        PoolUseRow(
            pool_id=pool.id,
            kind=pool.kind,
            site=pool.id.split(":")[1],
            role=pool_role(pool.id),
            cap=pool.max_shifts,
            period=period,
            busiest=max(used[pool.id].values(), default=0),
            shifts=sum(used[pool.id].values()),
            pence=spend[pool.id],
            hourly_pence=pool.hourly_price,
            capped=pool.price_cap_per_hour is not None
            and pool.price_per_hour > pool.price_cap_per_hour,
        )
        for pool in data.pools
    )
    return PoolReport(rows=rows, use=use)
