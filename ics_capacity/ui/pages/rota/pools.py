"""The Rota page's bank and agency pools: their settings from the form, and what they did.

Pure view builders, like `view.py`: strings from the form in, `RotaSettings` fields or one
refusal out; a `RotaOutcome` in, the pool table's rows out.
"""

from __future__ import annotations

from typing import Any

from ics_capacity.services.errors import InvalidInputError
from ics_capacity.services.results import RotaOutcome
from ics_capacity.services.rota import POOL_DEFAULTS, STAFF_ROLE_LABELS
from ics_capacity.ui.pages.rota.view import pounds

# The pool settings the form holds as text, their labels, and the largest value each takes.
POOL_FIELDS: dict[str, tuple[str, int]] = {
    "bank_pool_shifts": ("Bank pool cap (places)", 10_000),
    "agency_pool_shifts": ("Agency pool cap (places)", 10_000),
    "bank_uplift_percent": ("Bank price over basic pay (%)", 300),
    "agency_uplift_percent": ("Agency price over basic pay (%)", 300),
}
POOL_CHOICES: dict[str, tuple[str, ...]] = {
    "pool_scope": ("site", "collaborative"),
    "pool_period": ("week", "rota"),
}


def default_pool_form() -> dict[str, str]:
    """The pool settings as the form first shows them."""
    return {
        "pool_scope": "site",
        "pool_period": "week",
        **{name: str(POOL_DEFAULTS[name]) for name in POOL_FIELDS},
    }


def pool_settings_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The pool fields of `RotaSettings` from the form's text.

    Raises:
        InvalidInputError: naming every pool field that is not a whole number in its range.
    """
    problems = []
    values: dict[str, Any] = {}
    for name, choices in POOL_CHOICES.items():
        value = form.get(name, choices[0])
        if value not in choices:
            problems.append(f"{name.replace('_', ' ').capitalize()}: choose {' or '.join(choices)}")
        values[name] = value
    for name, (label, most) in POOL_FIELDS.items():
        text = form.get(name, "").strip()
        if text.isdecimal() and int(text) <= most:
            values[name] = int(text)
        else:
            problems.append(f"{label}: '{text}' is not a whole number from 0 to {most:,}")
    if problems:
        raise InvalidInputError("; ".join(problems) + ".")
    return values


def pool_rows(outcome: RotaOutcome) -> list[dict[str, str]]:
    """Per site and role: places filled from the bank and agency pools, spend, left short."""
    return [
        {
            "site": row.site,
            "role": _role(row.role),
            "bank": f"{row.bank_shifts:,}",
            "bank_cost": pounds(row.bank_pence),
            "agency": f"{row.agency_shifts:,}",
            "agency_cost": pounds(row.agency_pence),
            "short": f"{row.short:,}",
        }
        for row in outcome.cost.pools
    ]


def pool_note(outcome: RotaOutcome) -> str:
    """The pools' caps and prices in one sentence, and the checker's verdict on their use."""
    cost, settings = outcome.cost, outcome.settings
    if not cost.pool_use:
        return ""
    where = "site and role" if settings.pool_scope == "site" else "role, for all sites"
    period = "a week" if settings.pool_period == "week" else "over the rota"
    capped = any(u.capped for u in cost.pool_use)
    full = sorted(
        {
            f"{u.kind} {u.site} {_role(u.role)}"
            for u in cost.pool_use
            if u.cap and u.busiest >= u.cap
        }
    )
    return (
        f"A bank pool of {settings.bank_pool_shifts:,} and an agency pool of "
        f"{settings.agency_pool_shifts:,} places {period} per {where}; bank at basic pay + "
        f"{settings.bank_uplift_percent}%, agency at basic pay + "
        f"{min(settings.agency_uplift_percent, 55)}%"
        + (" (held to the NHS agency price cap of +55%)" if capped else "")
        + f". Filled: {cost.bank_pool.places:,} from bank ({pounds(cost.bank_pool.pence)}), "
        f"{cost.agency_pool.places:,} from agency ({pounds(cost.agency_pool.pence)}); "
        f"{cost.agency_gaps.places:,} left short."
        + (f" At their cap: {', '.join(full)}." if full else "")
        + (
            " Pools' use, caps and spend re-checked by the independent checker."
            if cost.pools_checked
            else " The checker's count of the pools' use disagrees: do not rely on it."
        )
    )


def _role(role: str) -> str:
    return next((label for r, label in STAFF_ROLE_LABELS.items() if r.value == role), role)
