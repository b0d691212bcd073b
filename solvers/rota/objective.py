"""The rota's objective: cover, requests, staff cost, travel, fairness, published changes, pools.

Each term adds `Penalty`s to the `RotaModel` (`builder.py`), which `explain.extract` reads back
to split the penalty by term and name the limits that bind.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from solvers.rota.builder import LinearExpr, Literal, Penalty, RotaModel, days_label
from solvers.rota.fairness import PER_WTE_UNIT, fairness_groups, is_away, per_wte_factor
from solvers.rota.pools import pool_terms
from solvers.rota.published import keepable
from solvers.rota.schema import Staff


def objective_terms(rota: RotaModel) -> list[LinearExpr]:
    """Every objective term but the soft rules' slacks, in the order the model adds them."""
    return [
        *_cover_terms(rota),
        *_request_terms(rota),
        *_staff_cost_terms(rota),
        *_travel_terms(rota),
        *_fairness_terms(rota),
        *_published_terms(rota),
        *pool_terms(rota),
    ]


def _cover_terms(rota: RotaModel) -> list[LinearExpr]:
    """Staff short of (under) or beyond (over) each cover requirement, at their weights."""
    data, model = rota.data, rota.model
    terms: list[LinearExpr] = []
    for index, req in enumerate(data.cover):
        counted = [p for p in data.staff if req.skill is None or req.skill in p.skills]
        giving = data.shifts_giving_cover(req.shift_id)
        count = sum(rota.works[p.id, req.day, s] for p in counted for s in giving)
        where = req.shift_id if req.skill is None else f"{req.shift_id}/{req.skill}"
        under = model.new_int_var(0, req.required, f"under[{req.day},{where}]")
        # One shift a day: each person counted gives at most one, whichever shift gives it.
        over = model.new_int_var(0, max(0, len(counted) - req.required), f"over[{req.day},{where}]")
        model.add(count + under - over == req.required)
        rota.cover_vars[index] = (count, under)
        for term, var, weight, unit in (
            ("cover_under", under, req.under_weight, "staff short"),
            ("cover_over", over, req.over_weight, "staff over"),
        ):
            rota.penalties.append(
                Penalty(
                    term,
                    var,
                    weight,
                    "cover",
                    where,
                    days_label(req.day),
                    unit,
                    day=req.day,
                    shift_id=req.shift_id,
                )
            )
            terms.append(weight * var)
    return terms


def _request_terms(rota: RotaModel) -> list[LinearExpr]:
    """Wishes not granted: a shift (or any work) asked for and not given, or asked off and given."""
    terms: list[LinearExpr] = []
    for req in rota.data.requests:
        if req.shift_id is None:
            given = rota.on[req.staff_id, req.day]
        else:
            given = rota.works[req.staff_id, req.day, req.shift_id]
        what = f"{req.kind} {req.shift_id or 'any shift'}"
        penalty = Penalty(
            "requests",
            given,
            req.weight,
            "request",
            req.staff_id,
            f"{days_label(req.day)} {what}",
            "",
            negated=req.kind == "on",
        )
        rota.penalties.append(penalty)
        terms.append(penalty.expression())
    return terms


def _published_terms(rota: RotaModel) -> list[LinearExpr]:
    """Each published day changed ("minimal change"): its shift not worked, or its day off worked.

    A day whose person or shift has left the problem cannot be kept and costs nothing here; it is
    reported as a change all the same (`published.published_changes`).
    """
    weight = rota.data.published_weight
    if weight == 0:
        return []
    terms: list[LinearExpr] = []
    for pub in keepable(rota.data):
        if pub.shift_id is None:
            var, negated = rota.on[pub.staff_id, pub.day], False
        else:
            var, negated = rota.works[pub.staff_id, pub.day, pub.shift_id], True
        penalty = Penalty(
            "published_changes",
            var,
            weight,
            "published",
            pub.staff_id,
            f"{days_label(pub.day)} {pub.shift_id or 'off'}",
            "changes",
            negated=negated,
            binding=False,
        )
        rota.penalties.append(penalty)
        terms.append(penalty.expression())
    return terms


def _staff_cost_terms(rota: RotaModel) -> list[LinearExpr]:
    """The cost of each shift worked, by person (substantive < bank < agency in the app)."""
    terms: list[LinearExpr] = []
    for person in rota.data.staff:
        if person.cost_per_hour:
            costs = {s.id: person.shift_cost(s) for s in rota.data.shift_types}
            terms.extend(
                cost * rota.works[person.id, day, shift_id]
                for day in range(rota.data.horizon_days)
                for shift_id, cost in costs.items()
                if cost
            )
        elif person.cost_per_shift:
            shifts = sum(rota.on[person.id, day] for day in range(rota.data.horizon_days))
            terms.append(person.cost_per_shift * shifts)
    return terms


def _travel_terms(rota: RotaModel) -> list[LinearExpr]:
    """Minutes of one-way travel from home to the site of each shift worked, at `travel_weight`."""
    data = rota.data
    if data.travel_weight == 0:
        return []
    terms: list[LinearExpr] = []
    for person in data.staff:
        for shift in data.shift_types:
            minutes = person.travel_to(shift)
            if minutes:
                worked = sum(
                    rota.works[person.id, day, shift.id] for day in range(data.horizon_days)
                )
                terms.append(data.travel_weight * minutes * worked)
    return terms


def _fairness_terms(rota: RotaModel) -> list[LinearExpr]:
    """Within each staff group, the spread of nights, weekends and cross-site shifts per WTE.

    With `Fairness.band_percent` set, also each person's shifts outside that band around their
    pro-rata share of the group's total (docs/rota.md, "What the rota is judged on", 6).
    """
    data, fairness = rota.data, rota.data.fairness
    days = range(data.horizon_days)

    def nights(person: Staff) -> list[Literal]:
        return [rota.works[person.id, d, s.id] for d in days for s in data.shift_types if s.night]

    def cross_site(person: Staff) -> list[Literal]:
        return [
            rota.works[person.id, d, s.id]
            for d in days
            for s in data.shift_types
            if is_away(person, s)
        ]

    kinds = (
        ("nights", fairness.nights_weight, nights),
        ("weekends", fairness.weekends_weight, rota.weekends_worked),
        ("cross_site", fairness.cross_site_weight, cross_site),
    )
    terms: list[LinearExpr] = []
    for group, members in fairness_groups(data.staff).items():
        for kind, weight, counted in kinds:
            literals = [counted(person) for person in members] if weight else []
            if any(literals):  # nothing to spread when nobody can work such a shift
                named = dict(zip((p.id for p in members), literals, strict=True))
                terms.extend(_spread(rota, kind, group, weight, members, named))
    return terms


def _spread(
    rota: RotaModel,
    kind: str,
    group: str,
    weight: int,
    members: list[Staff],
    literals: dict[str, list[Literal]],
) -> list[LinearExpr]:
    """Weight x (most - fewest) per WTE, whole shifts; max/min are exact, not just bounds.

    Each person's count is scaled to hundredths of a shift per whole-time equivalent
    (`per_wte_factor`), and the spread rounded down to whole shifts: with everyone full time it
    is the plain most minus fewest.
    """
    model, term = rota.model, f"fairness:{kind}"
    counts, scaled = [], []
    for person in members:
        counted = literals[person.id]
        count = model.new_int_var(0, len(counted), f"{term}[{person.id}]")
        model.add(count == sum(counted))
        counts.append(count)
        factor = per_wte_factor(person)
        per_wte = model.new_int_var(0, factor * len(counted), f"{term}:per_wte[{person.id}]")
        model.add(per_wte == factor * count)
        scaled.append(per_wte)
    most_possible = max(per_wte_factor(p) * len(literals[p.id]) for p in members)
    most = model.new_int_var(0, most_possible, f"{term}:most[{group}]")
    fewest = model.new_int_var(0, most_possible, f"{term}:fewest[{group}]")
    model.add_max_equality(most, scaled)
    model.add_min_equality(fewest, scaled)
    hundredths = model.new_int_var(0, most_possible, f"{term}:hundredths[{group}]")
    model.add(hundredths == most - fewest)
    spread = model.new_int_var(0, most_possible // PER_WTE_UNIT, f"{term}:spread[{group}]")
    model.add_division_equality(spread, hundredths, PER_WTE_UNIT)
    where = group or "(no group)"
    rota.penalties.append(
        Penalty(term, spread, weight, term, where, "horizon", "shifts per WTE", binding=False)
    )
    terms: list[LinearExpr] = [weight * spread]
    band = rota.data.fairness
    if band.band_percent is not None and band.band_weight:
        most_total = sum(len(counted) for counted in literals.values())
        terms.extend(
            _band(rota, kind, members, counts, most_total, band.band_percent, band.band_weight)
        )
    return terms


def _band(
    rota: RotaModel,
    kind: str,
    members: list[Staff],
    counts: list[cp_model.IntVar],
    most_total: int,
    percent: int,
    weight: int,
) -> list[LinearExpr]:
    """Each person's whole shifts above or below `percent` around their pro-rata share.

    A person's share of the group's total T is fte / (sum of fte) x T, and their band runs from
    the whole shifts below (1 - percent) x share to those above (1 + percent) x share, rounded
    outwards: a share of 0.4 nights allows 0 or 1. `over` is the fewest shifts to take away,
    `under` the fewest to add, to come within the band; neither can exceed the group's most
    possible total, `most_total`. With whole numbers, "count - over <= ceil(x)" is
    "count - over - 1 < x", and "count + under >= floor(y)" is "count + under + 1 > y".
    """
    model, term = rota.model, f"fairness_band:{kind}"
    whole = sum(p.fte_tenths for p in members)
    total = sum(counts)
    terms: list[LinearExpr] = []
    for person, count in zip(members, counts, strict=True):
        over = model.new_int_var(0, most_total, f"{term}:over[{person.id}]")
        under = model.new_int_var(0, most_total, f"{term}:under[{person.id}]")
        share = person.fte_tenths * total
        model.add(100 * whole * (count - over - 1) <= (100 + percent) * share - 1)
        model.add(100 * whole * (count + under + 1) >= (100 - percent) * share + 1)
        for var, unit in ((over, "shifts above the band"), (under, "shifts below the band")):
            rota.penalties.append(
                Penalty(term, var, weight, term, person.id, "horizon", unit, binding=False)
            )
            terms.append(weight * var)
    return terms
