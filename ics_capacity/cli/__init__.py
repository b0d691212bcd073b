"""`ics-capacity`: the command line for what analysts script.

Commands of each capability live in their own module of this package, registered below.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from ics_capacity.importers.problems import ImportValidationError
from ics_capacity.settings import demo_sign_ins_file

app = typer.Typer(
    help="Elective capacity and shared workforce planning for NHS provider collaboratives.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _fail(message: str) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Brings the database schema up to REVISION (default: the newest)."""
    from ics_capacity.services.schema import upgrade

    upgrade(revision)
    typer.echo(f"Database schema at {revision}.")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision.")]) -> None:
    """Takes the database schema back to REVISION ('base' empties it)."""
    from ics_capacity.services.schema import downgrade
    from ics_capacity.settings import is_production

    if is_production() and not typer.confirm(
        f"ICS_ENV=production: take the production schema down to {revision}? Data may be lost."
    ):
        _fail("Nothing was changed.")

    downgrade(revision)
    typer.echo(f"Database schema at {revision}.")


@db_app.command("current")
def db_current() -> None:
    """Prints the schema revision the database is at."""
    from ics_capacity.services.schema import current_revision

    typer.echo(current_revision() or "empty (no schema)")


@app.command("seed-demo")
def seed_demo(
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder of the NHS files (default: ../shared/data/nhs).")
    ] = None,
    demo_users: Annotated[
        bool,
        typer.Option(help="Create one sign-in per role (never when ICS_ENV=production)."),
    ] = True,
) -> None:
    """Loads the Black Country demo collaborative if the database does not have it yet."""
    from ics_capacity.settings import is_production

    if is_production():
        _fail("ICS_ENV=production: the demo is never loaded into a production database.")
    from ics_capacity.services.demo import DemoDataMissingError
    from ics_capacity.services.demo import seed_demo as seed
    from ics_capacity.services.users import create_demo_users_as_operator, demo_users_allowed

    try:
        report = seed(data_dir)
    except (DemoDataMissingError, ImportValidationError) as error:
        _fail(str(error))
    typer.echo(report.describe())
    if report.created and demo_users and demo_users_allowed():
        accounts = create_demo_users_as_operator(report.collaborative_id)
        path = demo_sign_ins_file()
        lines = [
            f"{role:<15} {email:<42} {password}" for role, (email, password) in accounts.items()
        ]
        # Readable by its owner only, and never written to a log: the database keeps hashes.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write("Demo sign-ins (role, email, password)\n" + "\n".join(lines) + "\n")
        os.chmod(path, 0o600)
        typer.secho(f"\nDemo sign-ins written to {path} (readable by you only).", bold=True)
        typer.echo("Lost them? `ics-capacity user set-password EMAIL` sets a new one.\n")


def _register_subcommands() -> None:
    """Adds the commands that live in their own modules (one per capability)."""
    # Each module exposes `register(app)`; keep one line per module, in alphabetical order.
    from ics_capacity.cli import (
        data,
        forecast,
        jobs,
        maintenance,
        project,
        rebalance,
        rota,
        rota_benchmark,
        serve,
        users,
        worker,
    )

    data.register(app)
    forecast.register(app)
    jobs.register(app)
    maintenance.register(app)
    project.register(app)
    rebalance.register(app)
    rota.register(app)
    rota_benchmark.register(app)
    serve.register(app)
    users.register(app)
    worker.register(app)


_register_subcommands()


def main() -> None:
    """Entry point of the `ics-capacity` command."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app(prog_name="ics-capacity")


if __name__ == "__main__":
    main()
