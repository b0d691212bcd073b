"""Codes NHS England publishes with its elective data, and how to show organisation names.

Treatment function codes and names are as in the RTT "Full CSV" extract (the grouped treatment
functions used since April 2021: 18 specialty codes `C_nnn`, five "Other" groups `X02`..`X06`
and the total row `C_999`).
"""

import re

TOTAL_TFC = "C_999"
"""Treatment function code of the RTT extract's total row (all treatment functions)."""

TREATMENT_FUNCTIONS: dict[str, str] = {
    "C_100": "General Surgery Service",
    "C_101": "Urology Service",
    "C_110": "Trauma and Orthopaedic Service",
    "C_120": "Ear Nose and Throat Service",
    "C_130": "Ophthalmology Service",
    "C_140": "Oral Surgery Service",
    "C_150": "Neurosurgical Service",
    "C_160": "Plastic Surgery Service",
    "C_170": "Cardiothoracic Surgery Service",
    "C_300": "General Internal Medicine Service",
    "C_301": "Gastroenterology Service",
    "C_320": "Cardiology Service",
    "C_330": "Dermatology Service",
    "C_340": "Respiratory Medicine Service",
    "C_400": "Neurology Service",
    "C_410": "Rheumatology Service",
    "C_430": "Elderly Medicine Service",
    "C_502": "Gynaecology Service",
    "X02": "Other - Medical Services",
    "X03": "Other - Mental Health Services",
    "X04": "Other - Paediatric Services",
    "X05": "Other - Surgical Services",
    "X06": "Other - Other Services",
}
"""RTT treatment function code -> name as the RTT extract spells it (without the total row)."""

SURGICAL_TREATMENT_FUNCTIONS: frozenset[str] = frozenset(
    {
        "C_100",
        "C_101",
        "C_110",
        "C_120",
        "C_130",
        "C_140",
        "C_150",
        "C_160",
        "C_170",
        "C_502",
        "X05",
    }
)
"""Treatment functions whose admitted work needs theatres."""

SHORT_NAMES: dict[str, str] = {
    "C_100": "General Surgery",
    "C_101": "Urology",
    "C_110": "Trauma and Orthopaedics",
    "C_120": "Ear Nose and Throat",
    "C_130": "Ophthalmology",
    "C_140": "Oral Surgery",
    "C_150": "Neurosurgery",
    "C_160": "Plastic Surgery",
    "C_170": "Cardiothoracic Surgery",
    "C_300": "General Internal Medicine",
    "C_301": "Gastroenterology",
    "C_320": "Cardiology",
    "C_330": "Dermatology",
    "C_340": "Respiratory Medicine",
    "C_400": "Neurology",
    "C_410": "Rheumatology",
    "C_430": "Elderly Medicine",
    "C_502": "Gynaecology",
    "X02": "Other medical",
    "X03": "Other mental health",
    "X04": "Other paediatric",
    "X05": "Other surgical",
    "X06": "Other",
}
"""Treatment function code -> the short name planners use in tables and charts."""

WAIT_BANDS = 105
"""Weekly wait bands in the RTT extract: 0-1 weeks .. 103-104 weeks, then over 104 weeks."""

WAIT_BAND_COLUMNS: tuple[str, ...] = tuple(f"w{i:03d}" for i in range(WAIT_BANDS))
"""Column names the importers give the wait bands: `w000` (0-1 weeks) .. `w104` (over 104)."""

RTT_PARTS: dict[str, str] = {
    "Part_1A": "Completed pathways, admitted",
    "Part_1B": "Completed pathways, non-admitted",
    "Part_2": "Incomplete pathways (the waiting list)",
    "Part_2A": "Incomplete pathways with a decision to admit",
    "Part_3": "New clock starts",
}
"""RTT part code -> what it counts."""

RTT_PARTS_WITH_WAIT_BANDS: frozenset[str] = frozenset({"Part_1A", "Part_1B", "Part_2", "Part_2A"})
"""Parts broken down by weeks waited; new clock starts (Part_3) have no wait yet."""


def wait_band_label(band: int) -> str:
    """Names a weekly wait band for people.

    Args:
        band: Band index, 0 (waited 0-1 weeks) to 104 (waited over 104 weeks).

    Returns:
        The band as a reader would say it, e.g. "0-1 weeks", "52-53 weeks", "over 104 weeks".

    Raises:
        ValueError: If `band` is not between 0 and 104.
    """
    if not 0 <= band < WAIT_BANDS:
        raise ValueError(f"wait band {band} does not exist; bands run from 0 to {WAIT_BANDS - 1}.")
    if band == WAIT_BANDS - 1:
        return f"over {band} weeks"
    return f"{band}-{band + 1} weeks"


# Kept upper case wherever they appear.
_ACRONYMS = frozenset({"NHS", "ICB", "ICS", "LLP", "UK", "CIC", "PLC", "GP"})
# Lower case unless they start the name (NHS publications: "Guy's and St Thomas'",
# "Newcastle upon Tyne Hospitals", "Stoke-on-Trent").
_SMALL_WORDS = frozenset({"and", "of", "the", "for", "upon", "on"})
# A word is letters/digits, possibly with an inner apostrophe ("WOMEN'S"); a trailing apostrophe
# ("THOMAS'") and hyphens stay punctuation, so hyphenated names are cased part by part.
_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)*")


def _looks_like_code(word: str) -> bool:
    """ODS and commissioner codes in names ("ICB - 18C", "D2P2L") stay upper case."""
    return len(word) <= 5 and any(ch.isdigit() for ch in word) and any(ch.isalpha() for ch in word)


def display_org_name(ods_upper_name: str) -> str:
    """Turns an ODS upper-case organisation name into the case NHS publications use.

    Args:
        ods_upper_name: A name as ODS and the NHS England statistics spell it, e.g.
            "THE ROYAL WOLVERHAMPTON NHS TRUST".

    Returns:
        The same name with only letter case changed, e.g. "The Royal Wolverhampton NHS Trust",
        "Birmingham Women's and Children's NHS Foundation Trust". Acronyms such as NHS, ICB and
        LLP, and codes such as "18C", stay upper case; "and", "of", "for" and "the" are lower case
        except as the first word.
    """
    first_word_start = _WORD.search(ods_upper_name)

    def recase(match: re.Match[str]) -> str:
        word = match.group(0)
        if word.upper() in _ACRONYMS or _looks_like_code(word):
            return word.upper()
        is_first = first_word_start is not None and match.start() == first_word_start.start()
        if word.lower() in _SMALL_WORDS and not is_first:
            return word.lower()
        return word[0].upper() + word[1:].lower()

    return _WORD.sub(recase, ods_upper_name)
