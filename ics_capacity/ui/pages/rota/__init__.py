"""Rota: build the shared rota of the hubs' theatre lists and wards, see gaps, lock cells, re-solve.

The build is a background job (the page stays usable and shows progress); its result is kept on
the job record, so a reload or a colleague sees the same rota. Locks are kept in the database and
every build keeps them. A workforce lead publishes the rota shown (read-only, downloadable by the
whole collaborative); later builds keep it where possible and list each change to it.

`state.py` holds `RotaState` and its event handlers (the build's settings arrive as one submitted
form; the grid is a cached computed var of the rota shown and the filters); `view.py` the pure
view builders (a `RotaOutcome` in, plain rows and sentences out); `settings_form.py` reads the
submitted settings form strictly and checks it as one; `form.py`, `grid.py` and `page.py` the
components.
"""

from ics_capacity.ui.pages.rota.page import rota_page
from ics_capacity.ui.pages.rota.state import RotaState

__all__ = ["RotaState", "rota_page"]
