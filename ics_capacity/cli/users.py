"""`ics-capacity user ...`: accounts managed by the server operator."""

from __future__ import annotations

from typing import Annotated

import typer

from ics_capacity.domain.roles import ROLE_LABELS

user_app = typer.Typer(
    help="User accounts (the first administrator, password resets).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Adds the `user` commands to the CLI."""
    app.add_typer(user_app, name="user")


@user_app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="Sign-in email address.")],
    collaborative: Annotated[str, typer.Option(help="Collaborative code, e.g. BCPC.")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLE_LABELS)}.")] = "viewer",
    name: Annotated[str, typer.Option(help="Name shown to colleagues.")] = "",
    password: Annotated[
        str | None, typer.Option(help="Password (asked for, hidden, when omitted).")
    ] = None,
) -> None:
    """Adds an account with a role in one collaborative."""
    from ics_capacity.services.errors import ServiceError
    from ics_capacity.services.users import add_user_as_operator

    if role not in ROLE_LABELS:
        raise typer.BadParameter(f"'{role}' is not a role; use one of {', '.join(ROLE_LABELS)}.")
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        add_user_as_operator(email, password, name or email, collaborative, role)
    except ServiceError as error:
        typer.secho(str(error), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from error
    typer.echo(f"Added {email.lower()} as {ROLE_LABELS[role]} of {collaborative}.")


@user_app.command("set-password")
def set_password(
    email: Annotated[str, typer.Argument(help="Sign-in email address.")],
    password: Annotated[
        str | None, typer.Option(help="New password (asked for, hidden, when omitted).")
    ] = None,
) -> None:
    """Sets an account's password and lifts any lockout."""
    from ics_capacity.services.errors import ServiceError
    from ics_capacity.services.users import set_password_as_operator

    if password is None:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        set_password_as_operator(email, password)
    except ServiceError as error:
        typer.secho(str(error), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from error
    typer.echo(f"Password of {email.lower()} set.")
