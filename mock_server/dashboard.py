"""The dashboard: one HTML page, a script and a style sheet, shipped as package data (static/).

The page holds no state: its script reads and changes everything through the
control API, sending the admin token it is given (in the URL's fragment,
``#token=...``, which never reaches a server, or typed into the page). So the
page and its assets are served without the token, and every answer with data
stays guarded like the rest of the control API.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING

from rivya_contract.mock_server.exchange import ApiError, Call, Reply
from rivya_contract.schemas import contract

if TYPE_CHECKING:
    from rivya_contract.mock_server.control import Controller

ASSETS = {
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
}
"""The files the page loads, with their content types."""

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
}
"""Nothing but this origin: the page works offline and loads nothing from a CDN."""


@cache
def _read(name: str) -> bytes:
    return (files("rivya_contract.mock_server") / "static" / name).read_bytes()


@cache
def page_html(admin: bool) -> bytes:
    """Return the page, with the documented error codes and whether a token is needed."""
    codes = sorted(contract().error_status.items())
    settings = {"codes": [[code, status] for code, status in codes], "admin": admin}
    text = _read("index.html").decode()
    inline = json.dumps(settings).replace("<", "\\u003c")  # cannot close the script element
    return text.replace("{{settings}}", inline).encode()


def page(call: Call, control: Controller) -> Reply:
    """Return the dashboard page."""
    admin = control.backend.config.admin_token is not None
    return Reply(call.ok, page_html(admin), dict(PAGE_HEADERS), "text/html; charset=utf-8")


def asset(call: Call, control: Controller) -> Reply:
    """Return the dashboard's script or style sheet."""
    name = call.path_params["name"]
    if name not in ASSETS:
        raise ApiError("mock_not_found", f"no such dashboard asset: {name}")
    return Reply(call.ok, _read(name), dict(PAGE_HEADERS), ASSETS[name])
