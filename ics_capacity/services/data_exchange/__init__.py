"""Files in and out of a scenario: preview and import, export of tables and whole scenarios.

Imports take NHS England's files as published (RTT Full CSV extract, plain or zipped; KH03 beds;
workforce staff in post; ODS trusts; the monthly flow series) and the project's own templates
(`docs/data-templates.md`). An import is validated in full before anything is written: a preview
lists every problem with file, row, column and reason, and a commit either writes everything in
one transaction (audited as `data.import`) or raises `ImportValidationError` and writes nothing.
A file already imported into the scenario (same kind, same SHA-256) is a no-op.

Exports give any table, or a whole scenario, as CSV or Excel; a whole scenario also as JSON, which
`import_scenario_json` turns back into a new draft scenario with the same rows (lossless).

The functions taking a session token open `scenarios.scenario_transaction` (or
`collaborative_transaction`), which checks the user's role, then call the functions taking an
open session (`preview_into`, `import_file_in`, `export_table_of`, ...). The command line acts as
the server operator (`ics_capacity/cli/data_operator.py`) through those same functions, without a
role check.

The modules:
- `importing`: the use cases `preview_import` and `commit_import`, and the same in a session.
- `preparing`: reading and checking a file of each kind, ready to write (`IMPORT_KINDS`).
- `loaders` and `loaders_trusts_flows_templates`: writing a checked file's rows into a scenario.
- `tables`: a scenario's tables as exported (`EXPORT_TABLES`, `scenario_table`).
- `exports`: a table or a whole scenario as CSV, Excel or JSON.
- `scenario_json`: the whole-scenario JSON document, written and read back.
- `json_fields`: how each field of that document is read.
"""

from ics_capacity.services.data_exchange.exports import (
    EXPORT_FORMATS,
    SCENARIO_FORMATS,
    export_scenario,
    export_scenario_of,
    export_table,
    export_table_of,
)
from ics_capacity.services.data_exchange.importing import (
    OPERATOR,
    ImportPreview,
    commit_import,
    import_file_in,
    permission_for,
    preview_import,
    preview_into,
)
from ics_capacity.services.data_exchange.preparing import IMPORT_KIND_LABELS, IMPORT_KINDS
from ics_capacity.services.data_exchange.scenario_json import (
    JSON_FORMAT,
    JSON_FORMAT_VERSION,
    import_scenario_json,
    scenario_document,
)
from ics_capacity.services.data_exchange.tables import EXPORT_TABLES, scenario_table

__all__ = [
    "EXPORT_FORMATS",
    "EXPORT_TABLES",
    "IMPORT_KINDS",
    "IMPORT_KIND_LABELS",
    "JSON_FORMAT",
    "JSON_FORMAT_VERSION",
    "OPERATOR",
    "SCENARIO_FORMATS",
    "ImportPreview",
    "commit_import",
    "export_scenario",
    "export_scenario_of",
    "export_table",
    "export_table_of",
    "import_file_in",
    "import_scenario_json",
    "permission_for",
    "preview_import",
    "preview_into",
    "scenario_document",
    "scenario_table",
]
