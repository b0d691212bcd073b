"""`ics-capacity user ...`: accounts managed by the server operator."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ics_capacity.domain.roles import ROLE_LABELS

user_app = typer.Typer(
    help="User accounts (the first administrator, password resets).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Adds the `user` commands to the CLI."""
    app.add_typer(user_app, name="user")


def read_password(prompt: str) -> str:
    """A password typed at a hidden prompt (asked twice), or one line of standard input.

    Never an argument or option: those end up in the shell's history and in `ps` for every user
    of the machine. When standard input is not a terminal (a script, a pipe) its first line is
    the password, without the line ending.
    """
    if sys.stdin is not None and sys.stdin.isatty():
        return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


@user_app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="Sign-in email address.")],
    collaborative: Annotated[str, typer.Option(help="Collaborative code, e.g. BCPC.")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLE_LABELS)}.")] = "viewer",
    name: Annotated[str, typer.Option(help="Name shown to colleagues.")] = "",
) -> None:
    """Adds an account with a role in one collaborative.

    The password is asked for at a hidden prompt, or read as one line from standard input when
    that is not a terminal.
    """
    from ics_capacity.services.errors import ServiceError
    from ics_capacity.services.users import add_user_as_operator

    if role not in ROLE_LABELS:
        raise typer.BadParameter(f"'{role}' is not a role; use one of {', '.join(ROLE_LABELS)}.")
    password = read_password("Password")
    try:
        add_user_as_operator(email, password, name or email, collaborative, role)
    except ServiceError as error:
        typer.secho(str(error), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from error
    typer.echo(f"Added {email.lower()} as {ROLE_LABELS[role]} of {collaborative}.")


@user_app.command("set-password")
def set_password(
    email: Annotated[str, typer.Argument(help="Sign-in email address.")],
) -> None:
    """Sets a new password that the person must change at next sign-in; ends their sessions.

    The password is asked for at a hidden prompt, or read as one line from standard input when
    that is not a terminal. The reset is recorded in the audit log of each of the person's
    collaboratives.
    """
    from ics_capacity.services.errors import ServiceError
    from ics_capacity.services.users import set_password_as_operator

    password = read_password("New password")
    try:
        set_password_as_operator(email, password)
    except ServiceError as error:
        typer.secho(str(error), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from error
    typer.echo(
        f"Password of {email.lower()} set; their sessions ended, and they must change it at "
        "their next sign-in."
    )
