"""The Staff page's pure view builders: a person's and a request's table row, the choices.

Plain data in, plain rows out: no state, no database (tested without Reflex).
"""

from __future__ import annotations

from ics_capacity.services.staff import RequestView, StaffView

ROLES = ("surgeon", "anaesthetist", "scrub_practitioner", "odp", "ward_nurse")
CONTRACTS = {
    "agenda_for_change": "Agenda for Change",
    "consultant_2003": "Consultant 2003",
    "resident_doctor_2016": "Resident doctor 2016",
}
EMPLOYMENT = {"substantive": "Substantive", "bank": "Bank"}
TEXT_FIELDS = ("code", "label", "trust", "home_site", "grade", "sites", "skills", "hours")
REQUESTS_UPLOAD_ID = "requests-upload"
REQUESTS_FILE_INPUT_ID = "requests-file"
UPLOAD_CHUNK_BYTES = 1024 * 1024
MAX_PROBLEMS_SHOWN = 50


def staff_row(p: StaffView) -> dict[str, str]:
    """A person as the staff table shows them."""
    return {
        "code": p.code,
        "label": p.label,
        "trust": p.trust,
        "role": p.role,
        "role_label": p.role_label,
        "grade": p.grade,
        "contract": p.contract,
        "contract_label": CONTRACTS.get(p.contract, p.contract),
        "employment": p.employment,
        "hours": f"{p.hours:g}",
        "home_site": p.home_site,
        "sites": p.sites,
        "skills": p.skills,
        "leave": str(len(p.leave)),
        "requests": str(len(p.requests)),
    }


def request_row(key: int, r: RequestView) -> dict[str, str]:
    """A request as the requests table shows it; `key` is its place in the person's list."""
    return {
        "key": str(key),  # its place in the person's list: the id stays on the server
        "date": f"{r.on_date:%a %d %b %Y}",
        "iso_date": r.on_date.isoformat(),
        "shift": r.shift_label,
        "shift_kind": r.shift_kind,
        "request": r.kind_label,
        "kind": r.kind,
        "weight": str(r.weight),
        "note": r.note,
    }
