"""The Rota page's build settings as one submitted form: read strictly, then checked in words.

A browser may send any payload with the form's submit event, so `read_submitted` first takes
only the names the form has, as text of bounded size; `settings_of` then checks every field
(`view.settings_from_form`, `pools.pool_settings_from_form`) and gives the build's
`RotaSettings` or one refusal naming every field that is wrong.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable

from ics_capacity.services.errors import InvalidInputError
from ics_capacity.services.rota import RotaSettings
from ics_capacity.ui.pages.rota import pools
from ics_capacity.ui.pages.rota.view import SECONDS_PER_WEEK, auto_time_limit, settings_from_form

TEXT_FIELDS = (
    "start_date",
    "weeks",
    "time_limit",
    "rule_pack",
    "demand",
    *pools.POOL_CHOICES,
    *pools.POOL_FIELDS,
)
"""The form's text boxes and selects, each sent once (an empty time limit: automatic)."""
TICK_BOXES = ("soft_rules", "keep_published")
"""The form's yes-or-no tick boxes: sent when ticked, absent when not."""
SITE_FIELD = "site"
"""The name of the sites' tick boxes: one value, the site's code, for each site ticked."""
MAX_SITES = 20
"""At most this many sites in one build (the job's bound, `RotaJobParameters.site_codes`)."""
MAX_VALUE_CHARS = 40
"""The longest value any field takes: a date, a number, a code or a rule pack's id."""
MAX_ITEMS = len(TEXT_FIELDS) + len(TICK_BOXES) + MAX_SITES


@dataclasses.dataclass(frozen=True)
class SubmittedSettings:
    """The settings form as it was sent: its text fields, its tick boxes and the sites ticked."""

    text: dict[str, str]
    soft_rules: bool
    keep_published: bool
    sites: tuple[str, ...]


def read_submitted(items: Iterable[tuple[object, object]]) -> SubmittedSettings:
    """The submitted form's fields, taken only if they are the form's own and of bounded size.

    Args:
        items: the submitted (name, value) pairs, in order; a name may repeat for the sites.

    Raises:
        InvalidInputError: a name the form does not have, a value that is not text or longer
            than `MAX_VALUE_CHARS`, a field sent twice, or more fields than the form has.
    """
    sent = list(itertools.islice(items, MAX_ITEMS + 1))
    if len(sent) > MAX_ITEMS:
        raise InvalidInputError(f"The form sent more than {MAX_ITEMS} fields; it has fewer.")
    text: dict[str, str] = {}
    ticked: set[str] = set()
    sites: list[str] = []
    for name, value in sent:
        if not isinstance(name, str) or name not in (*TEXT_FIELDS, *TICK_BOXES, SITE_FIELD):
            raise InvalidInputError(f"The form has no field '{str(name)[:MAX_VALUE_CHARS]}'.")
        if not isinstance(value, str) or len(value) > MAX_VALUE_CHARS:
            raise InvalidInputError(
                f"Field '{name}': give text of at most {MAX_VALUE_CHARS} characters."
            )
        if name == SITE_FIELD:
            if value not in sites:
                sites.append(value)
        elif name in text or name in ticked:
            raise InvalidInputError(f"Field '{name}' was sent more than once.")
        elif name in TICK_BOXES:
            ticked.add(name)
        else:
            text[name] = value
    return SubmittedSettings(
        text={name: text.get(name, "") for name in TEXT_FIELDS},
        soft_rules="soft_rules" in ticked,
        keep_published="keep_published" in ticked,
        sites=tuple(sites),
    )


def time_limit_text(submitted: SubmittedSettings) -> str:
    """The time limit asked for, or when the box is empty the one that follows the weeks."""
    typed = submitted.text["time_limit"].strip()
    if typed:
        return typed
    weeks = submitted.text["weeks"].strip()
    # Weeks that are not a number are refused on their own; the limit then says nothing more.
    return str(auto_time_limit(int(weeks)) if weeks.isdecimal() else SECONDS_PER_WEEK)


def settings_of(submitted: SubmittedSettings) -> RotaSettings:
    """The build's settings, or one refusal naming every field that is wrong, in words.

    Raises:
        InvalidInputError: naming every wrong field, the main settings' first.
    """
    problems: list[str] = []
    pool_values = {}
    try:
        pool_values = pools.pool_settings_from_form(
            {name: submitted.text[name] for name in (*pools.POOL_CHOICES, *pools.POOL_FIELDS)}
        )
    except InvalidInputError as error:
        problems.append(str(error))
    try:
        settings = settings_from_form(
            submitted.text["start_date"],
            submitted.text["weeks"],
            time_limit_text(submitted),
            submitted.sites,
            rule_pack=submitted.text["rule_pack"],
            soft_rules=submitted.soft_rules,
            demand=submitted.text["demand"],
            keep_published=submitted.keep_published,
            pools=pool_values,
        )
    except InvalidInputError as error:
        problems.insert(0, str(error))
    if problems:
        raise InvalidInputError(" ".join(problems))
    return settings
