"""`ics-capacity rota`: build a scenario's shared workforce rota from the command line.

    ics-capacity rota SCENARIO [--weeks N] [--sites CANNOCK,SANDWELL] [--start YYYY-MM-DD]
        [--rule-pack uk_default] [--soft-rules] [--demand timetable|plan]
        [--time-limit S] [--workers N] [--out ROTA.csv|ROTA.xlsx] [--json] [--history FILE.csv]
        [--pool-scope site|collaborative] [--pool-period week|rota] [--bank-cap N]
        [--agency-cap N] [--bank-uplift PCT] [--agency-uplift PCT]
    ics-capacity rota SCENARIO --enqueue --as EMAIL [the same options]  (prints the job id)
    ics-capacity rota-publish SCENARIO JOB --as EMAIL  (publishes that finished build)

Runs the same service as the Rota page (no sign-in: the CLI is for the people who run the
database). With --json, stdout holds one JSON object: status, objective, bound, gap, seconds,
time limit, workers, gaps, places short and its proven lower bound (`places_short_lower_bound`:
no rota keeping the hard rules leaves fewer), cost and compliance, and `history` (the shifts
before the start that the rolling rules counted: from --history, else the scenario's previous rota
when it ends the day before; None without), and `pools`: the places the bank and agency pools
filled and their spend per site and role, each pool's use against its cap, and the places left
short (`places_unfilled`); `fairness` per staff group and kind; `published` (the publication the
build kept where it could, or None) and `published_changes` (every published day it changed, and
why); messages go to stderr.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from ics_capacity.cli import jobs
from ics_capacity.cli.jobs import AS_OPTION

if TYPE_CHECKING:
    from ics_capacity.services.results import RotaOutcome


def register(app: typer.Typer) -> None:
    """Adds the `rota` and `rota-publish` commands to the CLI."""
    app.command("rota")(rota)
    app.command("rota-publish")(rota_publish)


def rota_publish(
    scenario: Annotated[int, typer.Argument(help="Scenario id.")],
    job: Annotated[
        int,
        typer.Argument(help="The finished build's job id (from `rota --enqueue` or `jobs list`)."),
    ],
    as_user: Annotated[str | None, AS_OPTION] = None,
) -> None:
    """Publish a finished rota build, as a named workforce lead or administrator.

    The same service, permission and audit as the Rota page's "Publish this rota": the
    publication is read-only, every member may download it, later builds of its period keep it
    where they can and list each change (`rota --json`: `published_changes`).
    """
    from ics_capacity.services.rota_published import publish_rota

    with jobs.acting(as_user) as token:
        typer.echo(publish_rota(token, scenario, job))


def _fail(message: str) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


def rota(
    scenario: Annotated[int, typer.Argument(help="Scenario id.")],
    weeks: Annotated[int, typer.Option("--weeks", min=1, max=12, help="Weeks (1-12).")] = 4,
    sites: Annotated[
        str | None,
        typer.Option("--sites", help="Comma-separated site codes (default: the elective hubs)."),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--start", help="First day, YYYY-MM-DD (default: next Monday).")
    ] = None,
    rule_pack: Annotated[
        str, typer.Option("--rule-pack", help="uk_default, wtr_only, doctors_2016_all.")
    ] = "uk_default",
    soft_rules: Annotated[
        bool, typer.Option("--soft-rules", help="Let rules bend at a price; breaches are reported.")
    ] = False,
    demand: Annotated[str, typer.Option("--demand", help="timetable or plan.")] = "timetable",
    time_limit: Annotated[float, typer.Option("--time-limit", min=1, help="Seconds.")] = 30.0,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker threads.")] = 2,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed.")] = 0,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the rota (.csv or .xlsx).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    history: Annotated[
        Path | None,
        typer.Option(
            "--history",
            help="CSV of shifts worked in the 14 days before the start (staff code, date, shift "
            "code); without it the previous rota is carried in when it ends the day before.",
        ),
    ] = None,
    enqueue: Annotated[
        bool,
        typer.Option("--enqueue", help="Queue it for a worker; print the job id."),
    ] = False,
    pool_scope: Annotated[
        str,
        typer.Option(
            "--pool-scope",
            help="Bank and agency pools per 'site' and role, or per role "
            "for the whole 'collaborative'.",
        ),
    ] = "site",
    pool_period: Annotated[
        str, typer.Option("--pool-period", help="Pool caps per 'week' or over the whole 'rota'.")
    ] = "week",
    bank_cap: Annotated[
        int | None, typer.Option("--bank-cap", help="Bank pool cap: places per pool and period.")
    ] = None,
    agency_cap: Annotated[
        int | None,
        typer.Option("--agency-cap", help="Agency pool cap: places per pool and period."),
    ] = None,
    bank_uplift: Annotated[
        int | None, typer.Option("--bank-uplift", help="Bank price over basic pay, per cent.")
    ] = None,
    agency_uplift: Annotated[
        int | None,
        typer.Option(
            "--agency-uplift",
            help="Agency price over basic pay, per cent; paid at most the NHS cap (55).",
        ),
    ] = None,
    as_user: Annotated[str | None, AS_OPTION] = None,
) -> None:
    """Builds the shared rota of SCENARIO's hubs and reports cover, cost and compliance."""
    from ics_capacity.cli.rebalance import not_ready
    from ics_capacity.importers.problems import ImportValidationError
    from ics_capacity.importers.rota_history import read_rota_history
    from ics_capacity.services.readiness import ModelNotReadyError
    from ics_capacity.services.rota import (
        POOL_DEFAULTS,
        RotaSettings,
        export_csv,
        export_xlsx,
        hub_codes_as_operator,
        next_monday,
        run_rota_as_operator,
    )
    from ics_capacity.services.scenarios import ScenarioError

    try:
        first = dt.date.fromisoformat(start) if start else next_monday()
    except ValueError:
        _fail(f"--start: '{start}' is not a date like 2027-01-04.")
    try:
        codes = (
            tuple(c.strip() for c in sites.split(",") if c.strip())
            if sites
            else hub_codes_as_operator(scenario)
        )
        if enqueue and history is not None:
            _fail("--history is read here and cannot be queued; run without --enqueue.")
        pools: dict[str, Any] = {
            "pool_scope": pool_scope,
            "pool_period": pool_period,
            "bank_pool_shifts": POOL_DEFAULTS["bank_pool_shifts"] if bank_cap is None else bank_cap,
            "agency_pool_shifts": POOL_DEFAULTS["agency_pool_shifts"]
            if agency_cap is None
            else agency_cap,
            "bank_uplift_percent": POOL_DEFAULTS["bank_uplift_percent"]
            if bank_uplift is None
            else bank_uplift,
            "agency_uplift_percent": POOL_DEFAULTS["agency_uplift_percent"]
            if agency_uplift is None
            else agency_uplift,
        }
        if enqueue:
            parameters = {
                **pools,
                "start_date": first.isoformat(),
                "weeks": weeks,
                "site_codes": list(codes),
                "rule_pack": rule_pack,
                "soft_rules": soft_rules,
                "demand": demand,
                "time_limit_seconds": time_limit,
                "num_workers": workers,
                "seed": seed,
            }
            jobs.enqueue("rota", scenario, parameters, as_user, as_json)
            return
        settings = RotaSettings(
            start_date=first,
            weeks=weeks,
            site_codes=codes,
            rule_pack=rule_pack,
            soft_rules=soft_rules,
            demand=demand,
            time_limit_seconds=time_limit,
            num_workers=workers,
            seed=seed,
            **pools,
        )
        rows = None if history is None else read_rota_history(history)
        outcome = run_rota_as_operator(
            scenario, settings, history=rows, history_file=history.name if history else ""
        )
    except ModelNotReadyError as error:
        not_ready(error, scenario, as_json)
    except (ScenarioError, ImportValidationError) as error:
        _fail(str(error))
    if out is not None and outcome.assignments:
        out.write_bytes(
            export_xlsx(outcome) if out.suffix.lower() == ".xlsx" else export_csv(outcome)
        )
    summary = summarise(outcome)
    if as_json:
        typer.echo(json.dumps(summary))
        return
    unavoidable = summary["places_short_lower_bound"]
    typer.echo(
        f"Rota {summary['status']}: {summary['assignments']} shifts, "
        f"{summary['places_short']} places short of staff, {summary['bank_pool_places']} filled "
        f"from bank pools and {summary['agency_pool_places']} from agency pools, "
        f"{summary['gap_places']} left short"
        + ("" if unavoidable is None else f" (at least {unavoidable} unavoidable)")
        + f", objective {summary['objective']} (bound {summary['bound']}) in "
        f"{summary['seconds']} s on {summary['workers']} workers"
        + (f"; written to {out}" if out is not None and outcome.assignments else "")
    )
    if outcome.history is not None:
        used = outcome.history
        typer.echo(
            f"History carried in from {used.source}: {used.shifts} shifts of {used.people} "
            f"people, {used.first_date} to {used.last_date}"
            + "".join(f"; left out: {text}" for text in used.ignored)
        )
    if outcome.published is not None:
        kept = outcome.published
        typer.echo(
            f"Kept the rota published by {kept.published_by} ({kept.days} days shared) where "
            f"it could: {len(outcome.published_changes)} changes to it"
        )
        for change in outcome.published_changes:
            was, now = change.was or "off", change.now or "off"
            why = f" ({change.why})" if change.why else ""
            typer.echo(f"  {change.date} {change.label}: {was} -> {now}{why}")


def summarise(outcome: RotaOutcome) -> dict[str, Any]:
    """The headline figures of a described rota, JSON-ready."""
    stats = outcome.stats
    cost = outcome.cost
    return {
        "status": stats.status.value,
        "objective": stats.objective,
        "bound": stats.bound,
        "gap": stats.gap,
        "seconds": stats.wall_seconds,
        "time_limit": stats.time_limit_seconds,
        "workers": stats.num_workers,
        "seed": stats.seed,
        "ortools_version": stats.ortools_version,
        "settings": outcome.settings.model_dump(mode="json"),
        "staff": len(outcome.staff),
        "assignments": len(outcome.assignments),
        "gap_places": cost.agency_gaps.places,
        "places_unfilled": cost.agency_gaps.places,
        "bank_pool_places": cost.bank_pool.places,
        "agency_pool_places": cost.agency_pool.places,
        "places_short": stats.places_short,
        "places_short_lower_bound": stats.places_short_lower_bound,
        "wanted_places": sum(s.required for s in outcome.sessions),
        "cost_pence": {
            "substantive": cost.substantive.pence,
            "bank": cost.bank.pence,
            "bank_pool": cost.bank_pool.pence,
            "agency_pool": cost.agency_pool.pence,
            "unfilled_at_agency_cap": cost.agency_gaps.pence,
            "total": cost.total_pence,
        },
        "pools": {
            "by_site_and_role": [r.model_dump(mode="json") for r in cost.pools],
            "use": [u.model_dump(mode="json") for u in cost.pool_use],
            "checked": cost.pools_checked,
        },
        "objective_terms": dict(outcome.objective_terms),
        "checked_objective": outcome.checked_objective,
        "hard_violations": len(outcome.hard_violations),
        "compliance": [r.model_dump(mode="json") for r in outcome.compliance],
        "fairness": [line.model_dump(mode="json") for line in outcome.fairness],
        "staffed_sessions_per_week": dict(outcome.staffed_sessions_per_week),
        "infeasible_because": [b.model_dump(mode="json") for b in outcome.infeasible_because],
        "history": None if outcome.history is None else outcome.history.model_dump(mode="json"),
        "published": None
        if outcome.published is None
        else outcome.published.model_dump(mode="json"),
        "published_changes": [c.model_dump(mode="json") for c in outcome.published_changes],
    }
