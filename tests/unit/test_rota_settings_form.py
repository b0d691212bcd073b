"""The Rota page's settings form, read strictly and checked as one (`settings_form.py`)."""

from __future__ import annotations

import datetime as dt

import pytest

from ics_capacity.services.errors import InvalidInputError
from ics_capacity.ui.pages.rota import pools
from ics_capacity.ui.pages.rota.settings_form import (
    MAX_ITEMS,
    MAX_VALUE_CHARS,
    read_submitted,
    settings_of,
)


def _form(**changes: str) -> list[tuple[str, str]]:
    fields = {
        "start_date": "2026-12-21",
        "weeks": "3",
        "time_limit": "",
        "rule_pack": "uk_default",
        "demand": "plan",
        "keep_published": "on",
        **pools.default_pool_form(),
        **changes,
    }
    return [*fields.items(), ("site", "SANDWELL"), ("site", "CANNOCK")]


def test_a_submitted_form_becomes_the_builds_settings() -> None:
    """Every site ticked is kept in order; an unticked box is off; an empty limit follows weeks."""
    submitted = read_submitted(_form())
    assert submitted.sites == ("SANDWELL", "CANNOCK")
    assert (submitted.keep_published, submitted.soft_rules) == (True, False)
    settings = settings_of(submitted)
    assert settings.start_date == dt.date(2026, 12, 21) and settings.weeks == 3
    assert settings.site_codes == ("SANDWELL", "CANNOCK") and settings.demand == "plan"
    assert settings.time_limit_seconds == 30  # 10 s a week
    assert settings.keep_published and not settings.soft_rules
    assert settings.bank_pool_shifts == 10 and settings.pool_scope == "site"
    assert settings_of(read_submitted(_form(time_limit="7"))).time_limit_seconds == 7


def test_one_refusal_names_every_wrong_field() -> None:
    """Main settings and pool settings are refused together, the main ones first."""
    bad = [(k, v) for k, v in _form(weeks="abc", bank_pool_shifts="many") if k != "site"]
    with pytest.raises(InvalidInputError) as refused:
        settings_of(read_submitted(bad))
    message = str(refused.value)
    assert message.index("Weeks: 'abc'") < message.index("Hubs and sites: choose at least one")
    assert message.index("Hubs and sites") < message.index("Bank pool cap (places): 'many'")
    assert "Time limit" not in message  # an empty limit with bad weeks adds no second complaint


@pytest.mark.parametrize(
    ("items", "reason"),
    [
        ([("admin", "1")], "has no field 'admin'"),
        ([("weeks", "1" * (MAX_VALUE_CHARS + 1))], f"at most {MAX_VALUE_CHARS} characters"),
        ([("site", ["SANDWELL"])], "give text"),
        ([("weeks", "1"), ("weeks", "2")], "sent more than once"),
        ([("soft_rules", "on"), ("soft_rules", "on")], "sent more than once"),
        ([("site", f"S{i}") for i in range(MAX_ITEMS + 1)], f"more than {MAX_ITEMS} fields"),
        ([(1, "1")], "has no field '1'"),
    ],
)
def test_a_form_that_is_not_the_pages_is_refused_before_it_is_read(items, reason) -> None:
    """Unknown names, values too long or not text, repeats and too many fields are refused."""
    with pytest.raises(InvalidInputError, match=reason):
        read_submitted(items)


def test_a_pool_number_in_another_script_is_refused_not_raised() -> None:
    """Superscript digits count as digits to `str.isdigit` but not to `int`: refused in words."""
    with pytest.raises(InvalidInputError, match="Bank pool cap"):
        pools.pool_settings_from_form({**pools.default_pool_form(), "bank_pool_shifts": "²"})
    with pytest.raises(InvalidInputError, match="Weeks: '²'"):
        settings_of(read_submitted(_form(weeks="²")))
