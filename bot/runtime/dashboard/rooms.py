"""The rooms views: the searchable list, one room's transcript, and its exports."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aiohttp import web

from bot.base.rooms import Mode
from bot.core.results import VOTE_DOWN, VOTE_UP
from bot.runtime.dashboard.context import Views, number
from bot.runtime.dashboard.forms import page_number, room_search
from bot.runtime.dashboard.looks import Look, looks_for
from bot.runtime.dashboard.render import secure
from storage.browse import CallUsage

PAGE_SIZE = 20
EXPORTS = {"md": "text/markdown", "json": "application/json"}


@dataclass(frozen=True)
class Spend:
    """A room's model calls in all."""

    calls: int
    tokens: int
    cost_usd: float | None
    unpriced: int

    @classmethod
    def of(cls, calls: Sequence[CallUsage]) -> Spend:
        """Add up the usage of some calls."""
        known = [c.cost_usd for c in calls if c.cost_usd is not None]
        return cls(
            len(calls),
            sum(c.prompt_tokens + c.completion_tokens for c in calls),
            sum(known) if known else None,
            len(calls) - len(known),
        )


class RoomViews:
    """Lists a tenant's rooms and shows one."""

    def __init__(self, views: Views) -> None:
        self.views = views

    async def index(self, request: web.Request, tenant: str) -> web.StreamResponse:
        """List the tenant's rooms, newest first, searched and filtered by the form."""
        search = room_search(tenant, request.query)
        page = await self.views.store.browse.rooms(
            search.wanted, page_number(request.query), PAGE_SIZE
        )
        return self.views.pages.page(
            "rooms.html",
            tenant=tenant,
            search=search,
            page=page,
            modes=[m.value for m in Mode],
            personas=sorted((await self.views.personas(tenant)).values(), key=lambda p: p.name),
            models=await self.views.store.browse.models(tenant),
        )

    async def room(self, request: web.Request, tenant: str) -> web.StreamResponse:
        """Show a room: its transcript with looks, votes and usage, its outcome, its exports."""
        room = await self.views.room_of(tenant, number(request))
        if room is None:
            return self.views.missing("room")
        store = self.views.store
        turns = await store.rooms.transcript(room.id)
        calls = await store.browse.usage(room.id)
        by_seq: dict[int, list[CallUsage]] = defaultdict(list)
        for call in calls:
            if call.seq is not None:
                by_seq[call.seq].append(call)
        looks = looks_for(turns, await self.views.personas(tenant))
        return self.views.pages.page(
            "room.html",
            tenant=tenant,
            room=room,
            turns=turns,
            looks=looks,
            styles=styles(looks.values()),
            votes=await store.browse.tallies(room.id),  # by poll subject: speaker#seq
            usage=by_seq,
            other_calls=[c for c in calls if c.seq is None],
            spend=Spend.of(calls),
            decision=await store.records.decision(room.id),
            runs=await store.browse.runs_of_room(room.id),
            up=VOTE_UP,
            down=VOTE_DOWN,
        )

    async def export(self, request: web.Request, tenant: str) -> web.StreamResponse:
        """Download a room's transcript as Markdown or JSON."""
        fmt = request.match_info["fmt"]
        room = await self.views.room_of(tenant, number(request))
        if room is None or fmt not in EXPORTS:
            return self.views.missing("export")
        text = await self.views.export(room, fmt)
        response = web.Response(text=text, content_type=EXPORTS[fmt], charset="utf-8")
        disposition = f'attachment; filename="chimera-room-{room.id}.{fmt}"'
        response.headers["Content-Disposition"] = disposition
        return secure(response)


def styles(looks: Iterable[Look]) -> list[tuple[str, str]]:
    """Return (css class, colour) for a page's style block, each class once."""
    return sorted({(look.css, look.colour) for look in looks})
