"""`ics-capacity import ...` and `ics-capacity export ...`: files in and out, by the operator.

The command line has every right (it is the operator's shell); it calls the same services as the
browser's upload page, which check the signed-in user's role first.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, NoReturn

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


@dataclass(frozen=True)
class _FileImport:
    """One `ics-capacity import NAME FILE` command that hands the file to `_import`."""

    name: str
    kind: str  # the import kind the loaders know
    file_help: str
    summary: str  # the command's help line
    scope: Literal["providers", "ics"] | None = None  # which of the system's members to read


_FILE_IMPORTS = (
    _FileImport(
        "kh03",
        "kh03",
        "KH03 trust x quarter beds panel (CSV).",
        "Loads each member trust's latest G&A beds from the KH03 panel.",
        "providers",
    ),
    _FileImport(
        "workforce",
        "workforce",
        "Workforce staff group by organisation (CSV).",
        "Loads each member trust's staff in post (headcount and FTE) by staff group.",
        "providers",
    ),
    _FileImport(
        "etr",
        "etr",
        "ODS NHS trusts file (etr.csv).",
        "Adds the system's open NHS trusts and updates their names, ICB and postcodes.",
        "ics",
    ),
    _FileImport(
        "flows",
        "flows",
        "Monthly RTT flows per system (CSV).",
        "Loads the system's monthly new clock starts, completions and waiting list.",
        "ics",
    ),
    _FileImport(
        "template",
        "template",
        "Theatres or case-mix template (CSV or .xlsx), see docs.",
        "Adds or updates sites, theatres and beds, or case-mix, from the project's templates.",
    ),
    _FileImport(
        "rota-staff",
        "rota_staff",
        "Rota staff list (CSV), see docs.",
        "Makes the scenario's rota staff list the file's (people kept by code keep their locks).",
    ),
    _FileImport(
        "rota-requests",
        "rota_requests",
        "Staff requests (CSV or .xlsx), see docs/rota.md.",
        "Adds the file's staff requests (each replaces the person's request that day and shift).",
    ),
)

_SCOPE_OPTIONS = {"providers": ProvidersOption, "ics": IcsOption}


def _file_import_command(spec: _FileImport) -> Callable[..., None]:
    """The command for `spec`: FILE, --scenario, the spec's scope option if any, --dry-run."""

    def command(
        file: Path, scenario: int | None = None, dry_run: bool = False, **scope: str | None
    ) -> None:
        _import(spec.kind, file, scenario, dry_run=dry_run, **scope)

    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    file_type = Annotated[Path, typer.Argument(help=spec.file_help)]
    parameters = [
        inspect.Parameter("file", keyword, annotation=file_type),
        inspect.Parameter("scenario", keyword, default=None, annotation=ScenarioOption),
    ]
    if spec.scope is not None:
        option = _SCOPE_OPTIONS[spec.scope]
        parameters.append(inspect.Parameter(spec.scope, keyword, default=None, annotation=option))
    parameters.append(inspect.Parameter("dry_run", keyword, default=False, annotation=DryRunOption))
    # Typer reads the options from the signature, so each command offers only its own scope.
    signature = inspect.Signature(parameters, return_annotation=None)
    command.__signature__ = signature  # type: ignore[attr-defined]
    command.__name__ = f"import_{spec.kind}"
    command.__doc__ = spec.summary
    return command


for _spec in _FILE_IMPORTS:
    import_app.command(_spec.name)(_file_import_command(_spec))


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
