"""`ics-capacity audit verify` and `ics-capacity cleanup`: the operator's upkeep."""

from __future__ import annotations

from typing import Annotated

import typer

audit_app = typer.Typer(help="The audit log (append-only, hash-chained).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Adds the `audit` and `cleanup` commands to the CLI."""
    app.add_typer(audit_app, name="audit")
    app.command("cleanup")(cleanup)


@audit_app.command("verify")
def verify() -> None:
    """Walks the audit log's hash chain; exit code 1 names the first broken row."""
    from ics_capacity.services.maintenance import verify_audit_chain_as_operator

    report = verify_audit_chain_as_operator()
    if not report.intact:
        typer.secho(
            f"Audit chain broken at row id {report.broken_id} (row {report.rows} in id order): "
            f"{report.reason}.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"{report.rows} rows, chain intact.")


def cleanup(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would go; delete nothing.")
    ] = False,
) -> None:
    """Deletes ended sessions, old finished optimiser runs and stale uploads (never audit rows).

    How long each is kept: ICS_KEEP_SESSIONS_DAYS (30), ICS_KEEP_JOBS_DAYS (90),
    ICS_KEEP_UPLOADS_HOURS (1).
    """
    from ics_capacity.services.maintenance import cleanup_as_operator

    try:
        report = cleanup_as_operator(dry_run=dry_run)
    except ValueError as error:  # a retention setting that is not a number
        typer.secho(str(error), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from error
    typer.echo(report.describe())
