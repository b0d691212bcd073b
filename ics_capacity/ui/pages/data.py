"""Data: upload files into a scenario with a preview of every problem; export any table.

NHS England's published files or the project's templates are checked before anything is saved.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from ics_capacity.services.data_exchange import (
    EXPORT_TABLES,
    IMPORT_KINDS,
    commit_import,
    export_scenario,
    export_table,
    preview_import,
)
from ics_capacity.services.errors import SERVICE_ERRORS, ImportValidationError, ServiceError
from ics_capacity.services.uploads import (
    discard_upload,
    open_upload,
    staged_path,
    user_slot,
)
from ics_capacity.ui import theme
from ics_capacity.ui.components.forms import labelled_input, labelled_select
from ics_capacity.ui.components.layout import page_shell
from ics_capacity.ui.components.widgets import (
    button,
    drop_zone,
    field_label,
    panel,
    secondary_buttons,
)
from ics_capacity.ui.routes import protected_page
from ics_capacity.ui.state.picker import ScenarioPicker
from ics_capacity.ui.state.session import SessionState, refusal

KIND_LABELS = {
    "rtt": "RTT Full CSV extract (waiting lists; .csv or .zip)",
    "kh03": "KH03 beds (quarterly panel)",
    "workforce": "Workforce: staff in post by staff group",
    "etr": "ODS trusts (etr.csv)",
    "flows": "Monthly RTT flows per system",
    "template": "Project template: sites and theatres, or case-mix (.csv or .xlsx)",
    "rota_staff": "Rota staff list: who may be rostered at the hubs (.csv)",
    "rota_requests": "Rota staff requests: shifts wanted on or off (.csv or .xlsx)",
}
UPLOAD_ID = "data-upload"
UPLOAD_CHUNK_BYTES = 1024 * 1024


def _preview_in_slot(token: str, scenario_id: int, kind: str, path, ics):
    with user_slot(token):
        return preview_import(token, scenario_id, kind, staged_path(token, str(path)), ics=ics)


def _commit_in_slot(token: str, scenario_id: int, kind: str, kept: str, ics):
    with user_slot(token):
        return commit_import(token, scenario_id, kind, staged_path(token, kept), ics=ics)


class DataState(rx.State):
    """The chosen scenario and file kind, the uploaded file and its preview."""

    kind: str = "rtt"
    ics: str = ""
    file_name: str = ""
    preview_ok: bool = False
    already_imported: bool = False
    summary: list[list[str]] = []
    problems: list[dict[str, str]] = []
    checking: bool = False
    _upload_path: str = ""

    @rx.event
    async def load(self):
        """Lists the scenarios the user can import into or export."""
        session = await self.get_state(SessionState)
        if not session.signed_in:
            return None
        picker = await self.get_state(ScenarioPicker)
        try:
            await picker._list(prefer_editable=True)
        except SERVICE_ERRORS as error:
            self._clear()
            return refusal(error)
        return None

    @rx.event
    async def choose_scenario(self, scenario_id: str):
        """Picks the scenario to import into or export, once the server accepts the choice."""
        picker = await self.get_state(ScenarioPicker)
        try:
            await picker._choose(scenario_id)
        except SERVICE_ERRORS as error:
            return refusal(error)
        await self._forget_upload()
        return None

    async def _scenario(self) -> int:
        return (await self.get_state(ScenarioPicker))._scenario_id

    @rx.event
    async def choose_kind(self, kind: str):
        """Picks the kind of file being uploaded (a file already uploaded is deleted)."""
        self.kind = kind if kind in IMPORT_KINDS else "rtt"
        await self._forget_upload()

    @rx.event
    def set_ics(self, ics: str):
        """Keeps the ICB code that filters a national RTT extract."""
        self.ics = ics.strip().upper()

    def _clear(self) -> None:
        self.file_name, self.preview_ok, self.already_imported = "", False, False
        self.summary, self.problems, self._upload_path = [], [], ""

    async def _forget_upload(self) -> None:
        """Deletes the file this tab uploaded (if any) and clears the preview."""
        kept = self._upload_path
        self._clear()
        if kept:
            session = await self.get_state(SessionState)
            discard_upload(session.token, kept)

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        """Keeps the file on the server once it knows the user may import it, then previews it.

        The right to import is checked before the first byte is kept; the file is copied in 1 MB
        chunks up to the size limit into the user's own folder; the check runs in a worker
        thread, one at a time per user. Nothing is imported yet.
        """
        await self._forget_upload()
        session = await self.get_state(SessionState)
        picker = await self.get_state(ScenarioPicker)
        token, scenario_id = session.token, picker._scenario_id
        kind, ics = self.kind, self.ics or None
        if not files:
            yield rx.toast.error("Choose a file first.")
            return
        upload = files[0]
        writer = None
        try:
            writer = await asyncio.to_thread(
                open_upload, token, scenario_id, kind, str(upload.name or "upload")
            )
            self.file_name, self.checking = writer.name, True
            yield
            while chunk := await upload.read(UPLOAD_CHUNK_BYTES):
                await asyncio.to_thread(writer.write, chunk)
            staged = await asyncio.to_thread(writer.close)
        except ServiceError as error:
            if writer is not None:
                writer.discard()
            self.checking = False
            if writer is not None and writer.size == 0:
                empty = "The file is empty (0 bytes)."
                self.problems = [{"where": writer.name, "reason": empty}]
                return
            yield refusal(error)
            return
        self._upload_path = str(staged.path)
        try:
            preview = await asyncio.to_thread(
                _preview_in_slot, token, scenario_id, kind, staged.path, ics
            )
        except SERVICE_ERRORS as error:
            await asyncio.to_thread(discard_upload, token, str(staged.path))
            self.checking, self._upload_path = False, ""
            yield refusal(error)
            return
        self.checking = False
        self.preview_ok = preview.ok
        self.already_imported = preview.already_imported
        self.summary = [[label, value] for label, value in preview.summary]
        self.problems = [_problem_view(p) for p in preview.problems]
        if not preview.ok:  # a file with problems is never imported: do not keep it
            discard_upload(token, self._upload_path)
            self._upload_path = ""

    @rx.event
    async def commit(self):
        """Imports the previewed file into the scenario in one transaction, off the event loop.

        The import runs in a worker thread (other users' pages are not held up); this tab waits
        for it, showing that it is importing.
        """
        if not self._upload_path or not self.preview_ok:
            yield rx.toast.error("Upload a file without problems first.")
            return
        session = await self.get_state(SessionState)
        picker = await self.get_state(ScenarioPicker)
        token, scenario_id = session.token, picker._scenario_id
        kind, ics, kept = self.kind, self.ics or None, self._upload_path
        self.checking = True
        yield
        try:
            outcome = await asyncio.to_thread(_commit_in_slot, token, scenario_id, kind, kept, ics)
        except ImportValidationError as error:
            await asyncio.to_thread(discard_upload, token, kept)
            self.checking, self.preview_ok, self._upload_path = False, False, ""
            self.problems = [_problem_view(p) for p in error.problems]
            yield rx.toast.error("The file has problems; nothing was imported.")
            return
        except SERVICE_ERRORS as error:
            self.checking = False
            yield refusal(error)
            return
        await asyncio.to_thread(discard_upload, token, kept)
        self.checking = False
        self._clear()
        yield rx.toast.success(outcome.describe())

    @rx.event
    async def download_table(self, table: str, fmt: str):
        """Downloads one table of the scenario as CSV or Excel."""
        session = await self.get_state(SessionState)
        try:
            name, data = export_table(session.token, await self._scenario(), table, fmt)
        except SERVICE_ERRORS as error:
            return refusal(error)
        return rx.download(data=data, filename=name)

    @rx.event
    async def download_scenario(self, fmt: str):
        """Downloads the whole scenario as JSON, Excel or a zip of CSV files."""
        session = await self.get_state(SessionState)
        try:
            name, data = export_scenario(session.token, await self._scenario(), fmt)
        except SERVICE_ERRORS as error:
            return refusal(error)
        return rx.download(data=data, filename=name)


def _problem_view(problem) -> dict[str, str]:
    where = problem.file
    if problem.row:
        where += f", row {problem.row}"
    if problem.column:
        where += f", column '{problem.column}'"
    reason = problem.reason
    if problem.value not in (None, ""):
        reason = f"'{problem.value}': {reason}"
    return {"where": where, "reason": reason}


def _select(label: str, html_id: str, options, value, on_change) -> rx.Component:
    return labelled_select(
        label,
        html_id,
        options,
        value=value,
        on_change=on_change,
        max_width="520px",
    )


def _import_panel() -> rx.Component:
    return panel(
        rx.heading("Import a file", as_="h2", size="5"),
        rx.text(
            "Files are checked first; nothing is saved until you confirm, and a file with "
            "any problem is never imported. Importing the same file twice changes nothing.",
            color=theme.NHS_SECONDARY_TEXT,
            margin_bottom="12px",
        ),
        rx.flex(
            _select(
                "Scenario",
                "data-scenario",
                rx.foreach(
                    ScenarioPicker.options, lambda s: rx.el.option(s["name"], value=s["id"])
                ),
                ScenarioPicker.chosen,
                DataState.choose_scenario,
            ),
            _select(
                "Kind of file",
                "data-kind",
                [rx.el.option(label, value=kind) for kind, label in KIND_LABELS.items()],
                DataState.kind,
                DataState.choose_kind,
            ),
            rx.cond(
                DataState.kind == "rtt",
                labelled_input(
                    "System (ICB code) in a national file",
                    "data-ics",
                    value=DataState.ics,
                    on_change=DataState.set_ics,
                    placeholder="e.g. QUA",
                    width="120px",
                ),
            ),
            gap="16px",
            wrap="wrap",
            align="end",
        ),
        field_label("File to import", FILE_INPUT_ID),
        drop_zone(
            UPLOAD_ID,
            FILE_INPUT_ID,
            "Drag a file here, or choose one",
            "File to import: drop zone",
        ),
        rx.hstack(
            button(
                "Check the file",
                on_click=DataState.upload(rx.upload_files(upload_id=UPLOAD_ID)),
                kind="secondary",
            ),
            rx.cond(
                DataState.checking, rx.hstack(rx.spinner(), rx.text("Checking…"), role="status")
            ),
            margin_top="12px",
            align="center",
            spacing="3",
        ),
        rx.cond(DataState.file_name != "", _preview()),
    )


def _preview() -> rx.Component:
    return rx.box(
        rx.heading("Preview of ", DataState.file_name, as_="h3", size="4", margin_top="20px"),
        rx.el.table(
            rx.el.tbody(
                rx.foreach(
                    DataState.summary,
                    lambda item: rx.el.tr(
                        rx.el.th(item[0], scope="row", text_align="left", padding="4px 8px"),
                        rx.el.td(item[1], padding="4px 8px"),
                    ),
                ),
            ),
            aria_label="What the file holds",
        ),
        rx.cond(
            DataState.problems.length() > 0,
            rx.box(
                rx.text(
                    DataState.problems.length(),
                    " problem(s): nothing will be imported.",
                    font_weight="700",
                    color=theme.NHS_RED,
                ),
                rx.el.table(
                    rx.el.caption("Problems in the file", text_align="left", font_weight="600"),
                    rx.el.thead(
                        rx.el.tr(
                            rx.el.th("Where", scope="col", text_align="left"),
                            rx.el.th("Problem", scope="col", text_align="left"),
                        )
                    ),
                    rx.el.tbody(
                        rx.foreach(
                            DataState.problems,
                            lambda p: rx.el.tr(
                                rx.el.td(p["where"], padding="6px 8px", white_space="nowrap"),
                                rx.el.td(p["reason"], padding="6px 8px"),
                                border_bottom=f"1px solid {theme.NHS_BORDER}",
                            ),
                        )
                    ),
                    width="100%",
                    border_collapse="collapse",
                ),
                role="alert",
                border=f"4px solid {theme.NHS_RED}",
                padding="12px",
                margin_top="12px",
            ),
            rx.cond(
                DataState.already_imported,
                rx.text(
                    "This file is already in the scenario; importing it again changes nothing.",
                    margin_top="12px",
                ),
                button("Import into the scenario", on_click=DataState.commit, margin_top="12px"),
            ),
        ),
    )


def _export_panel() -> rx.Component:
    return panel(
        rx.heading("Export", as_="h2", size="5"),
        rx.text(
            "The whole scenario as JSON re-imports without loss; Excel has a sheet per table.",
            color=theme.NHS_SECONDARY_TEXT,
            margin_bottom="12px",
        ),
        rx.hstack(
            button("Whole scenario (JSON)", on_click=DataState.download_scenario("json")),
            *secondary_buttons(
                [
                    ("Whole scenario (Excel)", DataState.download_scenario("xlsx")),
                    ("Whole scenario (CSV files, zip)", DataState.download_scenario("csv")),
                ]
            ),
            wrap="wrap",
            spacing="3",
        ),
        rx.el.table(
            rx.el.caption("Tables", text_align="left", font_weight="600", padding_y="12px"),
            rx.el.tbody(
                *[
                    rx.el.tr(
                        rx.el.th(label, scope="row", text_align="left", padding="6px 8px"),
                        rx.el.td(
                            rx.hstack(
                                rx.el.button(
                                    "CSV",
                                    aria_label=f"{label} as CSV",
                                    on_click=DataState.download_table(table, "csv"),
                                    color=theme.NHS_BLUE,
                                    background="none",
                                    cursor="pointer",
                                    text_decoration="underline",
                                ),
                                rx.el.button(
                                    "Excel",
                                    aria_label=f"{label} as Excel",
                                    on_click=DataState.download_table(table, "xlsx"),
                                    color=theme.NHS_BLUE,
                                    background="none",
                                    cursor="pointer",
                                    text_decoration="underline",
                                ),
                            ),
                            padding="6px 8px",
                        ),
                        border_bottom=f"1px solid {theme.NHS_BORDER}",
                    )
                    for table, label in EXPORT_TABLES.items()
                ]
            ),
            width="100%",
            border_collapse="collapse",
        ),
        margin_top="16px",
    )


FILE_INPUT_ID = "data-file-input"


@protected_page("/data", "Data", on_load=[DataState.load])
def data_page() -> rx.Component:
    """The data page."""
    return page_shell(
        rx.heading("Data", as_="h1", size="8"),
        rx.text(
            "Load NHS England's published files for your system, check them, and export "
            "what the app holds.",
            color=theme.NHS_SECONDARY_TEXT,
            margin_y="8px",
        ),
        _import_panel(),
        _export_panel(),
    )
