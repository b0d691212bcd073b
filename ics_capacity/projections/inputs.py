"""The typed input of the waiting-list projection, and how to build it from table-shaped frames.

A projection runs over *series*: one provider x RTT treatment function each. For every series it
needs the waiting list now by weekly wait band (the 105 RTT bands), and for every week of the
horizon the demand (new clock starts), the treatment capacity (pathways completed) and the rate
at which patients leave the list without treatment (validation, patients treated elsewhere or
no longer wanting treatment). Theatre and bed use come from the treatment function's case mix and
the share of treatments that are admitted.

The builders read plain DataFrames shaped like the database tables (columns named as in
`ics_capacity.db.models`); the services turn database rows into those frames. Nothing here reads
the database.

The parts: `input_model` (the input, its pools and validation rates) and `input_tables` (the
builders); every public name is importable from here.
"""

from ics_capacity.projections.input_model import (
    DEFAULT_VALIDATION_RATE_PER_MONTH,
    MAX_VALIDATION_SHARE_PER_YEAR,
    WEEKS_PER_MONTH,
    WEEKS_PER_YEAR,
    ProjectionInput,
    ProjectionInputError,
    ResourcePools,
    observed_validation_by_tfc,
    weekly_rate_from_monthly,
    weekly_rate_from_yearly,
    with_validation_shares,
    yearly_share_from_weekly,
)
from ics_capacity.projections.input_tables import (
    projection_input_from_tables,
    resource_pools_from_tables,
    waiting_bands_from_table,
    weekly_flows_from_activity,
)

__all__ = [
    "DEFAULT_VALIDATION_RATE_PER_MONTH",
    "MAX_VALIDATION_SHARE_PER_YEAR",
    "ProjectionInput",
    "ProjectionInputError",
    "ResourcePools",
    "WEEKS_PER_MONTH",
    "WEEKS_PER_YEAR",
    "observed_validation_by_tfc",
    "projection_input_from_tables",
    "resource_pools_from_tables",
    "waiting_bands_from_table",
    "weekly_flows_from_activity",
    "weekly_rate_from_monthly",
    "weekly_rate_from_yearly",
    "with_validation_shares",
    "yearly_share_from_weekly",
]
