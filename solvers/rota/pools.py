"""Bank and agency pools in the rota model: places short of staff filled at a price, within caps.

For each cover requirement a pool serves (`pool_schema.Pool.serves`), `fill[pool, requirement]`
places are filled from the pool at its price a place; the pools together fill no more than the
places actually short of staff (not the slack a time-limited solve may carry), and each pool fills
at most `max_shifts` places in each of its periods. The places no pool fills cost the requirement's
`unfilled_weight`. The cheapest pool is drawn on first because the objective is in money; the
caps decide what is left to the dearer one. `read_pool_fills` reads the fills off a solution.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solvers.rota.builder import LinearExpr, Penalty, days_label
from solvers.rota.pool_schema import PoolFill

if TYPE_CHECKING:
    from solvers.rota.builder import RotaModel


def pool_terms(rota: RotaModel) -> list[LinearExpr]:
    """Places filled from each pool at its price, and places no pool fills at their weight."""
    data, model = rota.data, rota.model
    terms: list[LinearExpr] = []
    in_period: dict[tuple[str, int], list[cp_model.IntVar]] = defaultdict(list)
    for index, req in enumerate(data.cover):
        count, under = rota.cover_vars[index]
        where = req.shift_id if req.skill is None else f"{req.shift_id}/{req.skill}"
        fills = []
        for pool in data.pools:
            if not pool.serves(req) or pool.max_shifts == 0 or req.required == 0:
                continue
            upper = min(req.required, pool.max_shifts)
            fill = model.new_int_var(0, upper, f"fill[{pool.id},{req.day},{where}]")
            rota.fills[pool.id, index] = fill
            in_period[pool.id, pool.period(req.day)].append(fill)
            price = pool.place_price(data.shift(req.shift_id))
            rota.penalties.append(
                Penalty(
                    f"pool:{pool.kind}",
                    fill,
                    price,
                    "pool",
                    pool.id,
                    days_label(req.day),
                    "places filled",
                    day=req.day,
                    shift_id=req.shift_id,
                    binding=False,
                )
            )
            terms.append(price * fill)
            fills.append(fill)
        unfilled = under
        if fills:
            # Pools fill only places truly short of staff: none when the shift has enough.
            pooled = cp_model.LinearExpr.sum(fills)
            short = model.new_bool_var(f"short[{req.day},{where}]")
            staffed_or_pooled = cp_model.LinearExpr.sum([count, *fills])
            model.add(staffed_or_pooled <= req.required).only_enforce_if(short)
            model.add(pooled == 0).only_enforce_if(short.Not())
            unfilled = model.new_int_var(0, req.required, f"unfilled[{req.day},{where}]")
            model.add(unfilled + pooled == under)
        if req.unfilled_weight:
            rota.penalties.append(
                Penalty(
                    "unfilled",
                    unfilled,
                    req.unfilled_weight,
                    "unfilled",
                    where,
                    days_label(req.day),
                    "places no pool fills",
                    day=req.day,
                    shift_id=req.shift_id,
                )
            )
            terms.append(req.unfilled_weight * unfilled)
    caps = {pool.id: pool.max_shifts for pool in data.pools}
    for (pool_id, _period), fills in in_period.items():
        model.add(cp_model.LinearExpr.sum(fills) <= caps[pool_id])
    return terms


def read_pool_fills(rota: RotaModel, values: Sequence[int]) -> tuple[PoolFill, ...]:
    """The places each pool fills in a solution, one `PoolFill` per pool and requirement."""
    fills = []
    for (pool_id, index), var in rota.fills.items():
        places = values[var.index]
        if places:
            req = rota.data.cover[index]
            fills.append(
                PoolFill(
                    pool_id=pool_id,
                    day=req.day,
                    shift_id=req.shift_id,
                    skill=req.skill,
                    places=places,
                )
            )
    return tuple(fills)
