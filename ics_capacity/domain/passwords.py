"""The password policy: long enough, not blank, not common, not a trivial pattern.

NCSC and NIST SP 800-63B ask for length and a check against known-bad passwords rather than
composition rules. `common_passwords.txt.gz` beside this file holds the 30,000 most common
passwords of Mark Burnett's ten-million-password set (xato.net, 2015), as the zxcvbn project
(MIT licence) ranks them; `docs/security.md` names the source. The check is case-insensitive and
also catches a common password with a trivial prefix or suffix (`password1234`, `Dragon2024!`).
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # argon2 has no limit; a cap keeps a hash from being a workload
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt.gz")

_ROWS = ("1234567890", "qwertyuiopasdfghjklzxcvbnm", "abcdefghijklmnopqrstuvwxyz")
_PUNCTUATION = " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list of common and breached passwords, lower-cased."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def password_problem(password: str) -> str | None:
    """Why a new password is refused, in words, or None when it meets the policy."""
    if not password.strip():
        return "A password cannot be blank."
    if len(password) < MIN_PASSWORD_LENGTH:
        return (
            f"A password needs at least {MIN_PASSWORD_LENGTH} characters; "
            "three random words make a good one."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"A password can have at most {MAX_PASSWORD_LENGTH} characters."
    folded = password.casefold()
    squeezed = "".join(folded.split())
    if _is_trivial(squeezed):
        return "That password is a repeated or simple sequence of characters; choose another."
    if _is_common(folded) or _is_common(squeezed):
        return "That password is on a list of common or breached passwords; choose another."
    return None


def _is_common(folded: str) -> bool:
    """In the list as it is, or once a trivial prefix or suffix of digits or symbols is gone."""
    words = common_passwords()
    if folded in words:
        return True
    core = folded.strip("0123456789" + _PUNCTUATION)
    if len(core) < 3 or core == folded:
        return False
    start = folded.index(core)
    affixes = [folded[:start], folded[start + len(core) :]]
    return core in words and all(len(a) <= 5 or _is_trivial(a) for a in affixes)


def _is_trivial(text: str) -> bool:
    """One character or a short unit repeated, or a run along the alphabet, digits or keyboard."""
    if not text:
        return True
    for size in range(1, len(text) // 2 + 1):  # "aaaa", "abcabcabc", "12121212"
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return True
    return _is_run(text)


def _is_run(text: str) -> bool:
    """Each character follows the last along one row, forwards or backwards (wrapping)."""
    if len(text) < 3:
        return False
    for row in _ROWS:
        for line in (row, row[::-1]):
            cycle = line * (len(text) // len(line) + 2)
            if text in cycle:
                return True
    return False
