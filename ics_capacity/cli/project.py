"""`ics-capacity project`: the dashboard's headline projection of a scenario, for analysts.

    ics-capacity project SCENARIO [--weeks N] [--json]

Runs as the server operator (no sign-in). With --json, stdout holds exactly one JSON object;
messages go to stderr. A bad scenario id or horizon prints what is wrong and exits with code 1.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, NoReturn

import typer

HELP = """Prints a SCENARIO's headline projection at the horizon, with and without the plan.

The figures are the dashboard's: the median is the deterministic projection (the number on the
dashboard's headline cards), p10 and p90 the 80% band of its Monte Carlo run (200 runs, seed
2026). "Without the plan" is the scenario's parent scenario, or the collaborative's baseline.
JSON keys: waiting_list, within_18_weeks (a share 0-1), over_52_weeks, over_65_weeks,
over_78_weeks, each {"median", "p10", "p90"}; the same under without_plan; notes; and targets:
each member trust against the dashboard's dated targets ("No 65-week waiters by 30 September
2026", "65% within 18 weeks by 31 March 2027"), with and without the plan, the shortfall and, for
a miss, the extra treatments and theatre sessions a week that would close it (modelled).
"""


def register(app: typer.Typer) -> None:
    """Adds the `project` command to the CLI."""
    app.command("project", help=HELP)(project)


def _fail(message: str) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


def project(
    scenario: Annotated[
        int, typer.Argument(help="Scenario id (see the overview page or the database).")
    ],
    weeks: Annotated[
        int, typer.Option("--weeks", min=4, max=104, help="Horizon in weeks (4-104).")
    ] = 104,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Prints a SCENARIO's headline projection at the horizon, with and without the plan."""
    from ics_capacity.cli.rebalance import not_ready
    from ics_capacity.services.projections import (
        project_scenario_as_operator,
        projection_headline,
    )
    from ics_capacity.services.readiness import ModelNotReadyError
    from ics_capacity.services.scenarios import ScenarioError
    from ics_capacity.services.targets import scenario_targets_as_operator

    try:
        projection = project_scenario_as_operator(scenario, horizon_weeks=weeks)
    except ModelNotReadyError as error:
        not_ready(error, scenario, as_json)
    except ScenarioError as error:
        _fail(str(error))
    headline = projection_headline(projection)
    headline["targets"] = scenario_targets_as_operator(scenario, projection).as_json()
    if as_json:
        typer.echo(json.dumps(headline))
    else:
        typer.echo(_describe(headline))


def _figure(key: str, figure: dict[str, Any]) -> str:
    if key == "within_18_weeks":
        show = "{:.1%}".format
    else:
        show = "{:,.0f}".format
    band = ""
    if figure.get("p10") is not None:
        band = f" (80% band {show(figure['p10'])} to {show(figure['p90'])})"
    return f"{show(figure['median'])}{band}"


LABELS = {
    "waiting_list": "Waiting list",
    "within_18_weeks": "Within 18 weeks",
    "over_52_weeks": "Over 52 weeks",
    "over_65_weeks": "Over 65 weeks",
    "over_78_weeks": "Over 78 weeks",
}


def _describe(headline: dict[str, Any]) -> str:
    """A few lines for a terminal."""
    when = f" ({headline['at_date']})" if headline.get("at_date") else ""
    lines = [f"{headline['scenario']}: in {headline['horizon_weeks']} weeks{when}"]
    lines += [f"  {label}: {_figure(key, headline[key])}" for key, label in LABELS.items()]
    if "treated" in headline:
        lines.append(
            f"  Treated over the projection: {headline['treated']:,.0f}; removed by validation, "
            f"not treated: {headline['removed_by_validation']:,.0f}"
        )
        lines.append(f"  {headline['validation_basis']}")
    without = headline.get("without_plan")
    if without is not None:
        lines.append(f"{headline['comparison']} (without the plan):")
        lines += [f"  {label}: {_figure(key, without[key])}" for key, label in LABELS.items()]
        if "treated" in without:
            lines.append(
                f"  Treated over the projection: {without['treated']:,.0f}; removed by "
                f"validation, not treated: {without['removed_by_validation']:,.0f}"
            )
            lines.append(f"  {without['validation_basis']}")
    lines += [f"Note: {note}" for note in headline.get("notes", [])]
    targets = headline.get("targets")
    if targets:
        lines.append("Targets by date (modelled):")
        lines += [_target_line(row) for row in targets["rows"]]
    return "\n".join(lines)


def _target_line(row: dict[str, Any]) -> str:
    """One trust against one dated target, e.g. '  RXK 65% within ... : Missed by 3.4 points'."""
    head = f"  {row['trust']}, {row['target']}: {row['status']}"
    if row["status"] != "Missed":
        return head
    closing = ""
    if row["extra_treatments_per_week"] is not None and row["extra_treatments_per_week"] < 0.5:
        closing = "; the scenario's average treatment a week would meet it (a matter of timing)"
    elif row["extra_treatments_per_week"] is not None:
        closing = (
            f"; {row['extra_treatments_per_week']:,.0f} more treatments a week "
            f"({row['extra_theatre_sessions_per_week']:,.1f} theatre sessions, capped) would "
            "close it"
        )
    return f"{head} by {row['shortfall']:,.1f} {row['unit']}{closing}"
