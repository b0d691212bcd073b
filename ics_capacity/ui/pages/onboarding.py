"""Onboarding (administrators): a new system from NHS England's published files, in one step.

The administrator drops the files (the RTT extract, and any of KH03, workforce, ODS, MAR and
flows; each is recognised by its columns), gives the ICB code and, if wanted, the member trusts.
The files are kept only once the server knows the caller is an administrator; onboarding then
runs in a worker thread (`services.onboarding.onboard`, the same use case as `ics-capacity
onboard`) while the page shows its progress, and ends with a link to the new draft scenario.
"""

from __future__ import annotations

import asyncio
import threading

import reflex as rx

from ics_capacity.services.errors import ServiceError
from ics_capacity.services.onboarding import (
    FILE_KIND_LABELS,
    check_administrator,
    file_kind,
    files_by_kind,
    onboard,
)
from ics_capacity.services.uploads import (
    discard_upload,
    open_onboarding_upload,
    staged_path,
)
from ics_capacity.ui import theme
from ics_capacity.ui.components.forms import labelled_input
from ics_capacity.ui.components.layout import page_shell
from ics_capacity.ui.components.widgets import (
    button,
    drop_zone,
    field_label,
    notice,
)
from ics_capacity.ui.routes import protected_page
from ics_capacity.ui.state.session import SessionState, refusal

UPLOAD_ID = "onboarding-upload"
UPLOAD_CHUNK_BYTES = 1 << 20


class OnboardingState(rx.State):
    """The files this administrator uploaded, and the progress and outcome of the onboarding."""

    allowed: bool = False
    ics: str = ""
    trusts: str = ""
    files: list[list[str]] = []
    busy: bool = False
    progress: int = 0
    step: str = ""
    outcome: str = ""
    draft_url: str = ""
    _kept: list[str] = []

    @rx.event
    async def open(self):
        """Shows the page to administrators only."""
        session = await self.get_state(SessionState)
        try:
            check_administrator(session.token)
        except ServiceError as error:
            self.allowed = False
            return refusal(error)
        self.allowed = True
        return None

    @rx.event
    def set_ics(self, value: str):
        """Keeps the ICB code as typed."""
        self.ics = value.strip().upper()[:5]

    @rx.event
    def set_trusts(self, value: str):
        """Keeps the member trusts as typed (ODS codes, comma separated)."""
        self.trusts = value[:200]

    async def _forget(self, token: str) -> None:
        for kept in self._kept:
            await asyncio.to_thread(discard_upload, token, kept)
        self._kept, self.files = [], []

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        """Keeps the dropped files once the server knows the caller is an administrator."""
        session = await self.get_state(SessionState)
        token = session.token
        await self._forget(token)
        self.outcome, self.draft_url = "", ""
        if not files:
            yield rx.toast.error("Choose the files first.")
            return
        for upload in files[:6]:
            writer = None
            try:
                writer = await asyncio.to_thread(
                    open_onboarding_upload, token, str(upload.name or "upload")
                )
                while chunk := await upload.read(UPLOAD_CHUNK_BYTES):
                    await asyncio.to_thread(writer.write, chunk)
                staged = await asyncio.to_thread(writer.close)
            except ServiceError as error:
                if writer is not None:
                    writer.discard()
                await self._forget(token)
                yield refusal(error)
                return
            self._kept.append(str(staged.path))
            kind = await asyncio.to_thread(file_kind, staged.path)
            label = FILE_KIND_LABELS.get(kind or "", "not recognised")
            self.files.append([staged.name, label])

    @rx.event(background=True)
    async def run(self):
        """Onboards the system from the uploaded files in a worker thread, showing progress."""
        async with self:
            session = await self.get_state(SessionState)
            token, ics, kept = session.token, self.ics, list(self._kept)
            trusts = [t.strip().upper() for t in self.trusts.split(",") if t.strip()]
            if self.busy:
                return
            self.busy, self.progress, self.step, self.outcome = True, 0, "Starting", ""
        seen: dict[str, object] = {"percent": 0, "step": "Starting"}
        lock = threading.Lock()

        def progress(percent: int, step: str) -> None:
            with lock:
                seen["percent"], seen["step"] = percent, step

        def work():
            paths = [staged_path(token, k) for k in kept]
            return onboard(token, ics, files_by_kind(paths), trusts=trusts, progress=progress)

        task = asyncio.create_task(asyncio.to_thread(work))
        while not task.done():
            await asyncio.sleep(0.4)
            async with self:
                with lock:
                    self.progress, self.step = int(str(seen["percent"])), str(seen["step"])
        try:
            report = task.result()
        except ServiceError as error:
            async with self:
                self.busy, self.outcome = False, ""
                return refusal(error)
        async with self:
            self.busy, self.progress, self.step = False, 100, "Done"
            self.outcome = (
                f"Onboarded {report.collaborative_name}: {len(report.trusts)} member trusts "
                f"({', '.join(report.trusts)}), {report.sites} main sites estimated from the "
                "published data; it is now the collaborative you work in."
            )
            self.draft_url = f"/scenarios/{report.scenario_id}"
            await self._forget(token)
            session = await self.get_state(SessionState)
            session.chosen_code = report.collaborative_code  # work in the new system next
        return [rx.toast.success("System onboarded"), SessionState.require_sign_in]


def _files_table() -> rx.Component:
    return rx.cond(
        OnboardingState.files.length() > 0,
        rx.el.table(
            rx.el.caption("Files uploaded", text_align="left", font_weight="600"),
            rx.el.thead(
                rx.el.tr(
                    rx.el.th("File", scope="col", text_align="left", padding="6px"),
                    rx.el.th("Recognised as", scope="col", text_align="left", padding="6px"),
                )
            ),
            rx.el.tbody(
                rx.foreach(
                    OnboardingState.files,
                    lambda f: rx.el.tr(
                        rx.el.td(f[0], padding="6px"), rx.el.td(f[1], padding="6px")
                    ),
                )
            ),
            margin_top="12px",
        ),
    )


def _form() -> rx.Component:
    def text_field(label: str, html_id: str, value, on_change, **props) -> rx.Component:
        return labelled_input(
            label,
            html_id,
            value=value,
            on_change=on_change,
            **props,
        )

    return rx.box(
        rx.text(
            "Drop the RTT Full CSV extract (the national zip) and any of the KH03, workforce, "
            "ODS trusts (etr), Monthly Activity Return and flows files; each is recognised by its "
            "columns. docs/onboarding.md says where NHS England publishes each.",
        ),
        rx.flex(
            text_field(
                "ICB code of the system",
                "onboarding-ics",
                OnboardingState.ics,
                OnboardingState.set_ics,
                placeholder="e.g. QHL",
                width="120px",
            ),
            text_field(
                "Member trusts (ODS codes, comma separated; blank for the acute trusts)",
                "onboarding-trusts",
                OnboardingState.trusts,
                OnboardingState.set_trusts,
                width="320px",
            ),
            gap="16px",
            wrap="wrap",
            margin_top="12px",
        ),
        field_label("Files to onboard from", "onboarding-files"),
        drop_zone(
            UPLOAD_ID,
            "onboarding-files",
            "Drag the files here, or choose them",
            "Files to onboard from: drop zone",
            multiple=True,
        ),
        rx.hstack(
            button(
                "Upload the files",
                kind="secondary",
                on_click=OnboardingState.upload(rx.upload_files(upload_id=UPLOAD_ID)),
            ),
            button(
                "Onboard the system",
                on_click=OnboardingState.run,
                disabled=OnboardingState.busy | (OnboardingState.files.length() == 0),
            ),
            margin_top="12px",
            spacing="3",
        ),
        _files_table(),
        rx.cond(
            OnboardingState.busy,
            rx.box(
                rx.progress(value=OnboardingState.progress, max=100, aria_label="Onboarding"),
                rx.text(OnboardingState.step, " (", OnboardingState.progress, "%)"),
                role="status",
                margin_top="12px",
            ),
        ),
        rx.cond(
            OnboardingState.outcome != "",
            rx.box(
                notice(OnboardingState.outcome, tone="success"),
                rx.link(
                    "Open the draft scenario",
                    href=OnboardingState.draft_url,
                    color=theme.NHS_BLUE,
                    font_weight="600",
                ),
                margin_top="12px",
            ),
        ),
        background_color=theme.NHS_WHITE,
        padding="20px",
        margin_top="16px",
    )


@protected_page("/onboarding", "Onboarding", on_load=[OnboardingState.open])
def onboarding_page() -> rx.Component:
    """The administrators' onboarding page."""
    return page_shell(
        rx.heading("Onboard a new system", as_="h1", size="8"),
        rx.cond(
            OnboardingState.allowed,
            _form(),
            rx.text("Only an administrator may onboard a new system.", margin_top="12px"),
        ),
    )
