"""The starting capacity model an onboarding writes where the published files say nothing.

One main site for each member trust that operates no site yet, sized from its published
activity (`domain/starting_model.py`), and the case-mix defaults for the treatment functions with
no case mix yet; each figure's provenance is recorded as published or estimated, with its rule.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from decimal import Decimal

import pandas as pd
from sqlmodel import Session, col, select

from ics_capacity.db.models import (
    CaseMix,
    FigureProvenance,
    Organisation,
    Scenario,
    Site,
    TrustBeds,
)
from ics_capacity.domain.assumptions import CASE_MIX, CaseMixAssumption
from ics_capacity.domain.starting_model import (
    ESTIMATED,
    PUBLISHED,
    TrustActivity,
    estimate_main_site,
)
from ics_capacity.importers.rtt import RttExtract
from ics_capacity.services.data_exchange.loaders_trusts_flows_templates import add_site


def _trust_activity(
    extract: RttExtract,
    org: Organisation,
    beds: TrustBeds | None,
    mar: pd.DataFrame | None,
) -> TrustActivity:
    counts = extract.counts[extract.counts["ods_code"] == org.ods_code]
    days = calendar.monthrange(extract.period.year, extract.period.month)[1]
    admitted = counts[counts["part"] == "Part_1A"].groupby("tfc")["total_all"].sum() * 7 / days
    waiting = counts[counts["part"] == "Part_2"].groupby("tfc")["total_all"].sum()
    mar_row = None
    if mar is not None:
        found = mar[mar["ods_code"] == org.ods_code]
        mar_row = found.iloc[0] if len(found) else None

    def weekly(column: str) -> float | None:
        if mar_row is None or pd.isna(mar_row[column]):
            return None
        return float(mar_row[column]) * 7 / int(mar_row["days"])

    ordinary, day_case = weekly("ordinary"), weekly("day_case")
    return TrustActivity(
        ods_code=org.ods_code,
        name=org.name,
        postcode=org.postcode,
        admitted_per_week={str(t): float(v) for t, v in admitted.items()},
        waiting_tfcs=frozenset(str(t) for t, v in waiting.items() if v > 0),
        rtt_period=f"{extract.period:%B %Y}",
        ga_beds=float(beds.ga_beds_available) if beds is not None else None,
        kh03_period=beds.period if beds is not None else None,
        mar_elective_per_week=None if ordinary is None or day_case is None else ordinary + day_case,
        mar_period=f"{mar_row['month']:%b %Y}" if mar_row is not None else None,
    )


def build_starting_model(
    session: Session,
    scenario: Scenario,
    extract: RttExtract,
    members: list[str],
    mar: pd.DataFrame | None,
    user: str,
) -> tuple[int, int]:
    """Writes what the templates did not give, estimated, with provenance.

    The case-mix defaults for the treatment functions without a case mix yet, and one main site
    for each member trust that operates no site yet, sized with the scenario's case mix.

    Returns:
        The estimated main sites and case-mix rows written.
    """
    scenario_id = int(scenario.id or 0)
    record = _recorder(session, scenario_id, user)
    given = set(session.exec(select(CaseMix.tfc).where(CaseMix.scenario_id == scenario_id)).all())
    defaults = [a for a in CASE_MIX.values() if a.tfc not in given]
    for a in defaults:
        session.add(
            CaseMix(
                scenario_id=scenario_id,
                tfc=a.tfc,
                minutes_per_case=a.minutes_per_case,
                length_of_stay_days=Decimal(str(a.length_of_stay_days)),
                day_case_rate=Decimal(str(a.day_case_rate)),
                source=a.source,
                updated_by=user,
            )
        )
        for name in ("minutes_per_case", "length_of_stay_days", "day_case_rate"):
            record("case_mix", a.tfc, name, ESTIMATED, f"the case-mix default: {a.source}")
    session.flush()
    case_mix = {
        c.tfc: CaseMixAssumption(
            c.tfc,
            c.minutes_per_case,
            float(c.length_of_stay_days),
            float(c.day_case_rate),
            c.source or "",
        )
        for c in session.exec(select(CaseMix).where(CaseMix.scenario_id == scenario_id)).all()
    }
    operating = set(
        session.exec(select(Site.operator_id).where(Site.scenario_id == scenario_id)).all()
    )
    orgs = {
        o.ods_code: o
        for o in session.exec(
            select(Organisation).where(col(Organisation.ods_code).in_(members))
        ).all()
    }
    beds = {
        b.organisation_id: b
        for b in session.exec(select(TrustBeds).where(TrustBeds.scenario_id == scenario_id)).all()
    }
    for b in beds.values():
        ods = next(c for c, o in orgs.items() if o.id == b.organisation_id)
        record("trust_beds", ods, "ga_beds_available", PUBLISHED, f"KH03 {b.period}")
    estimated = [ods for ods in members if orgs[ods].id not in operating]
    for ods in estimated:
        org = orgs[ods]
        estimate = estimate_main_site(
            _trust_activity(extract, org, beds.get(int(org.id or 0)), mar), case_mix
        )
        site = Site(
            scenario_id=scenario_id,
            code=estimate.code,
            name=estimate.name[:200],
            operator_id=int(org.id or 0),
            is_elective_hub=False,
            postcode=estimate.postcode,
            source="Estimated from published data when the system was onboarded "
            "(docs/onboarding.md); each figure's rule is on the scenario page.",
            updated_by=user,
        )
        add_site(session, site, estimate.capacity, user)
        for (entity, name), provenance in estimate.provenance.items():
            record(entity, estimate.code, name, provenance.kind, provenance.rule)
    session.flush()
    return len(estimated), len(defaults)


def _recorder(
    session: Session, scenario_id: int, user: str
) -> Callable[[str, str, str, str, str], None]:
    def record(entity: str, key: str, name: str, kind: str, rule: str) -> None:
        session.add(
            FigureProvenance(
                scenario_id=scenario_id,
                entity=entity,
                entity_key=key[:20],
                field=name,
                kind=kind,
                rule=rule[:2000],
                recorded_by=user,
            )
        )

    return record
