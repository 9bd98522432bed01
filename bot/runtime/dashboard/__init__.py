"""The read-only web dashboard at /dashboard/: one tenant's rooms, records and statistics,
opened with a signed, expiring link (`dashboard` command, `chimera dashboard-link`)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.core.links import DashboardLinks
from bot.runtime.dashboard.access import Access
from bot.runtime.dashboard.context import Export, Personas, Views
from bot.runtime.dashboard.insight import InsightViews
from bot.runtime.dashboard.records import RecordViews
from bot.runtime.dashboard.render import Pages, secure
from bot.runtime.dashboard.rooms import RoomViews
from bot.runtime.web import RouteHandler, WebServer

STATIC = Path(__file__).parent / "static"
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript"}


def mount(web_server: WebServer, views: Views, links: DashboardLinks) -> None:
    """Serve the dashboard's pages on the web server."""
    files = {
        path.name: (path.read_bytes(), STATIC_TYPES[path.suffix])
        for path in STATIC.iterdir()
        if path.suffix in STATIC_TYPES
    }
    access = Access(links, views.pages)
    rooms, records, insight = RoomViews(views), RecordViews(views), InsightViews(views)
    guarded = access.guarded
    routes = {
        "/dashboard/login": access.login,
        "/dashboard/logout": access.logout,
        "/dashboard/static/{file}": _static(files),
        "/dashboard/": guarded(rooms.index),
        "/dashboard/rooms/{id:\\d+}": guarded(rooms.room),
        "/dashboard/rooms/{id:\\d+}/export.{fmt}": guarded(rooms.export),
        "/dashboard/decisions": guarded(records.decisions),
        "/dashboard/runs": guarded(records.runs),
        "/dashboard/runs/{id:\\d+}": guarded(records.run),
        "/dashboard/runs/{id:\\d+}/confidence.png": guarded(records.confidence),
        "/dashboard/stats": guarded(insight.stats),
        "/dashboard/charts/{name}.png": guarded(insight.chart),
    }
    for path, handler in routes.items():
        web_server.add_route("GET", path, handler)


def _static(files: dict[str, tuple[bytes, str]]) -> RouteHandler:
    async def static(request: web.Request) -> web.StreamResponse:
        """Serve the stylesheet and the script (public: they hold no tenant's data)."""
        found = files.get(request.match_info["file"])
        if found is None:
            raise web.HTTPNotFound()
        response = secure(web.Response(body=found[0], content_type=found[1]))
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    return static


__all__ = ["Export", "Pages", "Personas", "Views", "mount"]
