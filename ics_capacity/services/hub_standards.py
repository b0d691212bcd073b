"""Hub readiness: each elective hub of a scenario against GIRFT's hub standards, and its edits.

A hub's figures default to the standards (domain/hub_standards.py) until the collaborative sets
its own; sessions and utilisation are the site's theatre capacity (edited in the site capacity
table). The readiness of a hub reads its figures, its treatment functions and the binding limits
at that hub in the scenario's last finished rebalancing run.

Edits follow services/hubs.py: the editor quotes the row version it saw (0: the hub still has the
defaults), a stale version is refused naming who changed it, every changed figure is audited and
becomes local in the scenario's provenance, all in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlmodel import Session, col, select

from ics_capacity.db.models import (
    HubStandardSetting,
    Site,
    SiteTreatmentFunction,
    SolveJob,
    TheatreCapacity,
)
from ics_capacity.domain.hub_standards import (
    CATARACTS_PER_LIST_RANGE,
    OPERATING_DAYS_RANGE,
    OPERATING_WEEKS_RANGE,
    HubFigureError,
    HubFigures,
    HubLimit,
    parse_definition,
    parse_percent,
    parse_whole,
    readiness,
)
from ics_capacity.domain.moments import when
from ics_capacity.domain.roles import Permission
from ics_capacity.domain.utilisation import UTILISATION_WORDS, UtilisationDefinition
from ics_capacity.services.provenance import mark_local
from ics_capacity.services.results import StoredResultError, stored_rebalance
from ics_capacity.services.scenario_changes import flush_or_conflict, mark_scenario_changed
from ics_capacity.services.scenarios import (
    ConflictError,
    FieldValueError,
    ScenarioError,
    audit,
    optimistic_edit,
    scenario_transaction,
)

ENTITY = "hub_standard_setting"


@dataclass(frozen=True)
class ReadinessRow:
    """One standard at one hub, as the readiness table shows it."""

    standard_id: str
    domain: str
    standard: str
    target: str
    citation: str
    source: str
    hub: str
    status: str
    reason: str
    binds: str


@dataclass(frozen=True)
class HubReadinessView:
    """A hub's figures (as text for the form), its readiness rows and what its plan was."""

    code: str
    name: str
    version: int
    operating_days: str
    operating_weeks: str
    utilisation_definition: str
    utilisation_words: str
    day_case_percent: str
    cataracts_per_list: str
    plan_note: str
    rows: list[ReadinessRow] = field(default_factory=list)


def _percent_text(rate: Decimal | float) -> str:
    return f"{float(rate) * 100:g}"


def _hub_limits(session: Session, scenario_id: int) -> tuple[dict[str, list[HubLimit]], str]:
    """Full resources per site code in the scenario's last finished run, and a note saying so."""
    job = session.exec(
        select(SolveJob)
        .where(
            SolveJob.scenario_id == scenario_id,
            SolveJob.kind == "rebalance",
            SolveJob.status == "done",
            col(SolveJob.result).is_not(None),
        )
        .order_by(col(SolveJob.id).desc())
    ).first()
    if job is None or not job.result:
        return {}, "No rebalancing plan has been run for this scenario, so no standard binds yet."
    try:
        result = stored_rebalance(job.result, job_id=job.id)
    except StoredResultError:
        return {}, "The last rebalancing plan could not be read; run it again to see what binds."
    limits: dict[str, list[HubLimit]] = {}
    for b in result.binding_limits:
        if b.hub and b.resource:
            limits.setdefault(b.hub, []).append(HubLimit(b.resource, b.when))
    finished = job.finished_at or job.created_at
    return limits, (
        f"What binds is read from the last rebalancing plan (run {job.id}, {when(finished)})."
    )


def _figures(session: Session, site: Site, setting: HubStandardSetting | None) -> HubFigures:
    """The hub's own figures (the defaults without a row) with its theatres and functions."""
    theatre = session.exec(
        select(TheatreCapacity).where(TheatreCapacity.site_id == site.id)
    ).first()
    tfcs = tuple(
        session.exec(
            select(SiteTreatmentFunction.tfc).where(SiteTreatmentFunction.site_id == site.id)
        ).all()
    )
    own = (
        {}
        if setting is None
        else {
            "operating_days_per_week": setting.operating_days_per_week,
            "operating_weeks_per_year": setting.operating_weeks_per_year,
            "utilisation_definition": UtilisationDefinition(setting.utilisation_definition),
            "day_case_rate": float(setting.day_case_rate),
            "cataracts_per_list": setting.cataracts_per_list,
        }
    )
    return HubFigures(
        sessions_per_week_per_theatre=None if theatre is None else theatre.sessions_per_week,
        utilisation=None if theatre is None else float(theatre.utilisation_target),
        treatment_functions=tfcs,
        **own,  # type: ignore[arg-type]
    )


def _setting(session: Session, site: Site) -> HubStandardSetting | None:
    return session.exec(
        select(HubStandardSetting).where(HubStandardSetting.site_id == site.id)
    ).first()


def _view(
    session: Session, site: Site, limits: dict[str, list[HubLimit]], plan_note: str
) -> HubReadinessView:
    setting = _setting(session, site)
    figures = _figures(session, site, setting)
    rows = [
        ReadinessRow(
            standard_id=r.standard.id,
            domain=r.standard.domain.value,
            standard=r.standard.wording,
            target=r.standard_text,
            citation=r.standard.citation,
            source=r.standard.source,
            hub=r.hub_text,
            status=r.status.value,
            reason=r.reason,
            binds=r.binds,
        )
        for r in readiness(figures, limits.get(site.code, []))
    ]
    return HubReadinessView(
        code=site.code,
        name=site.name,
        version=setting.version if setting else 0,
        operating_days=str(figures.operating_days_per_week),
        operating_weeks=str(figures.operating_weeks_per_year),
        utilisation_definition=figures.utilisation_definition.value,
        utilisation_words=UTILISATION_WORDS[figures.utilisation_definition],
        day_case_percent=_percent_text(figures.day_case_rate),
        cataracts_per_list=str(figures.cataracts_per_list),
        plan_note=plan_note,
        rows=rows,
    )


def _hubs(session: Session, scenario_id: int) -> list[Site]:
    return list(
        session.exec(
            select(Site)
            .where(Site.scenario_id == scenario_id, col(Site.is_elective_hub))
            .order_by(Site.code)
        ).all()
    )


def hub_readiness(token: str | None, scenario_id: int) -> list[HubReadinessView]:
    """Each elective hub of the scenario against the standards, for anyone who may view it."""
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        scenario = int(use.scenario.id or 0)
        limits, note = _hub_limits(use.session, scenario)
        return [_view(use.session, s, limits, note) for s in _hubs(use.session, scenario)]


_FIELDS = (
    ("operating_days_per_week", "operating days a week"),
    ("operating_weeks_per_year", "operating weeks a year"),
    ("utilisation_definition", "utilisation definition"),
    ("day_case_rate", "day-case rate (BADS Directory procedures)"),
    ("cataracts_per_list", "cataracts a half-day list"),
)


def set_hub_standards(
    token: str | None,
    scenario_id: int,
    site_code: str,
    *,
    operating_days: str,
    operating_weeks: str,
    utilisation_definition: str,
    day_case_percent: str,
    cataracts_per_list: str,
    expected_version: int,
) -> HubReadinessView:
    """Saves an elective hub's own figures against the standards.

    `expected_version` is the version the editor saw; 0 when the hub still had the defaults.

    Returns:
        The hub's readiness as saved.

    Raises:
        FieldValueError: a value is not valid (the field and its limits are named).
        ConflictError: the hub's figures changed since `expected_version`.
        ScenarioError: no such hub, or the caller may not edit this scenario's capacity.
    """
    value_error: FieldValueError | None = None
    try:
        values: dict[str, object] = {
            "operating_days_per_week": parse_whole(
                operating_days, "Operating days a week", OPERATING_DAYS_RANGE
            ),
            "operating_weeks_per_year": parse_whole(
                operating_weeks, "Operating weeks a year", OPERATING_WEEKS_RANGE
            ),
            "utilisation_definition": parse_definition(utilisation_definition).value,
            "day_case_rate": Decimal(
                str(parse_percent(day_case_percent, "Day-case rate (BADS Directory procedures)"))
            ),
            "cataracts_per_list": parse_whole(
                cataracts_per_list, "Cataracts a half-day list", CATARACTS_PER_LIST_RANGE
            ),
        }
    except HubFigureError as error:
        value_error = FieldValueError(str(error))
    with scenario_transaction(token, scenario_id, Permission.EDIT_CAPACITY, editable=True) as use:
        session, principal, scenario = use.session, use.principal, use.scenario
        site = session.exec(
            select(Site).where(Site.scenario_id == scenario.id, Site.code == site_code)
        ).first()
        if site is None:
            raise ScenarioError(f"Site {site_code} is not in '{scenario.name}'.")
        if not site.is_elective_hub:
            raise ScenarioError(
                f"{site.name} is not an elective hub in '{scenario.name}'; mark it as a hub in "
                "Sites and hubs first."
            )
        if value_error is not None:
            raise value_error
        setting = _setting(session, site)
        if setting is None:
            if expected_version != 0:
                raise ConflictError(
                    f"{site.name}'s hub figures were reset since you opened them; nothing was "
                    "saved. The current figures are shown."
                )
            setting = HubStandardSetting(
                scenario_id=int(scenario.id or 0), site_id=int(site.id or 0)
            )
            before = {name: getattr(setting, name) for name, _ in _FIELDS}
            check_version: int | None = None
        else:
            before = {name: getattr(setting, name) for name, _ in _FIELDS}
            check_version = expected_version
        with optimistic_edit(session, setting, check_version, f"{site.name}'s hub figures"):
            for name, value in values.items():
                setattr(setting, name, value)
            setting.updated_by = principal.email
            session.add(setting)
            for name, label in _FIELDS:
                old, new = before[name], values[name]
                if _same(old, new):
                    continue
                audit(
                    session,
                    principal,
                    scenario,
                    "hub.standards",
                    f"{site.name}: {label} {_shown(name, old)} → {_shown(name, new)}",
                    entity=ENTITY,
                    entity_id=site.code,
                    field=name,
                    old=_shown(name, old),
                    new=_shown(name, new),
                )
                mark_local(
                    session,
                    int(scenario.id or 0),
                    ENTITY,
                    site.code,
                    name,
                    f"set on the hub readiness table by {principal.email}",
                    principal.email,
                )
            flush_or_conflict(
                session,
                f"{site.name}'s hub figures were saved by someone else at the same moment; "
                "nothing was saved. The current figures are shown.",
            )
            mark_scenario_changed(session, scenario.id, principal.email)
        limits, note = _hub_limits(session, int(scenario.id or 0))
        return _view(session, site, limits, note)


def _same(old: object, new: object) -> bool:
    if isinstance(old, Decimal | float) or isinstance(new, Decimal | float):
        return abs(float(old) - float(new)) < 1e-9  # type: ignore[arg-type]
    return old == new


def _shown(name: str, value: object) -> str:
    if name == "day_case_rate":
        return f"{_percent_text(value)}%"  # type: ignore[arg-type]
    return str(value)
