"""Rendering dashboard pages: Jinja2 templates that escape everything, under a strict CSP.

Model output and people's messages are untrusted: autoescaping is on for every template,
nothing is marked safe except the search-hit markers, and the Content-Security-Policy allows
no inline script and only the page's own nonce for its one style block (persona colours).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from aiohttp import web
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from storage.search import MARK_END, MARK_START

_CSP = (
    "default-src 'none'; img-src 'self' https: data:; style-src 'self' 'nonce-{nonce}'; "
    "script-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PRIVATE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",  # a tenant's history: never kept by a shared cache
}


def marked(snippet: str) -> Markup:
    """Escape a search snippet, then turn its hit markers into <mark> tags."""
    safe = escape(snippet)
    return Markup(safe.replace(MARK_START, Markup("<mark>")).replace(MARK_END, Markup("</mark>")))


def when(moment: datetime | None) -> str:
    """Show a time as `2026-01-01 09:30 UTC`."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def money(cost: float | None) -> str:
    """Show a cost in dollars, or "unknown"."""
    if cost is None:
        return "unknown"
    return "$0" if cost == 0 else f"${cost:.4f}"


class Pages:
    """The template environment and the security headers every response carries."""

    def __init__(self) -> None:
        self.env = Environment(
            loader=PackageLoader("bot.runtime.dashboard", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters |= {"marked": marked, "when": when, "money": money}

    def page(self, template: str, *, status: int = 200, **context: Any) -> web.Response:
        """Render a template as an HTML response with a fresh CSP nonce."""
        nonce = secrets.token_urlsafe(16)
        html = self.env.get_template(template).render(nonce=nonce, **context)
        response = web.Response(text=html, status=status, content_type="text/html")
        secure(response, nonce)
        return response


def secure(response: web.StreamResponse, nonce: str = "none") -> web.StreamResponse:
    """Add the CSP and the private-data headers to a response."""
    response.headers["Content-Security-Policy"] = _CSP.format(nonce=nonce)
    response.headers.update(PRIVATE_HEADERS)
    return response
