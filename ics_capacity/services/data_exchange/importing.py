"""Previewing and committing an import: the signed-in user's use cases and the same in a session.

`preview_import` and `commit_import` open `scenarios.scenario_transaction`, which checks the
user's role, then call `preview_into` and `import_file_in`, which work inside an open session
without a role check (the callers check: onboarding, the command line as the operator).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from ics_capacity.db.models import (
    Scenario,
)
from ics_capacity.domain.roles import Permission
from ics_capacity.importers.problems import ImportProblem, ImportValidationError
from ics_capacity.importers.recognise import (
    SIGNATURES,
    header_of,
    is_header_problem,
    match_share,
    recognise,
)
from ics_capacity.services.auth import Principal
from ics_capacity.services.data_exchange.loaders import ImportOutcome, already_imported, file_sha256
from ics_capacity.services.data_exchange.preparing import (
    IMPORT_KIND_LABELS,
    IMPORT_KINDS,
    _prepare,
    _Prepared,
)
from ics_capacity.services.scenario_changes import mark_scenario_changed
from ics_capacity.services.scenarios import (
    ScenarioError,
    audit,
    require_editable,
    scenario_transaction,
)

OPERATOR = "cli"
"""Who the command line acts as in audit rows and `updated_by`."""


@dataclass(frozen=True)
class ImportPreview:
    """What importing a file would do, or everything wrong with it; nothing is written.

    Attributes:
        kind: One of `IMPORT_KINDS`.
        file_name: The file's name as the user gave it.
        ok: Whether the file can be imported (no problems).
        problems: Every problem found, with file, row, column, value and reason.
        summary: (label, value) lines a person reads, e.g. ("Patients waiting", "221,510").
        already_imported: Whether this very file (same SHA-256) is already in the scenario, so
            importing it again would change nothing.
    """

    kind: str
    file_name: str
    ok: bool
    problems: list[ImportProblem]
    summary: list[tuple[str, str]]
    already_imported: bool


# --- Import: the signed-in user's use cases ----------------------------------------------------


def preview_import(
    token: str,
    scenario_id: int,
    kind: str,
    path: Path,
    *,
    ics: str | None = None,
    providers: Collection[str] | None = None,
) -> ImportPreview:
    """Checks a file against a scenario and says what importing it would do; writes nothing.

    Args:
        token: The signed-in user's session token.
        scenario_id: The scenario to import into (any status: a preview changes nothing).
        kind: One of `IMPORT_KINDS`.
        path: The file, named as the user knows it (problems name `path.name`).
        ics: RTT, ODS and flows: the system (ICB code) to read; default the scenario's.
        providers: RTT, KH03 and workforce: the provider ODS codes to read; default all of the
            system (RTT) or the collaborative's member trusts (KH03, workforce).

    Raises:
        NotSignedInError, NotFoundError, PermissionDeniedError: as for any scenario use case;
            the permission is EDIT_CAPACITY (EDIT_WORKFORCE for workforce files).
        ScenarioError: unknown kind.
    """
    _check_kind(kind)
    with scenario_transaction(token, scenario_id, permission_for(kind)) as use:
        return preview_into(use.session, use.scenario, kind, path, ics=ics, providers=providers)


def commit_import(
    token: str,
    scenario_id: int,
    kind: str,
    path: Path,
    *,
    ics: str | None = None,
    providers: Collection[str] | None = None,
) -> ImportOutcome:
    """Imports a file into a draft (or rejected) scenario in one transaction, audited.

    Arguments as `preview_import`.

    Returns:
        What was written, or that nothing was because the file was already imported.

    Raises:
        ImportValidationError: with every problem; nothing was written.
        ScenarioError: the scenario is not editable, or the kind is unknown.
        NotSignedInError, NotFoundError, PermissionDeniedError: as `preview_import`.
    """
    _check_kind(kind)
    with scenario_transaction(token, scenario_id, permission_for(kind)) as use:
        return import_file_in(
            use.session, use.scenario, kind, path, actor=use.principal, ics=ics, providers=providers
        )


def permission_for(kind: str) -> Permission:
    """The permission importing a kind of file needs."""
    if kind in ("workforce", "rota_staff", "rota_requests"):
        return Permission.EDIT_WORKFORCE
    return Permission.EDIT_CAPACITY


def _check_kind(kind: str) -> None:
    if kind not in IMPORT_KINDS:
        raise ScenarioError(
            f"'{kind}' is not a kind of import; use one of {', '.join(IMPORT_KINDS)}."
        )


# --- Import: inside an open session, without a role check (the callers check) ------------------


def preview_into(
    session: Session,
    scenario: Scenario,
    kind: str,
    path: Path,
    *,
    ics: str | None = None,
    providers: Collection[str] | None = None,
) -> ImportPreview:
    """`preview_import` inside the caller's session, without a permission check."""
    _check_kind(kind)
    already = False
    try:
        already = already_imported(session, scenario.id, kind, _sha256(path))
        prepared = _prepare_recognised(session, scenario, kind, path, ics=ics, providers=providers)
    except ImportValidationError as error:
        return ImportPreview(kind, path.name, False, error.problems, [], already)
    return ImportPreview(kind, path.name, True, [], prepared.summary, already)


def import_file_in(
    session: Session,
    scenario: Scenario,
    kind: str,
    path: Path,
    *,
    actor: Principal,
    ics: str | None = None,
    providers: Collection[str] | None = None,
) -> ImportOutcome:
    """`commit_import` inside the caller's session (who commits), without a permission check.

    For a use case that has checked its caller (commit_import, onboarding) or the operator.

    Raises:
        ImportValidationError: with every problem; nothing has been written to the session.
        ScenarioError: the scenario is not editable.
    """
    _check_kind(kind)
    require_editable(scenario)
    if already_imported(session, scenario.id, kind, _sha256(path)):
        return ImportOutcome(kind, path.name, 0, skipped_as_duplicate=True)
    prepared = _prepare_recognised(session, scenario, kind, path, ics=ics, providers=providers)
    outcome = prepared.write(session, scenario, actor.email)
    mark_scenario_changed(session, scenario.id, actor.email)
    audit(
        session,
        actor,
        scenario,
        "data.import",
        f"Imported {IMPORT_KIND_LABELS[kind]} {path.name} into '{scenario.name}': "
        f"{outcome.rows_written:,} rows",
        entity="import",
        entity_id=kind,
        new=path.name,
    )
    session.flush()
    return outcome


def _prepare_recognised(
    session: Session,
    scenario: Scenario,
    kind: str,
    path: Path,
    *,
    ics: str | None,
    providers: Collection[str] | None,
) -> _Prepared:
    """`_prepare`, but a file of another kind gets one problem saying what it looks like.

    Without this, a file whose header is mostly not this kind's gets a line for every column
    the reader missed.
    """
    try:
        return _prepare(session, scenario, kind, path, ics=ics, providers=providers)
    except ImportValidationError as error:
        missing = [problem for problem in error.problems if is_header_problem(problem)]
        if len(missing) < 2:
            raise
        header = header_of(path) or []
        guess = recognise(header)
        if guess == kind or (guess is None and not _mostly_missing(kind, header)):
            raise
        raise ImportValidationError([_wrong_kind(kind, guess, missing, header, path)]) from error


def _mostly_missing(kind: str, header: list[str]) -> bool:
    """Whether the header holds under half of every column set that identifies the kind."""
    signatures = SIGNATURES.get(kind, [])
    return all(match_share(header, signature) < 0.5 for signature in signatures)


def _wrong_kind(
    kind: str, guess: str | None, missing: list[ImportProblem], header: list[str], path: Path
) -> ImportProblem:
    chosen = IMPORT_KIND_LABELS[kind]
    expected = ", ".join(f"'{problem.column}'" for problem in missing[:3])
    more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
    if guess is not None:
        reason = (
            f"looks like the {IMPORT_KIND_LABELS[guess]} file, not a {chosen} file: its header "
            f"has that file's columns, and lacks {expected}{more}. Choose "
            f"'{IMPORT_KIND_LABELS[guess]}' as the kind of file, or upload the {chosen} file."
        )
    else:
        first = ", ".join(f"'{name}'" for name in header[:4]) or "nothing readable"
        reason = (
            f"does not look like a {chosen} file: its header row starts {first}, and lacks "
            f"{expected}{more}. Check the kind of file chosen, and that the first row names "
            "the columns."
        )
    return ImportProblem(path.name, 1, None, None, reason)


def _sha256(path: Path) -> str:
    if not path.is_file():
        raise ImportValidationError([ImportProblem(path.name, None, None, None, "does not exist.")])
    return file_sha256(path)
