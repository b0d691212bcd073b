"""Users of the chosen collaborative, for its administrators.

Add a member, change a role, reset a password, disable an account, remove a member.
"""

from __future__ import annotations

import reflex as rx

from ics_capacity.domain.roles import ROLE_LABELS
from ics_capacity.services.auth import AuthError
from ics_capacity.services.sso import (
    RULE_ROLES,
    add_domain_rule,
    list_domain_rules,
    remove_domain_rule,
)
from ics_capacity.services.users import (
    add_member,
    admin_reset_password,
    admin_reset_totp,
    change_role,
    list_members,
    remove_member,
    set_account_active,
    set_totp_required,
    totp_required,
)
from ics_capacity.settings import oidc_configured, oidc_label
from ics_capacity.ui import theme
from ics_capacity.ui.components.forms import INPUT_STYLE, labelled_input, labelled_select
from ics_capacity.ui.components.layout import page_shell
from ics_capacity.ui.components.tables import body_rows, cell, data_table, head_row, row_heading
from ics_capacity.ui.components.widgets import button, panel
from ics_capacity.ui.routes import protected_page
from ics_capacity.ui.state.session import SessionState, refusal


class UsersState(rx.State):
    """The collaborative's members."""

    members: list[dict[str, str]] = []
    require_totp: bool = False
    # Single sign-on: the administrators' domain rules, when the server has a provider.
    sso_enabled: bool = False
    sso_label: str = ""
    sso_rules: list[dict[str, str]] = []

    @rx.event
    async def load(self):
        """Lists the members (administrators only)."""
        session = await self.get_state(SessionState)
        if not session.signed_in:
            return None
        try:
            rows = list_members(session.token, session.collaborative_id)
            self.require_totp = totp_required(session.token, session.collaborative_id)
            self.sso_enabled = oidc_configured()
            self.sso_label = oidc_label()
            rules = (
                list_domain_rules(session.token, session.collaborative_id)
                if self.sso_enabled
                else []
            )
        except AuthError as error:
            self.reset()  # a refused load shows nothing of what it would have
            return refusal(error)
        self.members = [
            {
                "email": m.email,
                "name": m.display_name,
                "role": m.role,
                "label": m.role_label,
                "status": "" if m.active else "Disabled",
                "two_step": "On" if m.two_step else "",
            }
            for m in rows
        ]
        self.sso_rules = [
            {"id": str(r.id), "domain": r.domain, "label": r.role_label} for r in rules
        ]
        return None

    async def _act(self, action, success: str, *args, **kwargs):
        session = await self.get_state(SessionState)
        try:
            action(session.token, *args, **kwargs)
        except (AuthError, ValueError) as error:
            return refusal(error)
        await self.load()
        return rx.toast.success(success)

    async def _act_here(self, action, success: str, **kwargs):
        """`_act` in the tab's collaborative (the service checks the caller's role there)."""
        session = await self.get_state(SessionState)
        return await self._act(action, success, session.collaborative_id, **kwargs)

    @rx.event
    async def add(self, form: dict):
        """Adds a member with a role and a first password."""
        return await self._act_here(
            add_member,
            f"Added {form.get('email', '')}",
            email=str(form.get("email", "")),
            display_name=str(form.get("name", "")),
            role=str(form.get("role", "viewer")),
            password=str(form.get("password", "")),
        )

    @rx.event
    async def set_role(self, email: str, role: str):
        """Changes a member's role."""
        return await self._act_here(
            change_role,
            f"Changed the role of {email}",
            email=email,
            role=role,
        )

    @rx.event
    async def reset_password(self, form: dict):
        """Sets a new password for a member, ends their sessions and makes them change it.

        The refusal does not say whether the email has an account (the service answers an
        unknown email as it answers a person this administrator may not reset).
        """
        return await self._act(
            admin_reset_password,
            f"New password set for {form.get('email', '')}; they must change it at sign-in",
            email=str(form.get("email", "")),
            new_password=str(form.get("password", "")),
        )

    @rx.event
    async def set_active(self, email: str, active: bool):
        """Disables a member's account (ending their sessions at once) or enables it again."""
        return await self._act_here(
            set_account_active,
            f"{'Enabled' if active else 'Disabled'} the account of {email}",
            email=email,
            active=bool(active),
        )

    @rx.event
    async def set_require_totp(self, required: bool):
        """Requires (or stops requiring) two-step verification of every member."""
        return await self._act_here(
            set_totp_required,
            "Two-step verification is now "
            + ("required of every member" if required else "up to each member"),
            required=bool(required),
        )

    @rx.event
    async def reset_two_step(self, email: str):
        """Turns a member's two-step verification off (a lost phone) and ends their sessions."""
        return await self._act_here(
            admin_reset_totp,
            f"Two-step verification of {email} reset; they set it up again at sign-in",
            email=email,
        )

    @rx.event
    async def add_sso_rule(self, form: dict):
        """Lets people of an email domain join with a role at their first single sign-on."""
        domain = str(form.get("domain", ""))
        return await self._act_here(
            add_domain_rule,
            f"People of @{domain.strip().lstrip('@').lower()} can now join by single sign-on",
            domain=domain,
            role=str(form.get("role", "viewer")),
        )

    @rx.event
    async def remove_sso_rule(self, rule_id: str):
        """Removes a domain rule (accounts it made stay members)."""
        try:
            number = int(rule_id)
        except ValueError:
            return refusal(ValueError("That is not a rule."))
        return await self._act_here(remove_domain_rule, "Removed the rule", rule_id=number)

    @rx.event
    async def remove(self, email: str):
        """Removes a member from the collaborative, ending their sessions at once."""
        session = await self.get_state(SessionState)
        return await self._act_here(
            remove_member,
            f"Removed {email} from {session.collaborative_name}",
            email=email,
        )


def _role_select(member: dict) -> rx.Component:
    return rx.el.select(
        *[rx.el.option(label, value=role) for role, label in ROLE_LABELS.items()],
        value=member["role"],
        on_change=lambda role: UsersState.set_role(member["email"], role),
        aria_label="Role of " + member["email"],
        **{**INPUT_STYLE, "padding": "4px"},  # a tighter box in the members' table
    )


def _member_actions(member: dict) -> rx.Component:
    return rx.hstack(
        rx.cond(
            member["status"] == "Disabled",
            button(
                "Enable",
                kind="secondary",
                on_click=UsersState.set_active(member["email"], True),
                aria_label="Enable the account of " + member["email"],
            ),
            button(
                "Disable",
                kind="secondary",
                on_click=UsersState.set_active(member["email"], False),
                aria_label="Disable the account of " + member["email"],
            ),
        ),
        rx.cond(
            member["two_step"] == "On",
            button(
                "Reset two-step",
                kind="secondary",
                on_click=UsersState.reset_two_step(member["email"]),
                aria_label="Reset the two-step verification of " + member["email"],
            ),
        ),
        button(
            "Remove",
            kind="warning",
            on_click=UsersState.remove(member["email"]),
            aria_label="Remove " + member["email"] + " from the collaborative",
        ),
        spacing="2",
    )


def _text_input(label: str, name: str, kind: str = "text", form: str = "add") -> rx.Component:
    return labelled_input(
        label,
        f"{form}-{name}",
        name=name,
        type=kind,
        required=True,
    )


def _single_sign_on_panel() -> rx.Component:
    return panel(
        rx.heading("Single sign-on", as_="h2", size="5"),
        rx.text(
            "Members sign in with their ",
            UsersState.sso_label,
            ". A person added below by email is matched at their first sign-in. You can also "
            "let everyone of an email domain join with a role at their first sign-in; "
            "administrators are always added by name.",
            margin_y="8px",
        ),
        rx.el.table(
            rx.el.caption("Domain rules", text_align="left", font_weight="600"),
            head_row(("Email domain", "Joins as", "")),
            body_rows(
                UsersState.sso_rules,
                lambda r: [
                    row_heading("@" + r["domain"]),
                    cell(r["label"]),
                    cell(
                        button(
                            "Remove",
                            kind="warning",
                            on_click=UsersState.remove_sso_rule(r["id"]),
                            aria_label="Remove the rule for @" + r["domain"],
                        )
                    ),
                ],
            ),
            width="100%",
            border_collapse="collapse",
        ),
        rx.form(
            rx.hstack(
                _text_input("Email domain (e.g. dgh.nhs.uk)", "domain", form="sso"),
                labelled_select(
                    "Joins as",
                    "sso-role",
                    *[rx.el.option(ROLE_LABELS[r], value=r) for r in RULE_ROLES],
                    name="role",
                    default_value="viewer",
                ),
                button("Add rule", type="submit", kind="secondary"),
                spacing="3",
                align="end",
                flex_wrap="wrap",
            ),
            on_submit=UsersState.add_sso_rule,
            reset_on_submit=True,
            margin_top="12px",
        ),
        margin_top="16px",
    )


@protected_page("/users", "Users", on_load=[UsersState.load])
def users_page() -> rx.Component:
    """The users page."""
    return page_shell(
        rx.heading("Users", as_="h1", size="8"),
        rx.text(
            "Members of ",
            SessionState.collaborative_name,
            " and what each may do. Passwords need at least 12 characters and must not be a "
            "common password. A reset password must be changed at the next sign-in; disabling "
            "or removing someone ends their sessions at once.",
            color=theme.NHS_SECONDARY_TEXT,
            margin_y="8px",
        ),
        panel(
            data_table(
                "Members",
                ("Email", "Name", "Role", "Status", "Two-step", ""),
                UsersState.members,
                lambda m: [
                    row_heading(m["email"]),
                    cell(m["name"]),
                    cell(_role_select(m)),
                    cell(m["status"], color=theme.NHS_RED),
                    cell(m["two_step"]),
                    cell(_member_actions(m)),
                ],
            ),
            overflow_x="auto",
            tab_index=0,  # a scrolling region keyboard users can reach
        ),
        panel(
            rx.heading("Two-step verification", as_="h2", size="5"),
            rx.text(
                "With two-step verification a member signs in with their password and a code "
                "from an authenticator app on their phone. Members without it are asked to set "
                "it up at their next sign-in.",
                margin_y="8px",
            ),
            rx.el.label(
                rx.el.input(
                    type="checkbox",
                    id="require-totp",
                    checked=UsersState.require_totp,
                    on_change=UsersState.set_require_totp,
                ),
                " Require two-step verification of every member",
                html_for="require-totp",
                font_weight="600",
            ),
            margin_top="16px",
        ),
        rx.cond(UsersState.sso_enabled, _single_sign_on_panel()),
        rx.grid(
            panel(
                rx.heading("Add a member", as_="h2", size="5"),
                rx.form(
                    rx.vstack(
                        _text_input("Email address", "email", "email"),
                        _text_input("Name", "name"),
                        labelled_select(
                            "Role",
                            "add-role",
                            *[
                                rx.el.option(label, value=role)
                                for role, label in ROLE_LABELS.items()
                            ],
                            name="role",
                            default_value="viewer",
                        ),
                        _text_input("First password", "password", "password"),
                        button("Add member", type="submit"),
                        spacing="3",
                    ),
                    on_submit=UsersState.add,
                    reset_on_submit=True,
                ),
            ),
            panel(
                rx.heading("Reset a password", as_="h2", size="5"),
                rx.form(
                    rx.vstack(
                        _text_input("Email address", "email", "email", form="reset"),
                        _text_input("New password", "password", "password", form="reset"),
                        button("Set new password", type="submit", kind="secondary"),
                        spacing="3",
                    ),
                    on_submit=UsersState.reset_password,
                    reset_on_submit=True,
                ),
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            margin_top="16px",
        ),
    )
