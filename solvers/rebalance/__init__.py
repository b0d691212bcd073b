"""Rebalancing optimiser: which patients to move to which hub, week by week (docs/rebalance.md).

`solve_rebalance(RebalanceInput, SolveOptions) -> RebalanceResult` is pure; `check_result` checks
any result independently of the model.
"""

from solvers.rebalance.check import Violation, check_plan, check_result
from solvers.rebalance.model import solve_rebalance
from solvers.rebalance.schema import RebalanceInput, RebalanceResult, RebalanceSettings
from solvers.rebalance.synthetic import synthetic_instance

__all__ = [
    "RebalanceInput",
    "RebalanceResult",
    "RebalanceSettings",
    "Violation",
    "check_plan",
    "check_result",
    "solve_rebalance",
    "synthetic_instance",
]
