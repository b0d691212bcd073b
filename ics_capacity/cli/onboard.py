"""`ics-capacity onboard`: a new system from NHS England's published files, in one step.

    ics-capacity onboard --ics CODE --rtt RTT.zip [--kh03 F] [--workforce F] [--etr F]
                         [--mar F] [--flows F] [--template F ...] [--trusts A,B,C]
                         [--code CODE --name NAME] [--json]

Creates the collaborative and its member trusts, loads every file and the collaborative's own
sites and case-mix templates (local figures), builds the estimated starting capacity model for
the rest and a draft scenario beside the published baseline, in one transaction; prints the
draft scenario's id (docs/onboarding.md). Any problem in any file writes nothing and exits 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer


def register(app: typer.Typer) -> None:
    """Adds the `onboard` command to the CLI."""
    app.command("onboard")(onboard)


def _fail(message: str) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


def onboard(
    ics: Annotated[str, typer.Option("--ics", help="ICB code of the system, e.g. QHL.")],
    rtt: Annotated[Path, typer.Option("--rtt", help="RTT Full CSV extract (.csv or .zip).")],
    kh03: Annotated[
        Path | None, typer.Option("--kh03", help="KH03 beds, trust by quarter.")
    ] = None,
    workforce: Annotated[
        Path | None, typer.Option("--workforce", help="NHS workforce statistics, by trust.")
    ] = None,
    etr: Annotated[Path | None, typer.Option("--etr", help="ODS NHS trusts file (etr).")] = None,
    mar: Annotated[
        Path | None, typer.Option("--mar", help="Monthly Activity Return, provider level.")
    ] = None,
    flows: Annotated[
        Path | None, typer.Option("--flows", help="Monthly RTT flows per system.")
    ] = None,
    template: Annotated[
        list[Path] | None,
        typer.Option(
            "--template",
            help="The collaborative's own sites or case-mix template (local figures); repeatable.",
        ),
    ] = None,
    trusts: Annotated[
        str | None,
        typer.Option(
            "--trusts", help="Member trusts' ODS codes, comma separated (default: acute trusts)."
        ),
    ] = None,
    code: Annotated[
        str | None,
        typer.Option("--code", help="The collaborative's own code (default: the ICB code)."),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="The collaborative's own name (default: the ICB's)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Onboards a system: collaborative, files, estimated starting model and a draft scenario."""
    from ics_capacity.importers.problems import ImportValidationError
    from ics_capacity.services.errors import ServiceError
    from ics_capacity.services.onboarding import OnboardingFiles, onboard_as_operator

    files = OnboardingFiles(
        rtt=rtt,
        kh03=kh03,
        workforce=workforce,
        etr=etr,
        mar=mar,
        flows=flows,
        templates=tuple(template or ()),
    )
    for option in ("rtt", "kh03", "workforce", "etr", "mar", "flows"):
        path = getattr(files, option)
        if path is not None and not path.is_file():
            _fail(f"--{option} {path}: no such file.")
    for path in files.templates:
        if not path.is_file():
            _fail(f"--template {path}: no such file.")
    codes = [c.strip().upper() for c in trusts.split(",") if c.strip()] if trusts else None
    try:
        report = onboard_as_operator(
            ics, files, trusts=codes, collaborative_code=code, collaborative_name=name
        )
    except (ImportValidationError, ServiceError) as error:
        _fail(str(error))
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "scenario": report.scenario_id,
                    "baseline": report.baseline_id,
                    "collaborative": report.collaborative_id,
                    "trusts": report.trusts,
                    "sites": report.sites,
                }
            )
        )
        return
    typer.echo(report.describe())
    typer.echo(str(report.scenario_id))
