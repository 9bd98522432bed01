"""What every dashboard view uses: the repositories, the personas, exports, pages, the clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from bot.base.clock import Clock
from bot.base.rooms import Room
from bot.runtime.dashboard.render import Pages
from personas.cards import Persona
from storage.store import Store

Personas = Callable[[str], Awaitable[dict[str, Persona]]]  # tenant -> personas by id
Export = Callable[[Room, str], Awaitable[str]]  # (room, "md" | "json") -> text


@dataclass(frozen=True)
class Views:
    """The shared parts of the dashboard's views."""

    store: Store
    personas: Personas
    export: Export
    clock: Clock
    pages: Pages

    def missing(self, what: str) -> web.Response:
        """Return the 404 page (also for what exists but belongs to another tenant)."""
        return self.pages.page("missing.html", status=404, what=what)

    async def room_of(self, tenant: str, room_id: int) -> Room | None:
        """Return a room if it belongs to the tenant."""
        room = await self.store.rooms.get(room_id)
        return room if room is not None and room.tenant_id == tenant else None


def number(request: web.Request, name: str = "id") -> int:
    """Return a route's numeric part (the route pattern admits digits only)."""
    return int(request.match_info[name])
