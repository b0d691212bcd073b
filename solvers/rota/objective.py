"""The rota's objective: cover, requests, staff cost, travel, fairness, published changes, pools.

Each term adds `Penalty`s to the `RotaModel` (`builder.py`), which `explain.extract` reads back
to split the penalty by term and name the limits that bind.
"""

from __future__ import annotations

from solvers.rota.builder import LinearExpr, Literal, Penalty, RotaModel, days_label
from solvers.rota.pools import pool_terms
from solvers.rota.published import keepable
from solvers.rota.schema import ShiftType, Staff


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


def _is_cross_site(person: Staff, shift: ShiftType) -> bool:
    return (
        shift.site is not None and person.home_site is not None and shift.site != person.home_site
    )


def _fairness_terms(rota: RotaModel) -> list[LinearExpr]:
    """Within each staff group, the most minus the fewest nights, weekends and cross-site shifts."""
    data, fairness = rota.data, rota.data.fairness
    days = range(data.horizon_days)

    def nights(person: Staff) -> list[Literal]:
        return [rota.works[person.id, d, s.id] for d in days for s in data.shift_types if s.night]

    def cross_site(person: Staff) -> list[Literal]:
        return [
            rota.works[person.id, d, s.id]
            for d in days
            for s in data.shift_types
            if _is_cross_site(person, s)
        ]

    kinds = (
        ("nights", fairness.nights_weight, nights),
        ("weekends", fairness.weekends_weight, rota.weekends_worked),
        ("cross_site", fairness.cross_site_weight, cross_site),
    )
    groups: dict[str, list[Staff]] = {}
    for person in data.staff:
        groups.setdefault(person.group, []).append(person)
    terms: list[LinearExpr] = []
    for group, members in groups.items():
        if len(members) < 2:
            continue
        for kind, weight, counted in kinds:
            literals = [counted(person) for person in members] if weight else []
            if any(literals):  # nothing to spread when nobody can work such a shift
                named = dict(zip((p.id for p in members), literals, strict=True))
                terms.append(_spread(rota, f"fairness:{kind}", group, weight, named))
    return terms


def _spread(
    rota: RotaModel, term: str, group: str, weight: int, literals: dict[str, list[Literal]]
) -> LinearExpr:
    """Weight x (most - fewest) of the per-person counts; max/min are exact, not just bounds."""
    model = rota.model
    most_possible = max(len(counted) for counted in literals.values())
    counts = []
    for staff_id, counted in literals.items():
        count = model.new_int_var(0, len(counted), f"{term}[{staff_id}]")
        model.add(count == sum(counted))
        counts.append(count)
    most = model.new_int_var(0, most_possible, f"{term}:most[{group}]")
    fewest = model.new_int_var(0, most_possible, f"{term}:fewest[{group}]")
    model.add_max_equality(most, counts)
    model.add_min_equality(fewest, counts)
    spread = model.new_int_var(0, most_possible, f"{term}:spread[{group}]")
    model.add(spread == most - fewest)
    rota.penalties.append(
        Penalty(
            term=term,
            var=spread,
            weight=weight,
            limit=term,
            where=group or "(no group)",
            when="horizon",
            unit="between most and fewest",
            binding=False,
        )
    )
    return weight * spread
