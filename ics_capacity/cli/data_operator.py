"""Importing and exporting as the server operator: the command line has every right.

The same functions the signed-in use cases call inside their transaction
(`services/data_exchange/`), without a role check; audited as the command line (`OPERATOR`).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from sqlmodel import Session

from ics_capacity.db.models import Scenario
from ics_capacity.db.session import unit_of_work
from ics_capacity.services.auth import Principal
from ics_capacity.services.data_exchange import (
    OPERATOR,
    ImportPreview,
    export_scenario_of,
    export_table_of,
    import_file_in,
    preview_into,
)
from ics_capacity.services.data_exchange.loaders import ImportOutcome
from ics_capacity.services.scenarios import NotFoundError


def _operator() -> Principal:
    """The server operator, as whom the command line imports and exports (no role checks)."""
    return Principal(user_id=0, email=OPERATOR, display_name="Command line")


def _scenario_as_operator(session: Session, scenario_id: int) -> Scenario:
    """A scenario by id, for the command line (which has every right)."""
    scenario = session.get(Scenario, scenario_id)
    if scenario is None:
        raise NotFoundError(f"Scenario {scenario_id} was not found.")
    return scenario


def import_as_operator(
    scenario_id: int,
    kind: str,
    path: Path,
    *,
    ics: str | None = None,
    providers: Collection[str] | None = None,
    dry_run: bool = False,
) -> ImportOutcome | ImportPreview:
    """Imports (or with `dry_run` previews) a file into a scenario from the command line."""
    with unit_of_work() as session:
        scenario = _scenario_as_operator(session, scenario_id)
        if dry_run:
            return preview_into(session, scenario, kind, path, ics=ics, providers=providers)
        outcome = import_file_in(
            session, scenario, kind, path, actor=_operator(), ics=ics, providers=providers
        )
        session.commit()
        return outcome


def export_as_operator(scenario_id: int, fmt: str, table: str | None = None) -> tuple[str, bytes]:
    """A scenario (or one of its tables) as a file, for the command line; audited as the CLI."""
    with unit_of_work() as session:
        scenario = _scenario_as_operator(session, scenario_id)
        if table is not None:
            exported = export_table_of(session, scenario, table, fmt, _operator())
        else:
            exported = export_scenario_of(session, scenario, fmt, _operator())
        session.commit()
        return exported
