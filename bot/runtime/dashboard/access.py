"""Who may see what: a signed link's token becomes a cookie scoped to the dashboard, and
every page reads its tenant from that cookie (checked, expiry included, on each request)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.core.links import DashboardLinks, LinkRefused
from bot.runtime.dashboard.render import Pages, secure
from bot.runtime.web import RouteHandler

View = Callable[[web.Request, str], Awaitable[web.StreamResponse]]  # (request, tenant)

COOKIE = "chimera_dashboard"
ROOT = "/dashboard/"
HOW_TO = (
    "Ask for a new link: run /chimera dashboard in Discord (needs Manage Channels) or in "
    "Slack (workspace admins and the configured admins), or chimera dashboard-link "
    "--tenant <platform:id> on the server."
)


class Access:
    """Turns dashboard links into sessions and requests into the tenant they may see."""

    def __init__(self, links: DashboardLinks, pages: Pages) -> None:
        self.links = links
        self.pages = pages
        self._secure = links.base_url.startswith("https://")

    async def login(self, request: web.Request) -> web.StreamResponse:
        """Check a link's token, keep it in a cookie and open the dashboard (401 if refused)."""
        token = request.query.get("token", "")
        try:
            self.links.tenant_of(token)
        except LinkRefused as exc:
            return self.refused(f"{str(exc).capitalize()}.")
        response = secure(web.Response(status=303, headers={"Location": ROOT}))
        # Lax, not Strict: the link is opened from Discord or Slack, another site.
        response.set_cookie(
            COOKIE,
            token,
            path=ROOT,
            httponly=True,
            samesite="Lax",
            secure=self._secure,
            max_age=int(self.links.ttl.total_seconds()),
        )
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        """Forget the session."""
        response = self.pages.page("refused.html", reason="You have signed out.", how=HOW_TO)
        response.del_cookie(COOKIE, path=ROOT)
        return response

    def guarded(self, view: View) -> RouteHandler:
        """Return a handler that runs `view` for the session's tenant, or answers 401."""

        async def handler(request: web.Request) -> web.StreamResponse:
            token = request.cookies.get(COOKIE)
            if not token:
                return self.refused("This dashboard is private: open it with a dashboard link.")
            try:
                tenant = self.links.tenant_of(token)
            except LinkRefused as exc:
                return self.refused(f"{str(exc).capitalize()}.")
            return await view(request, tenant)

        return handler

    def refused(self, reason: str) -> web.Response:
        """Return the 401 page that says why and how to get a new link."""
        response = self.pages.page("refused.html", status=401, reason=reason, how=HOW_TO)
        response.del_cookie(COOKIE, path=ROOT)
        return response
