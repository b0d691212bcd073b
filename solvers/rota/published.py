"""Minimal change against a published rota: the days a new rota changes, and why.

A published rota is read-only; a later re-solve keeps as many of its days as it can (the model
charges `RotaInput.published_weight` for each published day changed, `model.py`) and reports
every change it makes. `published_changes` is that report: it compares the rota with
`RotaInput.published` day by day and names a cause in the input where there is one. It does not
trust the solver: it reads only the assignments, so the report is whole whatever the search did.
docs/rota.md, "Publishing and minimal change".
"""

from __future__ import annotations

from collections.abc import Iterable

from solvers.rota.schema import Assignment, PublishedAssignment, PublishedChange, RotaInput

STAFF_REMOVED = "no longer on the rota's staff"
SHIFT_REMOVED = "the shift is no longer in the rota"
DAY_OFF = "leave or a day off"
LOCKED = "locked"
SITE = "may no longer work at that site"


def published_changes(
    data: RotaInput, assignments: Iterable[Assignment]
) -> tuple[PublishedChange, ...]:
    """Every published day the rota does not keep, in staff and day order, with its cause."""
    worked = {(a.staff_id, a.day): a.shift_id for a in assignments}
    changes = [
        PublishedChange(
            staff_id=pub.staff_id,
            day=pub.day,
            was=pub.shift_id,
            now=worked.get((pub.staff_id, pub.day)),
            why=_why(data, pub, worked.get((pub.staff_id, pub.day))),
        )
        for pub in data.published
        if worked.get((pub.staff_id, pub.day)) != pub.shift_id
    ]
    return tuple(sorted(changes, key=lambda c: (c.staff_id, c.day)))


def keepable(data: RotaInput) -> list[PublishedAssignment]:
    """The published days the model can keep: the person and the shift are still in the problem."""
    staff = {p.id for p in data.staff}
    shifts = {s.id for s in data.shift_types}
    return [
        pub
        for pub in data.published
        if pub.staff_id in staff and (pub.shift_id is None or pub.shift_id in shifts)
    ]


def _why(data: RotaInput, pub: PublishedAssignment, now: str | None) -> str:
    person = next((p for p in data.staff if p.id == pub.staff_id), None)
    if person is None:
        return STAFF_REMOVED
    shifts = {s.id: s for s in data.shift_types}
    if pub.shift_id is not None and pub.shift_id not in shifts:
        return SHIFT_REMOVED
    lock = next(
        (lk for lk in data.locked if (lk.staff_id, lk.day) == (pub.staff_id, pub.day)), None
    )
    if lock is not None and lock.shift_id == now:
        return LOCKED
    if pub.shift_id is not None and pub.day in person.days_off:
        return DAY_OFF
    if pub.shift_id is not None and not person.may_work_at(shifts[pub.shift_id]):
        return SITE
    return ""
