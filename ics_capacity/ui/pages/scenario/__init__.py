"""One scenario: its site capacity (edited in place), approval workflow, comments, who is here.

Changes are saved through the services (which check the role and the row version) and then pushed
through the scenario's shared room to everyone viewing it.

`state.py` holds `ScenarioPageState` and its event handlers; `view.py` the pure view builders;
`tables.py` the tables edited in place and the impact; `panels.py` the forms (add a site, approval,
branch and rename, comments), and `page.py` the page.
"""

from ics_capacity.ui.pages.scenario.page import scenario_page
from ics_capacity.ui.pages.scenario.state import ScenarioPageState

__all__ = ["ScenarioPageState", "scenario_page"]
