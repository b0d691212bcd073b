"""The sign-in form never puts a password in a URL, even before the app has loaded."""

from __future__ import annotations

from typing import Any

from ics_capacity.ui.pages.login import login_page


def _forms(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = [node] if node.get("name") == "RadixFormRoot" else []
    for child in node.get("children", []):
        found.extend(_forms(child))
    return found


def test_the_sign_in_form_posts_when_submitted_as_plain_html() -> None:
    """The pre-rendered page's form is a POST: a GET would carry the password in its URL."""
    forms = _forms(login_page().render())
    assert forms, "the sign-in page has no form"
    for form in forms:
        assert 'method:"post"' in form["props"], form["props"]
