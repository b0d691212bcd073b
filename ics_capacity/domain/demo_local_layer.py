"""The Black Country demo's local layer: what its collaborative knows that NHS files do not say.

`ics-capacity seed-demo` onboards the Black Country (ICB QUA) from NHS England's published files
as any system is onboarded (docs/onboarding.md), and gives onboarding this layer the way a
collaborative gives its own knowledge: as a theatres (sites) template, imported like any upload,
so that each of its figures is recorded as local with the source its row cites. The layer is:

* the collaborative: the Black Country Provider Collaborative (BCPC) and its four acute trusts,
  not the ICB (`DEMO_COLLABORATIVE`, cited);
* the sites: the two elective hubs (Cannock Chase, the Black Country's orthopaedic North Hub, and
  Sandwell Health Campus) and the four trusts' main acute sites, with their theatres, sessions,
  beds, day-case places, treatment functions, postcodes and places on the map (`DEMO_SITES`,
  every figure cited in its `source`); they replace the one estimated main site per trust;
* the hub staff list for the rota (role labels sized from the workforce file and the hubs'
  sessions, docs/assumptions.md section 9), added once the sites are in.

The case mix is not local: the demo keeps the national defaults (`CASE_MIX`) that onboarding gives
every system, recorded as estimated. docs/assumptions.md cites every value.
"""

from __future__ import annotations

from ics_capacity.domain.assumptions import DEMO_COLLABORATIVE, DEMO_SITES, SiteAssumption

COLLABORATIVE = DEMO_COLLABORATIVE
"""Who the demo's collaborative is: its code, name, ICB and member trusts."""

SITES: tuple[SiteAssumption, ...] = DEMO_SITES
"""The demo's sites, hubs first, in the order they are written."""

SITES_TEMPLATE_NAME = "black_country_local_sites.csv"
"""The name the sites template is imported under (in the import history and audit log)."""


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def sites_template_rows() -> list[dict[str, str]]:
    """The sites as theatres-template rows, keyed by the template's column meanings.

    Returns:
        One row per site: `site_code`, `site_name`, `operator_ods_code`, `is_elective_hub`,
        `postcode`, `latitude`, `longitude`, `theatres`, `sessions_per_week`,
        `session_minutes`, `utilisation_target`, `elective_overnight_beds`, `day_case_places`,
        `occupancy_target`, `treatment_functions` (codes separated by "; ") and `source`.
    """
    return [
        {
            "site_code": a.code,
            "site_name": a.name,
            "operator_ods_code": a.operator_ods_code,
            "is_elective_hub": _yes_no(a.is_elective_hub),
            "postcode": a.postcode,
            "latitude": str(a.latitude),
            "longitude": str(a.longitude),
            "theatres": str(a.theatres),
            "sessions_per_week": str(a.sessions_per_week),
            "session_minutes": str(a.session_minutes),
            "utilisation_target": f"{a.utilisation_target:g}",
            "elective_overnight_beds": str(a.elective_overnight_beds),
            "day_case_places": str(a.day_case_places),
            "occupancy_target": f"{a.bed_occupancy_target:g}",
            "treatment_functions": "; ".join(a.treatment_functions),
            "source": a.source,
        }
        for a in SITES
    ]
