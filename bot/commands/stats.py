"""The `stats` and `dashboard` commands: what a server or workspace did, and a private link
to browse it on the web dashboard."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from bot.base.rooms import RoomKey
from bot.base.text import plural
from bot.commands.replies import Caller, Handler, Reply
from bot.commands.summaries import display_name
from bot.core.charts import cost_chart, votes_chart
from bot.core.host import RoomHost
from bot.core.links import DashboardLinks
from bot.core.platform import Attachment
from bot.core.stats import Figures, Stats, Totals, collect, parse_since
from personas.cards import Persona
from storage.stats import StatsScope

ROWS = 20
TOP = 3
CHART_BARS = 12


class StatsCommands:
    """Statistics of the tenant (or this channel), and dashboard links."""

    def __init__(self, host: RoomHost, links: DashboardLinks) -> None:
        self.host = host
        self.links = links

    def handlers(self) -> dict[str, Handler]:
        """Return the handlers by command name."""
        return {"stats": self._stats, "dashboard": self._dashboard}

    async def _stats(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        kind = args.get("kind")
        since, label = parse_since(args.get("since"), self.host.clock.now())
        room_key = str(key) if kind == "room" else None
        stats = await collect(self.host.store, StatsScope(key.tenant_id, since, room_key), label)
        personas = await self.host.personas(key.tenant_id)
        files = await _charts(stats, personas) if args.get("chart") == "yes" else ()
        return replace(stats_reply(stats, kind, personas), attachments=files)

    async def _dashboard(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        link = self.links.link(key.tenant_id)
        until = self.links.expires_at().strftime("%Y-%m-%d %H:%M UTC")
        where = {"discord": "server", "slack": "workspace"}.get(key.platform, "account")
        text = (
            f"Your dashboard for this {where}, read-only, until {until}: {link}\n"
            "Anyone holding this link can read the history until then; keep it to yourself."
        )
        return Reply(text, ephemeral=True)


def stats_reply(stats: Stats, kind: str | None, personas: Mapping[str, Persona]) -> Reply:
    """Show statistics: totals (no kind), per persona, per model, or this channel's."""
    if kind == "persona":
        return _table("Persona stats", stats, stats.personas, "persona", personas)
    if kind == "model":
        return _table("Model stats", stats, stats.models, "model", personas)
    title = "This channel's stats" if kind == "room" else "Stats"
    fields = list(_total_fields(stats.totals))
    if kind == "room":
        fields += _rows(stats.personas, "persona", personas, TOP * 3)
    else:
        fields.append(("Top personas", _top(stats.personas, "persona", personas)))
        fields.append(("Top models", _top(stats.models, "model", personas)))
    return Reply(_headline(stats), title=f"{title} — {stats.label}", fields=tuple(fields))


def _table(
    title: str,
    stats: Stats,
    rows: Sequence[Figures],
    kind: str,
    personas: Mapping[str, Persona],
) -> Reply:
    if not rows:
        return Reply(f"No {kind} has done anything in {stats.label}.", title=title)
    text = f"{plural(len(rows), kind)} in {stats.label}." + (
        f" Showing the first {ROWS}." if len(rows) > ROWS else ""
    )
    fields = tuple(_rows(rows, kind, personas, ROWS))
    return Reply(text, title=f"{title} — {stats.label}", fields=fields)


def _rows(
    rows: Sequence[Figures], kind: str, personas: Mapping[str, Persona], limit: int
) -> list[tuple[str, str]]:
    return [(display_name(kind, f.name, personas), figures_line(f, kind)) for f in rows[:limit]]


def _headline(stats: Stats) -> str:
    t = stats.totals
    return (
        f"{plural(sum(t.rooms.values()), 'room')}, {plural(t.turns, 'persona turn')}, "
        f"{plural(t.calls, 'model call')}, {t.tokens:,} tokens, "
        f"cost {cost_text(t.cost_usd, t.unpriced_calls)}."
    )


def _total_fields(totals: Totals) -> list[tuple[str, str]]:
    modes = " · ".join(f"{mode} {n}" for mode, n in totals.rooms.most_common()) or "none"
    busiest = " · ".join(f"{channel_name(key)} {plural(n, 'message')}" for key, n in totals.busiest)
    return [("Rooms by mode", modes), ("Most active channels", busiest or "none")]


def _top(rows: Sequence[Figures], kind: str, personas: Mapping[str, Persona]) -> str:
    if not rows:
        return "none yet"
    return "\n".join(
        f"{display_name(kind, f.name, personas)}: {_short(f, kind)}" for f in rows[:TOP]
    )


def _short(f: Figures, kind: str) -> str:
    count = plural(f.turns, "turn") if kind == "persona" else plural(f.calls, "call")
    return f"{count}, 👍 {f.up} 👎 {f.down}, {cost_text(f.cost_usd, f.unpriced_calls)}"


def figures_line(f: Figures, kind: str) -> str:
    """Return one persona's or model's statistics on one line."""
    count = plural(f.turns, "turn")
    if kind == "model":
        count = f"{plural(f.calls, 'call')} ({count})"
    parts = [count, f"{f.tokens:,} tokens", cost_text(f.cost_usd, f.unpriced_calls)]
    if f.p50_ms is not None and f.p95_ms is not None:
        parts.append(f"p50 {latency_text(f.p50_ms)}, p95 {latency_text(f.p95_ms)}")
    parts.append(f"👍 {f.up} 👎 {f.down} ({f.share:.0%} of 👍)")
    if f.elo is not None:
        draws = f" {f.draws}D" if f.draws else ""
        parts.append(f"compare {f.wins}W {f.losses}L{draws}, Elo {f.elo:.0f}")
    if f.debates:
        parts.append(f"debate sides won {f.sides_won} of {f.debates}")
    return " · ".join(parts)


def cost_text(cost_usd: float | None, unpriced: int) -> str:
    """Say what calls cost: dollars, "unknown", or dollars plus the calls with no price."""
    if cost_usd is None:
        return "cost unknown" if unpriced else "$0"
    dollars = "$0" if cost_usd == 0 else f"${cost_usd:.4f}"
    return f"{dollars} + unknown for {plural(unpriced, 'call')}" if unpriced else dollars


def latency_text(ms: float) -> str:
    """Say a latency in ms below a second, else in seconds."""
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def channel_name(room_key: str) -> str:
    """Return how a room key's channel is shown (a channel link on Discord and Slack)."""
    platform, _tenant, channel, *thread = room_key.split(":")
    if platform not in ("discord", "slack"):
        return channel
    return f"<#{channel}>" + (" (thread)" if thread else "")


async def _charts(stats: Stats, personas: Mapping[str, Persona]) -> tuple[Attachment, ...]:
    voted = [f for f in stats.personas if f.up or f.down][:CHART_BARS]
    files: list[Attachment] = []
    if voted:
        names = [display_name("persona", f.name, personas, emoji=False) for f in voted]
        up, down = [f.up for f in voted], [f.down for f in voted]
        png = await asyncio.to_thread(votes_chart, names, up, down)
        files.append(Attachment("stats-votes.png", png, "image/png"))
    if stats.cost_by_day:
        png = await asyncio.to_thread(cost_chart, stats.cost_by_day)
        files.append(Attachment("stats-cost.png", png, "image/png"))
    return tuple(files)
