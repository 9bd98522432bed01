"""`chimera serve`: one process running the configured platform adapters on one core."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sqlalchemy import text

from bot.runtime.app import Services, build_services, start_scheduling, warm_up
from bot.runtime.config import ConfigError, Settings
from bot.runtime.dashboard import Pages, Views, mount
from bot.runtime.metrics import metrics_route
from bot.runtime.web import WebServer

if TYPE_CHECKING:
    from bot.runtime.cluster.shards import ShardClaims

log = logging.getLogger(__name__)

NOTHING_TO_SERVE = (
    "Nothing to serve: set CHIMERA_DISCORD_TOKEN (Discord) and/or CHIMERA_SLACK_BOT_TOKEN with "
    "CHIMERA_SLACK_SIGNING_SECRET or CHIMERA_SLACK_APP_TOKEN (Slack). "
    "To try Chimera without a platform, run `chimera demo`."
)


HEALTH_TENANT = "health:check"  # no tenant has this id: reading it touches nothing


@runtime_checkable
class ReportsHealth(Protocol):
    """A part that can tell whether it still works (the scheduler)."""

    async def healthy(self) -> bool:
        """Tell whether it works."""
        ...


class Adapter(Protocol):
    """A running platform adapter."""

    name: str

    async def start(self) -> None:
        """Connect and start taking events."""
        ...

    async def close(self) -> None:
        """Disconnect."""
        ...

    async def healthy(self) -> bool:
        """Tell whether the platform connection is up."""
        ...


async def serve(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM; return the process exit code."""
    if not (settings.discord_token or settings.slack_bot_token):
        log.error(NOTHING_TO_SERVE)
        return 2
    if problems := settings.cluster_problems():
        log.error("cluster mode (CHIMERA_REDIS_URL) needs:\n  %s", "\n  ".join(problems))
        return 2
    async with build_services(settings, scheduling=False) as services:
        web = build_web(services)
        try:
            adapters = _build_adapters(services, web)
        except ConfigError as exc:
            log.error("%s", exc)
            return 2
        for adapter in adapters:
            web.add_check(adapter.name, adapter.healthy)
        await warm_up(services)  # before /healthz answers, so "up" means ready to post
        await web.start()
        if not settings.public_url:  # links point where the server really listens (port 0)
            services.links.base_url = web.url
        services.tasks.spawn("prune-events", prune_events(services))
        claims, started = shard_claims(services), []
        try:
            if claims is not None:
                await claims.claim()
            for adapter in adapters:
                started.append(adapter)  # closed at the end even if its start fails
                await adapter.start()
            await start_scheduling(services)  # now a due turn has somewhere to be posted
            keeper = None
            if claims is not None:
                keeper = services.tasks.spawn("shard-claims", claims.keep(), awaited=True)
            await _until_stopped(keeper)
        except ConfigError as exc:  # another process holds one of its shards
            log.error("%s", exc)
            return 2
        finally:
            await services.scheduler.shutdown()  # running turns finish while they can post
            for adapter in reversed(started):
                await adapter.close()
            if claims is not None:
                await claims.release()
            await web.close()
    return 0


def shard_claims(services: Services) -> ShardClaims | None:
    """Return this process's Discord shard claims in cluster mode (None otherwise)."""
    settings, cluster = services.settings, services.cluster
    ids, count = settings.discord_shard_ids, settings.discord_shard_count
    if cluster is None or not settings.discord_token or not ids or count is None:
        return None
    from bot.runtime.cluster.shards import ShardClaims

    return ShardClaims(cluster.redis, settings.redis_prefix, count, ids)


def build_web(services: Services) -> WebServer:
    """Return the web server with /healthz's checks, /metrics and the dashboard."""
    settings = services.settings
    web = WebServer(settings.http_host, settings.http_port)
    web.add_check("database", lambda: _database_ok(services))
    if isinstance(services.scheduler, ReportsHealth):
        web.add_check("scheduler", services.scheduler.healthy)
    if (cluster := services.cluster) is not None:
        web.add_check("redis", cluster.healthy)
    if (writer := services.writer) is not None and services.memory is not None:
        web.add_check("memory", lambda: _memory_ok(services))
        web.add_figure("memory_backlog", lambda: writer.backlog)
    metrics = metrics_route(services.metrics, services.store, writer, settings.metrics_token)
    web.add_route("GET", "/metrics", metrics)
    views = Views(
        services.store,
        services.orchestrator.host.personas,
        services.commands.export,
        services.clock,
        Pages(),
    )
    mount(web, views, services.links)
    return web


def _build_adapters(services: Services, web: WebServer) -> list[Adapter]:
    adapters: list[Any] = []
    if services.settings.discord_token:
        from adapters.discord import DiscordAdapter

        adapters.append(DiscordAdapter(services))
    if services.settings.slack_bot_token:
        from adapters.slack import SlackAdapter

        adapters.append(SlackAdapter(services, web=web))
    return adapters


EVENT_MEMORY = timedelta(days=1)  # Slack retries for minutes; a day is plenty of margin
PRUNE_EVERY_S = 3600.0


async def prune_events(services: Services) -> None:
    """Forget processed event ids older than a day, now and then every hour, until cancelled."""
    while True:
        try:
            await services.store.events.prune(services.clock.now() - EVENT_MEMORY)
        except Exception:  # a failed prune must not stop the next one
            log.exception("pruning processed event ids failed")
        await services.clock.sleep(PRUNE_EVERY_S)


async def _database_ok(services: Services) -> bool:
    async with services.store.db.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    return True


async def _memory_ok(services: Services) -> bool:
    assert services.memory is not None and services.writer is not None
    await services.memory.stats(HEALTH_TENANT)  # the store answers (a Chroma server is up)
    return services.writer.running


async def _until_stopped(watched: asyncio.Task[Any] | None = None) -> None:
    """Wait for SIGINT/SIGTERM, or for `watched` to fail (its error is raised here)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    stopped = loop.create_task(stop.wait())
    try:
        await asyncio.wait([t for t in (stopped, watched) if t], return_when="FIRST_COMPLETED")
    finally:
        stopped.cancel()
    if watched is not None and watched.done():
        watched.result()
