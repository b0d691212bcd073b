"""Onboarding a new system in one step, from the files NHS England and NHS Digital publish.

`ics-capacity onboard --ics CODE --rtt RTT.zip [--kh03 F] [--workforce F] [--etr F] [--mar F]
[--flows F]` and the administrators' Onboarding page run the same use case, in one transaction:

1. the collaborative (code = the ICB code) and its member trusts: by default the system's acute
   trusts, read as the NHS trusts of the RTT extract under that ICB with patients on an admitted
   waiting list (RTT Part_2A); a list of ODS codes replaces them;
2. every file loaded for those trusts with the importers the Data page uses, into the published
   baseline (nothing is written if any file has a problem);
3. the collaborative's own knowledge, if it gives any: theatres (sites) and case-mix templates
   (docs/data-templates.md), imported as the Data page imports them, their figures local;
4. a starting capacity model (`domain/starting_model.py`) for the rest: one main site for each
   trust none of whose sites the templates give, sized from its published activity, and the
   case-mix defaults for the treatment functions they do not give; each figure's provenance is
   recorded as published or estimated with its rule;
5. the baseline approved (the published position) and, unless asked not to, a draft scenario
   beside it, ready to plan.

The collaborative's code and name are the ICB's unless given (a provider collaborative within the
system has its own). The administrator who onboards becomes the new collaborative's
administrator. Nothing here knows a particular system: the Black Country demo (`services/demo.py`)
is this path with a documented local layer.

Which file is which is `onboarding_files.py`; the estimated starting model, `onboarding_model.py`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from sqlmodel import Session, select

from ics_capacity.db.models import (
    Collaborative,
    Membership,
    Scenario,
    ScenarioStatus,
    Site,
)
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.codes import display_org_name
from ics_capacity.importers.mar import read_mar
from ics_capacity.importers.national_rtt import read_rtt_for_system
from ics_capacity.importers.problems import ImportProblem, ImportValidationError
from ics_capacity.importers.rtt import RttExtract
from ics_capacity.services.auth import PermissionDeniedError, Principal, signed_in_transaction
from ics_capacity.services.data_exchange import OPERATOR, import_file_in
from ics_capacity.services.data_exchange.loaders import (
    ensure_collaborative,
    ensure_organisations,
    ensure_treatment_functions,
    etr_organisations,
    load_rtt,
    rtt_database_problems,
    rtt_organisations,
)
from ics_capacity.services.onboarding_files import (
    FILE_KIND_LABELS,
    OnboardingError,
    OnboardingFiles,
    file_kind,
    files_by_kind,
)
from ics_capacity.services.onboarding_model import build_starting_model
from ics_capacity.services.scenarios import audit, copy_scenario_rows

__all__ = [
    "FILE_KIND_LABELS",
    "OnboardingError",
    "OnboardingFiles",
    "OnboardingReport",
    "acute_trusts",
    "check_administrator",
    "file_kind",
    "files_by_kind",
    "onboard",
    "onboard_as_operator",
    "onboard_in",
    "operator",
    "require_administrator",
]

logger = logging.getLogger(__name__)

ICS_CODE = re.compile(r"^[A-Z0-9]{3,5}$")
DRAFT_NAME = "Starting model (estimated)"
ONE_FILE_KINDS = ("kh03", "workforce", "etr", "flows")
Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class OnboardingReport:
    """What onboarding made: the collaborative, its baseline and the draft to plan in.

    `scenario_id` is the draft's, or the baseline's when no draft was asked for; `sites` counts
    the estimated main sites and `local_sites` the sites the templates gave.
    """

    collaborative_id: int
    collaborative_code: str
    collaborative_name: str
    baseline_id: int
    scenario_id: int
    trusts: list[str]
    sites: int
    lines: list[str] = field(default_factory=list)
    local_sites: int = 0
    has_draft: bool = True

    def describe(self) -> str:
        """Lines for a terminal."""
        local = f", {self.local_sites} sites given locally" if self.local_sites else ""
        closing = (
            f"Draft scenario {self.scenario_id} '{DRAFT_NAME}' beside the published "
            f"baseline {self.baseline_id}."
            if self.has_draft
            else f"Published baseline {self.baseline_id}; no draft scenario was asked for."
        )
        return "\n".join(
            [
                f"Onboarded {self.collaborative_name}: {len(self.trusts)} member trusts "
                f"({', '.join(self.trusts)}), {self.sites} sites (estimated){local}.",
                *[f"  {line}" for line in self.lines],
                closing,
            ]
        )


def acute_trusts(extract: RttExtract) -> list[str]:
    """The NHS trusts of the extract with patients on an admitted waiting list (Part_2A)."""
    orgs = rtt_organisations(extract)
    trusts = set(orgs.loc[orgs["kind"] == "nhs_trust", "ods_code"])
    counts = extract.counts
    admitted = counts[(counts["part"] == "Part_2A") & counts["ods_code"].isin(trusts)]
    waiting = admitted.groupby("ods_code")["total_all"].sum()
    return sorted(str(c) for c, n in waiting.items() if n > 0)


def _checked_code(ics: str) -> str:
    code = (ics or "").strip().upper()
    if not ICS_CODE.fullmatch(code):
        raise OnboardingError(
            f"ICB code '{ics}' is not an ODS ICB code (3 to 5 letters or digits, e.g. QHL)."
        )
    return code


def _checked_collaborative_code(code: str | None, system: str) -> str:
    if code is None:
        return system
    checked = code.strip().upper()
    if not ICS_CODE.fullmatch(checked):
        raise OnboardingError(
            f"Collaborative code '{code}' is not 3 to 5 letters or digits (e.g. BCPC)."
        )
    return checked


def _chosen_trusts(extract: RttExtract, trusts: Collection[str] | None) -> list[str]:
    if not trusts:
        chosen = acute_trusts(extract)
        if not chosen:
            raise OnboardingError(
                f"{extract.source_file}: no NHS trust of this system has an admitted waiting "
                "list (RTT Part_2A); name the member trusts with --trusts."
            )
        return chosen
    chosen = sorted({t.strip().upper() for t in trusts if t.strip()})
    known = set(extract.providers["ods_code"])
    problems = [
        ImportProblem(
            extract.source_file,
            None,
            "Provider Org Code",
            code,
            "is not a provider of this system in the RTT extract; a member trust needs its "
            "waiting list.",
        )
        for code in chosen
        if code not in known
    ]
    if problems:
        raise ImportValidationError(problems)
    return chosen


def _report(progress: Progress | None, percent: int, message: str) -> None:
    logger.info("Onboarding: %s", message)
    if progress is not None:
        progress(percent, message)


def onboard_in(
    session: Session,
    *,
    ics: str,
    files: OnboardingFiles,
    actor: Principal,
    trusts: Collection[str] | None = None,
    progress: Progress | None = None,
    collaborative_code: str | None = None,
    collaborative_name: str | None = None,
    draft: bool = True,
) -> OnboardingReport:
    """Onboards a system inside the caller's transaction (the caller commits).

    For the operator's command line and for `onboard`, which has checked the caller.

    Args:
        session: The caller's open session.
        ics: The system's ICB code, e.g. QHL.
        files: The published files and any local templates.
        actor: Who onboards (audit rows, `updated_by`); made the administrator if a user.
        trusts: The member trusts' ODS codes; the system's acute trusts by default.
        progress: Told the percentage done and the step, as it goes.
        collaborative_code: The collaborative's own code when it is not the ICB's (e.g. a
            provider collaborative within the system).
        collaborative_name: Likewise its name; the ICB's by default.
        draft: Whether to put a draft scenario beside the approved baseline.

    Raises:
        OnboardingError: the code is not an ICB code, or the system is already onboarded.
        ImportValidationError: any file has a problem (every problem, file, row and column).
    """
    system = _checked_code(ics)
    code = _checked_collaborative_code(collaborative_code, system)
    existing = session.exec(select(Collaborative).where(Collaborative.code == code)).first()
    if existing is not None:
        raise OnboardingError(
            f"{code} is already onboarded as '{existing.name}'; load new files into a draft "
            "scenario of it on the Data page."
        )
    _report(progress, 5, "Reading the RTT extract")
    ensure_treatment_functions(session)
    extract = read_rtt_for_system(files.rtt, ics=system)
    rtt_database_problems(extract)
    members = _chosen_trusts(extract, trusts)
    user = actor.email

    org_rows = [rtt_organisations(extract)]
    if files.etr is not None:
        org_rows.insert(0, etr_organisations(files.etr, members))
    org_ids: dict[str, int] = {}
    for rows in org_rows:
        org_ids |= ensure_organisations(session, rows, user)
    icb_name = display_org_name(str(extract.providers["icb_name"].iloc[0]))
    name = (collaborative_name or "").strip() or icb_name
    collaborative = ensure_collaborative(
        session,
        code=code,
        name=name,
        icb_code=system,
        members=[org_ids[c] for c in members],
        user=user,
    )
    collaborative_id = int(collaborative.id or 0)
    baseline = Scenario(
        collaborative_id=collaborative_id,
        name=f"Baseline {extract.period:%B %Y}",
        description="The position as NHS England published it, with "
        + ("the collaborative's own sites and " if files.templates else "")
        + "the estimated starting capacity model (docs/onboarding.md).",
        owner=user,
        status=ScenarioStatus.DRAFT,  # approved once every file is in
        is_baseline=True,
        data_period=extract.period,
        updated_by=user,
    )
    session.add(baseline)
    session.flush()
    lines = [load_rtt(session, extract, baseline, files.rtt, user=user).describe()]
    for step, kind in enumerate(ONE_FILE_KINDS):
        path = getattr(files, kind)
        if path is None:
            continue
        _report(progress, 20 + 10 * step, f"Loading {kind}")
        outcome = import_file_in(
            session,
            baseline,
            kind,
            path,
            actor=actor,
            ics=system,
            providers=members if kind in ("kh03", "workforce") else None,
        )
        lines.append(outcome.describe())
    mar = None
    if files.mar is not None:
        _report(progress, 60, "Reading the MAR")
        mar = read_mar(files.mar, providers=members)
        lines.append(f"mar: elective spells of {len(mar)} trusts from {files.mar.name}.")

    for path in files.templates:
        _report(progress, 65, f"Loading the local template {path.name}")
        outcome = import_file_in(session, baseline, "template", path, actor=actor)
        lines.append(f"local {outcome.describe()}")
    local_sites = len(session.exec(select(Site.id).where(Site.scenario_id == baseline.id)).all())

    _report(progress, 70, "Estimating the starting capacity model")
    sites, case_mix_rows = build_starting_model(session, baseline, extract, members, mar, user)
    lines.append(
        f"starting model: {sites} main sites, {case_mix_rows} case-mix rows (estimated)"
        + (f"; {local_sites} sites given locally" if local_sites else "")
    )
    baseline.status = ScenarioStatus.APPROVED
    session.add(baseline)
    session.flush()

    if draft:
        _report(progress, 85, "Creating the draft scenario")
    planned = _draft_beside(session, baseline, user) if draft else baseline
    if actor.user_id:
        session.add(
            Membership(user_id=actor.user_id, collaborative_id=collaborative_id, role="admin")
        )
    audit(
        session,
        actor,
        baseline,
        "collaborative.onboard",
        f"Onboarded {name} ({code}) from {files.rtt.name}: {len(members)} trusts",
        entity="collaborative",
        entity_id=code,
        new=", ".join(members),
    )
    session.flush()
    _report(progress, 95, "Saving")
    return OnboardingReport(
        collaborative_id=int(collaborative.id or 0),
        collaborative_code=code,
        collaborative_name=name,
        baseline_id=int(baseline.id or 0),
        scenario_id=int(planned.id or 0),
        trusts=members,
        sites=sites,
        lines=lines,
        local_sites=local_sites,
        has_draft=draft,
    )


def _draft_beside(session: Session, baseline: Scenario, user: str) -> Scenario:
    """A draft copy of the approved baseline, to plan in."""
    draft = Scenario(
        collaborative_id=baseline.collaborative_id,
        name=DRAFT_NAME,
        description="The estimated starting model, ready to plan: mark hubs and set sessions.",
        owner=user,
        parent_id=baseline.id,
        status=ScenarioStatus.DRAFT,
        data_period=baseline.data_period,
        updated_by=user,
    )
    session.add(draft)
    session.flush()
    copy_scenario_rows(session, int(baseline.id or 0), int(draft.id or 0))
    return draft


def operator() -> Principal:
    """The server operator, as whom the command line onboards (no role checks)."""
    return Principal(user_id=0, email=OPERATOR, display_name="Command line")


def onboard_as_operator(
    ics: str,
    files: OnboardingFiles,
    *,
    trusts: Collection[str] | None = None,
    collaborative_code: str | None = None,
    collaborative_name: str | None = None,
    db_url: str | None = None,
) -> OnboardingReport:
    """Onboards a system as the server operator (the command line), in one transaction."""
    with unit_of_work(db_url) as session:
        report = onboard_in(
            session,
            ics=ics,
            files=files,
            actor=operator(),
            trusts=trusts,
            collaborative_code=collaborative_code,
            collaborative_name=collaborative_name,
        )
        session.commit()
        return report


def require_administrator(principal: Principal) -> None:
    """Refuses anyone who administers no collaborative.

    Raises:
        PermissionDeniedError: the caller is not an administrator anywhere.
    """
    if "admin" not in principal.roles.values():
        raise PermissionDeniedError("Only an administrator may onboard a new system.")


def check_administrator(token: str | None) -> None:
    """Refuses a caller who may not open the onboarding page (see `require_administrator`)."""
    with signed_in_transaction(token) as (_, principal):
        require_administrator(principal)


def onboard(
    token: str | None,
    ics: str,
    files: OnboardingFiles,
    *,
    trusts: Collection[str] | None = None,
    progress: Progress | None = None,
) -> OnboardingReport:
    """Onboards a system for a signed-in administrator, who becomes its administrator.

    Raises:
        PermissionDeniedError: the caller administers no collaborative.
        OnboardingError, ImportValidationError: as `onboard_in`; nothing is written.
    """
    with signed_in_transaction(token) as (session, principal):
        require_administrator(principal)
        return onboard_in(
            session, ics=ics, files=files, actor=principal, trusts=trusts, progress=progress
        )
