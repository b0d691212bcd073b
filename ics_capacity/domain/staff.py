"""Who a rota places: the roles, contracts and kinds of employment of rostered staff."""

from __future__ import annotations

from enum import StrEnum


class StaffRole(StrEnum):
    """What a person does on a theatre list or a ward; decides which cover they count towards."""

    SURGEON = "surgeon"
    ANAESTHETIST = "anaesthetist"
    SCRUB = "scrub_practitioner"
    ODP = "odp"
    WARD_NURSE = "ward_nurse"


class StaffContract(StrEnum):
    """The terms a person works under, which decide the UK rule packs that apply to them."""

    AGENDA_FOR_CHANGE = "agenda_for_change"
    CONSULTANT_2003 = "consultant_2003"
    RESIDENT_DOCTOR_2016 = "resident_doctor_2016"


class Employment(StrEnum):
    """Substantive staff cost least a shift, then bank, then agency (who fill the gaps)."""

    SUBSTANTIVE = "substantive"
    BANK = "bank"


__all__ = ["Employment", "StaffContract", "StaffRole"]
