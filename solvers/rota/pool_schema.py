"""Bank and agency pools: extra staff a rota can draw on for places its own staff leave short.

A `Pool` fills places of the cover requirements it serves (their shift in `shift_ids`, their skill
in `skills`), each place at the pool's hourly price for the length of the requirement's shift, at
most `max_shifts` places in each period of `period_days` days from day 0 (or over the whole
horizon). The price of an agency pool is held to `price_cap_per_hour` (the NHS agency price cap,
docs/assumptions.md). What no pool fills stays short, at the requirement's `unfilled_weight`.

Kept apart from `schema.py` (which imports it) so the schema stays readable; it imports nothing
of the rota solver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from solvers.rota.schema import CoverRequirement, RotaInput, ShiftType


class Pool(BaseModel):
    """A bank or agency pool: which places it may fill, at what price, and how many."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    kind: Literal["bank", "agency"]
    shift_ids: frozenset[str]
    skills: frozenset[str | None]
    price_per_hour: int = Field(ge=0)
    price_cap_per_hour: int | None = Field(None, ge=0)
    max_shifts: int = Field(ge=0)
    period_days: int | None = Field(None, ge=1)

    @property
    def hourly_price(self) -> int:
        """The price an hour, held to the cap when there is one (pence)."""
        if self.price_cap_per_hour is None:
            return self.price_per_hour
        return min(self.price_per_hour, self.price_cap_per_hour)

    def place_price(self, shift: ShiftType) -> int:
        """What one place of this shift filled from the pool costs, rounded to a penny."""
        return round(self.hourly_price * shift.duration_minutes / 60)

    def serves(self, req: CoverRequirement) -> bool:
        """True when the pool may fill places of this cover requirement."""
        return req.shift_id in self.shift_ids and req.skill in self.skills

    def period(self, day: int) -> int:
        """The index of the cap's period a day falls in (0 for the whole horizon)."""
        return 0 if self.period_days is None else day // self.period_days


class PoolFill(BaseModel):
    """Places of one cover requirement (day, shift, skill) a pool fills."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pool_id: str
    day: int = Field(ge=0)
    shift_id: str
    skill: str | None = None
    places: int = Field(ge=1)


def pool_problems(data: RotaInput) -> list[str]:
    """Every reason the pools cannot be used as given: repeated ids, unknown shift types."""
    problems: list[str] = []
    ids = [p.id for p in data.pools]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        problems.append(f"pool ids must be unique; repeated: {', '.join(repeated)}")
    known = {s.id for s in data.shift_types}
    for pool in data.pools:
        unknown = sorted(pool.shift_ids - known)
        if unknown:
            problems.append(f"pool {pool.id}: unknown shift types {unknown}")
    return problems
