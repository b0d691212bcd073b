"""What "capped" and "uncapped" utilisation mean in this app: one definition for every figure.

Published sources use theatre utilisation in two ways, often without saying which (issue 15 §3).
This app uses NHS England Model Hospital's words (explained by Zhang, Dunstan & Pandit 2024,
docs/assumptions.md [R7]) for every utilisation or occupancy figure it shows:

* **capped**: use within the planned time or beds ÷ the planned time or beds; time past a
  session's end (or use above the beds) does not count, so it cannot exceed 100%;
* **uncapped**: all use, overruns included ÷ the planned time or beds; it can exceed 100% and is
  never below the capped figure.

The utilisation and occupancy caps a scenario sets (85% theatre, 92% beds) are capped figures:
the planned use within the sessions and beds. Every label says which definition it uses through
`qualified`, and every tooltip gives the words from `UTILISATION_WORDS`. Pure: no I/O.
"""

from __future__ import annotations

from enum import StrEnum


class UtilisationDefinition(StrEnum):
    """Which utilisation a figure is: published sources use both, often unsaid."""

    CAPPED = "capped"
    UNCAPPED = "uncapped"


CAPPED_WORDS = (
    "Capped utilisation: use within the planned session time (or beds) ÷ the planned session "
    "time (or beds); time past a session's end does not count, so it cannot exceed 100% "
    "(NHS England Model Hospital's measure)."
)
UNCAPPED_WORDS = (
    "Uncapped utilisation: all use, overruns included ÷ the planned session time (or beds); "
    "it can exceed 100% and is never below the capped figure."
)

UTILISATION_WORDS: dict[UtilisationDefinition, str] = {
    UtilisationDefinition.CAPPED: CAPPED_WORDS,
    UtilisationDefinition.UNCAPPED: UNCAPPED_WORDS,
}
"""The one definition of each kind, shown in every tooltip and document that uses it."""

UTILISATION_DEFINITION_SOURCE = (
    "NHS England Model Hospital's capped theatre utilisation, explained in Zhang, Dunstan & "
    "Pandit, 'A tutorial on capped utilisation as a metric and key performance target in NHS "
    "England's Model Hospital operating theatres database', Anesthesiology and Perioperative "
    "Science 2(4), 2024"
)


def qualified(label: str, definition: UtilisationDefinition) -> str:
    """A utilisation figure's label with its definition, e.g. 'Theatre utilisation cap (capped)'."""
    return f"{label} ({definition.value})"


THEATRE_CAP_LABEL = qualified("Theatre utilisation cap", UtilisationDefinition.CAPPED)
"""The capacity table's (and board pack's) name for a site's theatre utilisation cap."""
BED_CAP_LABEL = qualified("Bed occupancy cap", UtilisationDefinition.CAPPED)
"""The capacity table's name for a site's bed occupancy cap."""
