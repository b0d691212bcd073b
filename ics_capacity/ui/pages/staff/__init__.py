"""Staff: the people a scenario's rota may place, edited one at a time, with leave and requests.

Workforce leads (and administrators) add, edit and remove people, their leave and their requests
(shifts wanted on or off, with a weight) on a draft scenario, and import requests from a file;
everyone else in the collaborative sees the list. The services (`services/staff.py`) check every
change; the page keeps the versions the edits must match, and the requests' ids, in backend vars.

`state.py` holds `StaffState` and its handlers; `view.py` the pure row builders; `forms.py` the
person, leave and request forms; `page.py` the page.
"""

from ics_capacity.ui.pages.staff.page import staff_page
from ics_capacity.ui.pages.staff.state import StaffState

__all__ = ["StaffState", "staff_page"]
