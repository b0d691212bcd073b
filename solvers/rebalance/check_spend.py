"""The checker's spend rules: cases bought from the independent sector, priced (see check.py).

Only admitted rows are cases bought: a first outpatient appointment is not priced per case.
"""

from __future__ import annotations

from collections import defaultdict

from solvers.rebalance.check_rules import Violation, close
from solvers.rebalance.schema import (
    STAGE_ADMITTED,
    HubKind,
    PlanMetrics,
    PlanRow,
    RebalanceInput,
    SpendLine,
)


def independent_spend(data: RebalanceInput, plan: list[PlanRow]) -> dict[tuple[str, str], float]:
    """Cases bought from each independent-sector provider per treatment function, from the rows."""
    independent = {h.id for h in data.hubs if h.kind == HubKind.INDEPENDENT_SECTOR}
    cases: dict[tuple[str, str], float] = defaultdict(float)
    for row in plan:
        if row.hub in independent and row.stage == STAGE_ADMITTED:
            cases[(row.hub, row.tfc)] += row.patients
    return dict(cases)


def check_spend(
    data: RebalanceInput,
    plan: list[PlanRow],
    metrics: PlanMetrics | None,
    spend: list[SpendLine] | None,
    *,
    label: str,
) -> list[Violation]:
    """The reported spend against cases recomputed from the rows times the hubs' prices."""
    found: list[Violation] = []
    hubs = {h.id: h for h in data.hubs}
    cases = independent_spend(data, plan)
    priced = {
        k: n * hubs[k[0]].price_per_case[k[1]]
        for k, n in cases.items()
        if k[1] in hubs[k[0]].price_per_case
    }
    unpriced = sum(n for k, n in cases.items() if k not in priced)
    total = sum(priced.values())
    if metrics is not None:
        for name, mine, theirs in (
            ("independent_sector_cases", sum(cases.values()), metrics.independent_sector_cases),
            ("independent_sector_spend", total, metrics.independent_sector_spend),
            ("unpriced_independent_cases", unpriced, metrics.unpriced_independent_cases),
        ):
            if not close(mine, theirs, rel=1e-5, abs_=1e-4):
                found.append(
                    Violation(
                        "misreported_" + name,
                        f"{label}: metrics",
                        f"reported {theirs}, recomputed {mine}",
                    )
                )
    if spend is None:
        return found
    reported = {(line.hub, line.tfc): line for line in spend}
    for key in sorted(set(cases) | set(reported)):
        where = f"{label}: spend {key[0]} {key[1]}"
        line = reported.get(key)
        n = cases.get(key, 0.0)
        if line is None:
            if n > 1e-6:  # a floating-point sliver of a case needs no line
                found.append(Violation("missing_spend_line", where, f"{n} cases bought, no line"))
            continue
        hub = hubs.get(key[0])
        if hub is None or hub.kind != HubKind.INDEPENDENT_SECTOR:
            found.append(Violation("spend_not_independent", where, "not an independent provider"))
            continue
        price = hub.price_per_case.get(key[1])
        if not close(line.cases, n, rel=1e-5, abs_=1e-4):
            found.append(
                Violation("misreported_spend_cases", where, f"reported {line.cases}, rows {n}")
            )
        if line.price_per_case != price:
            found.append(
                Violation("misreported_price", where, f"reported {line.price_per_case}, {price}")
            )
        expected = None if price is None else n * price
        if (expected is None) != (line.spend is None) or (
            expected is not None
            and line.spend is not None
            and not close(line.spend, expected, rel=1e-5, abs_=1e-2)
        ):
            found.append(
                Violation("misreported_spend", where, f"reported {line.spend}, {expected}")
            )
    return found
