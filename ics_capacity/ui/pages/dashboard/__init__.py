"""Executive dashboard: waiting list, long waits and utilisation, now and projected.

Week by week for up to two years, with and without the plan, with uncertainty bands, against the
national targets.

`state.py` holds `DashboardState` and `BoardPackState` and their event handlers; `view.py` the pure
view builders (a `ScenarioProjection` or `TargetReport` in, plain rows and sentences out);
`components.py` the panels and forms, and `page.py` the page.
"""

from ics_capacity.ui.pages.dashboard.page import dashboard_page
from ics_capacity.ui.pages.dashboard.state import BoardPackState, DashboardState

__all__ = ["BoardPackState", "DashboardState", "dashboard_page"]
