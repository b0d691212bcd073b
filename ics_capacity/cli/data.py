"""`ics-capacity import ...` and `ics-capacity export ...`: files in and out, by the operator.

The command line has every right (it is the operator's shell); it calls the same services as the
browser's upload page, which check the signed-in user's role first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from ics_capacity.importers.problems import ImportValidationError

import_app = typer.Typer(
    help="Load NHS England's published files and the project's templates.", no_args_is_help=True
)

ScenarioOption = Annotated[
    int | None, typer.Option("--scenario", help="Id of the draft scenario to load the file into.")
]
IcsOption = Annotated[
    str | None, typer.Option("--ics", help="ICB code of the system to read, e.g. QUA.")
]
ProvidersOption = Annotated[
    str | None,
    typer.Option("--providers", help="Comma-separated provider ODS codes to read, e.g. RBK,RL4."),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Check the file and show what it holds; write nothing.")
]


def register(app: typer.Typer) -> None:
    """Adds the `import` commands and `export` to the CLI."""
    app.add_typer(import_app, name="import")
    app.command("export")(export)


def _fail(message: str) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


def _codes(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [code.strip().upper() for code in text.split(",") if code.strip()]


def _import(
    kind: str,
    file: Path,
    scenario: int | None,
    *,
    ics: str | None = None,
    providers: str | None = None,
    dry_run: bool = False,
) -> None:
    from ics_capacity.cli.data_operator import import_as_operator
    from ics_capacity.services.data_exchange import ImportPreview
    from ics_capacity.services.scenarios import ScenarioError

    if scenario is None:
        _fail(f"Say which scenario to load the {kind} file into: --scenario ID.")
    if not file.is_file():
        _fail(f"{file}: no such file.")
    try:
        result = import_as_operator(
            scenario,
            kind,
            file,
            ics=ics.upper() if ics else None,
            providers=_codes(providers),
            dry_run=dry_run,
        )
    except (ImportValidationError, ScenarioError) as error:
        _fail(str(error))
    if isinstance(result, ImportPreview):
        if not result.ok:
            _fail(str(ImportValidationError(result.problems)))
        note = " (already imported: importing it again changes nothing)"
        typer.echo(f"{result.file_name} can be imported{note if result.already_imported else ''}:")
        for label, value in result.summary:
            typer.echo(f"  {label}: {value}")
        return
    typer.echo(result.describe())


@import_app.command("rtt")
def import_rtt(
    file: Annotated[Path, typer.Argument(help="RTT Full CSV extract, plain or zipped.")],
    ics: Annotated[
        str | None,
        typer.Option("--ics", help="ICB code of the one system to load, e.g. QUA (default: all)."),
    ] = None,
    scenario: ScenarioOption = None,
    providers: ProvidersOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Loads waiting lists from an RTT Full CSV extract.

    Without --scenario, each system in the file (or the one --ics names) goes into its own
    collaborative's baseline scenario, created on first import. With --scenario, the scenario's
    system (or --ics, or --providers) is loaded into that draft scenario.
    """
    if scenario is not None or dry_run:
        _import("rtt", file, scenario, ics=ics, providers=providers, dry_run=dry_run)
        return
    from ics_capacity.db.session import unit_of_work
    from ics_capacity.services.data_exchange.loaders import import_rtt_extract

    if providers:
        _fail("--providers needs --scenario.")
    if not file.is_file():
        _fail(f"{file}: no such file.")
    try:
        with unit_of_work() as session:
            outcomes = import_rtt_extract(
                session, file, ics=ics.upper() if ics else None, user="cli"
            )
            session.commit()
    except ImportValidationError as error:
        _fail(str(error))
    for outcome in outcomes:
        typer.echo(outcome.describe())


@import_app.command("kh03")
def import_kh03(
    file: Annotated[Path, typer.Argument(help="KH03 trust x quarter beds panel (CSV).")],
    scenario: ScenarioOption = None,
    providers: ProvidersOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Loads each member trust's latest G&A beds from the KH03 panel."""
    _import("kh03", file, scenario, providers=providers, dry_run=dry_run)


@import_app.command("workforce")
def import_workforce(
    file: Annotated[Path, typer.Argument(help="Workforce staff group by organisation (CSV).")],
    scenario: ScenarioOption = None,
    providers: ProvidersOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Loads each member trust's staff in post (headcount and FTE) by staff group."""
    _import("workforce", file, scenario, providers=providers, dry_run=dry_run)


@import_app.command("etr")
def import_etr(
    file: Annotated[Path, typer.Argument(help="ODS NHS trusts file (etr.csv).")],
    scenario: ScenarioOption = None,
    ics: IcsOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Adds the system's open NHS trusts and updates their names, ICB and postcodes."""
    _import("etr", file, scenario, ics=ics, dry_run=dry_run)


@import_app.command("flows")
def import_flows(
    file: Annotated[Path, typer.Argument(help="Monthly RTT flows per system (CSV).")],
    scenario: ScenarioOption = None,
    ics: IcsOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Loads the system's monthly new clock starts, completions and waiting list."""
    _import("flows", file, scenario, ics=ics, dry_run=dry_run)


@import_app.command("template")
def import_template(
    file: Annotated[
        Path, typer.Argument(help="Theatres or case-mix template (CSV or .xlsx), see docs.")
    ],
    scenario: ScenarioOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Adds or updates sites, theatres and beds, or case-mix, from the project's templates."""
    _import("template", file, scenario, dry_run=dry_run)


@import_app.command("rota-staff")
def import_rota_staff(
    file: Annotated[Path, typer.Argument(help="Rota staff list (CSV), see docs.")],
    scenario: ScenarioOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Makes the scenario's rota staff list the file's (people kept by code keep their locks)."""
    _import("rota_staff", file, scenario, dry_run=dry_run)


@import_app.command("rota-requests")
def import_rota_requests(
    file: Annotated[Path, typer.Argument(help="Staff requests (CSV or .xlsx), see docs/rota.md.")],
    scenario: ScenarioOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Adds the file's staff requests (each replaces the person's request that day and shift)."""
    _import("rota_requests", file, scenario, dry_run=dry_run)


def export(
    scenario: Annotated[int, typer.Argument(help="Id of the scenario to export.")],
    fmt: Annotated[
        str, typer.Option("--format", help="csv (a zip of CSVs), xlsx or json.")
    ] = "json",
    out: Annotated[
        Path, typer.Option("--out", help="File to write, or an existing folder to write into.")
    ] = Path("."),
    table: Annotated[
        str | None, typer.Option("--table", help="Export only this table (csv or xlsx).")
    ] = None,
) -> None:
    """Writes a whole scenario (or one table) to a file; JSON re-imports losslessly."""
    from ics_capacity.cli.data_operator import export_as_operator
    from ics_capacity.services.scenarios import ScenarioError

    try:
        name, data = export_as_operator(scenario, fmt, table)
    except ScenarioError as error:
        _fail(str(error))
    target = out / name if out.is_dir() else out
    target.write_bytes(data)
    typer.echo(f"Wrote {target} ({len(data):,} bytes).")
