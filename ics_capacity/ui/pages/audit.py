"""Audit log: who changed what and when, filtered, and downloadable as CSV."""

from __future__ import annotations

import datetime as dt

import reflex as rx

from ics_capacity.services.audit_log import AuditFilter, audit_csv, audit_events
from ics_capacity.services.auth import AuthError
from ics_capacity.ui import theme
from ics_capacity.ui.components.forms import labelled_input, labelled_select
from ics_capacity.ui.components.layout import page_shell
from ics_capacity.ui.components.tables import cell, data_table
from ics_capacity.ui.components.widgets import button, panel, table_panel
from ics_capacity.ui.routes import protected_page
from ics_capacity.ui.state.session import SessionState, refusal

ACTIONS = [
    ("", "All changes"),
    ("capacity", "Capacity edits"),
    ("scenario", "Scenario changes and approvals"),
    ("user", "Accounts and roles"),
]


class AuditState(rx.State):
    """The filter and the matching changes."""

    user: str = ""
    action: str = ""
    since: str = ""
    until: str = ""
    rows: list[dict[str, str]] = []

    def _criteria(self, collaborative_id: int) -> AuditFilter:
        return AuditFilter(
            collaborative_id=collaborative_id,
            user=self.user,
            action=self.action,
            since=_date(self.since),
            until=_date(self.until),
        )

    @rx.event
    async def load(self):
        """Reads the changes matching the filter."""
        session = await self.get_state(SessionState)
        if not session.signed_in:
            return None
        try:
            events = audit_events(session.token, self._criteria(session.collaborative_id))
        except (AuthError, ValueError) as error:
            self.reset()  # a refused load shows nothing of what it would have
            return refusal(error)
        self.rows = [
            {
                "at": f"{e.at:%d %b %Y %H:%M:%S}",
                "user": e.user,
                "action": e.action,
                "scenario": e.scenario or "–",
                "summary": e.summary,
                "old": e.old_value or "–",
                "new": e.new_value or "–",
            }
            for e in events
        ]
        return None

    @rx.event
    async def apply(self, form: dict):
        """Applies the filter form."""
        self.user = str(form.get("user", ""))
        self.action = str(form.get("action", ""))
        self.since = str(form.get("since", ""))
        self.until = str(form.get("until", ""))
        return await self.load()

    @rx.event
    async def download(self):
        """Downloads every matching change as CSV."""
        session = await self.get_state(SessionState)
        try:
            text = audit_csv(session.token, self._criteria(session.collaborative_id))
        except AuthError as error:
            return refusal(error)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
        return rx.download(data=text, filename=f"audit-log-{stamp}.csv")


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _input(label: str, name: str, kind: str = "text") -> rx.Component:
    return labelled_input(
        label,
        f"audit-{name}",
        name=name,
        type=kind,
    )


@protected_page("/audit", "Audit log", on_load=[AuditState.load])
def audit_page() -> rx.Component:
    """The audit log page."""
    return page_shell(
        rx.heading("Audit log", as_="h1", size="8"),
        rx.text(
            "Every change to this collaborative's scenarios, capacity and accounts, newest "
            "first. Times are UTC.",
            color=theme.NHS_SECONDARY_TEXT,
            margin_y="8px",
        ),
        panel(
            rx.form(
                rx.hstack(
                    _input("User email contains", "user"),
                    labelled_select(
                        "Kind of change",
                        "audit-action",
                        *[rx.el.option(label, value=value) for value, label in ACTIONS],
                        name="action",
                    ),
                    _input("From", "since", "date"),
                    _input("To", "until", "date"),
                    button("Filter", type="submit"),
                    align="end",
                    spacing="4",
                    wrap="wrap",
                ),
                on_submit=AuditState.apply,
            ),
            button(
                "Download CSV", kind="secondary", on_click=AuditState.download, margin_top="16px"
            ),
        ),
        table_panel(
            data_table(
                "Changes",
                ("When", "Who", "Change", "Scenario", "What", "Old", "New"),
                AuditState.rows,
                lambda r: [
                    cell(r["at"], white_space="nowrap"),
                    *[cell(r[k]) for k in ("user", "action", "scenario", "summary", "old", "new")],
                ],
            )
        ),
    )
