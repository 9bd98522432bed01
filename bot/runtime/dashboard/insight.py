"""The stats view: the `stats` figures, leaderboards and charts (PNG, drawn on the server)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import web

from bot.base.text import sentence
from bot.commands.stats import cost_text, latency_text
from bot.commands.summaries import display_name
from bot.core.charts import cost_chart, ratings_chart, votes_chart
from bot.core.errors import UserError
from bot.core.ratings import standings
from bot.core.stats import DEFAULT_SINCE, Stats, collect, parse_since
from bot.runtime.dashboard.context import Views
from bot.runtime.dashboard.render import secure
from storage.stats import StatsScope

SPANS = ("24h", "7d", "30d", "all")
CHARTS = ("votes", "cost", "persona-elo", "model-elo")
BARS = 12


class InsightViews:
    """Statistics and leaderboards of the tenant, with their charts."""

    def __init__(self, views: Views) -> None:
        self.views = views

    async def stats(self, request: web.Request, tenant: str) -> web.StreamResponse:
        """Show the stats of a span (`since`), the Elo leaderboards and the charts."""
        stats, span, problem = await self._stats(request, tenant)
        store = self.views.store
        return self.views.pages.page(
            "stats.html",
            tenant=tenant,
            stats=stats,
            span=span,
            spans=SPANS,
            problem=problem,
            boards={
                kind: await standings(store.records, tenant, kind) for kind in ("persona", "model")
            },
            personas=await self.views.personas(tenant),
            name=display_name,
            cost=cost_text,
            latency=latency_text,
        )

    async def chart(self, request: web.Request, tenant: str) -> web.StreamResponse:
        """Draw one of the stats charts as a PNG."""
        name = request.match_info["name"]
        if name not in CHARTS:
            return self.views.missing("chart")
        stats, _, _ = await self._stats(request, tenant)
        draw = await self._drawing(name, stats, tenant)
        png = await asyncio.to_thread(draw)
        return secure(web.Response(body=png, content_type="image/png"))

    async def _stats(self, request: web.Request, tenant: str) -> tuple[Stats, str, str]:
        """Return the stats of the span asked for (the default one if unreadable, and why)."""
        span, problem, now = request.query.get("since", DEFAULT_SINCE), "", self.views.clock.now()
        try:
            since, label = parse_since(span, now)
        except UserError as exc:
            span, problem = DEFAULT_SINCE, sentence(str(exc))
            since, label = parse_since(span, now)
        return await collect(self.views.store, StatsScope(tenant, since), label), span, problem

    async def _drawing(self, name: str, stats: Stats, tenant: str) -> Callable[[], bytes]:
        personas = await self.views.personas(tenant)
        if name == "votes":
            rows = [f for f in stats.personas if f.up or f.down][:BARS]
            names = [display_name("persona", f.name, personas, emoji=False) for f in rows]
            return lambda: votes_chart(names, [f.up for f in rows], [f.down for f in rows])
        if name == "cost":
            return lambda: cost_chart(stats.cost_by_day)
        kind = name.removesuffix("-elo")
        table = (await standings(self.views.store.records, tenant, kind))[:BARS]
        labels = [display_name(kind, row.name, personas, emoji=False) for row in table]
        ratings = [row.rating for row in table]
        return lambda: ratings_chart(labels, ratings, title=f"{kind.title()} Elo")
