"""`chimera serve`: one process running the configured platform adapters on one core."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import text

from bot.llm.gateway import LiteLLMGateway
from bot.runtime.app import Services, build_services, start_scheduling
from bot.runtime.config import ConfigError, Settings
from bot.runtime.web import WebServer

log = logging.getLogger(__name__)

NOTHING_TO_SERVE = (
    "Nothing to serve: set CHIMERA_DISCORD_TOKEN (Discord) and/or CHIMERA_SLACK_BOT_TOKEN with "
    "CHIMERA_SLACK_SIGNING_SECRET or CHIMERA_SLACK_APP_TOKEN (Slack). "
    "To try Chimera without a platform, run `chimera demo`."
)


class Adapter(Protocol):
    """A running platform adapter."""

    async def start(self) -> None:
        """Connect and start taking events."""
        ...

    async def close(self) -> None:
        """Disconnect."""
        ...


async def serve(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM; return the process exit code."""
    if not (settings.discord_token or settings.slack_bot_token):
        log.error(NOTHING_TO_SERVE)
        return 2
    async with build_services(settings, scheduling=False) as services:
        web = WebServer(settings.http_host, settings.http_port)
        web.add_check("database", lambda: _database_ok(services))
        if (writer := services.writer) is not None:
            web.add_figure("memory_backlog", lambda: writer.backlog)
        try:
            adapters = _build_adapters(services, web)
        except ConfigError as exc:
            log.error("%s", exc)
            return 2
        if isinstance(services.llm, LiteLLMGateway):
            await services.llm.warm()
        await web.start()
        services.tasks.spawn("prune-events", prune_events(services))
        try:
            for adapter in adapters:
                await adapter.start()
            await start_scheduling(services)  # now a due turn has somewhere to be posted
            await _until_stopped()
        finally:
            await services.scheduler.shutdown()  # running turns finish while they can post
            for adapter in reversed(adapters):
                await adapter.close()
            await web.close()
    return 0


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


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
