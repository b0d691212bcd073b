"""Tolerances and the violation record shared by the checker's modules (see check.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass

REL_TOL = 1e-6
ABS_TOL = 1e-6
WORSE_TOL = 1e-5
"""Relative noise allowed before a plan counts as worse than a baseline (x max(1, |baseline|))."""
TRUST_THRESHOLDS = (52, 65, 78)


@dataclass(frozen=True)
class Violation:
    """A rule the plan breaks: which, where, and what was found."""

    rule: str
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule} at {self.where}: {self.detail}"


def close(a: float, b: float, rel: float = REL_TOL, abs_: float = ABS_TOL) -> bool:
    """True when a and b agree within the relative or absolute tolerance."""
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def over(limit: float, value: float, scale: float = 1.0) -> bool:
    """True when `value` exceeds `limit` beyond the tolerances (scaled by `scale`)."""
    return value > limit + REL_TOL * max(abs(limit), scale) + ABS_TOL * scale


def band_at_end(key: int, week: int) -> int:
    """Wait band at the end of 1-based `week` of the cohort `key` (b, or -s if joined in week s)."""
    return key + week
