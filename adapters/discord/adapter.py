"""The Discord adapter as the composition root sees it: build, start, close."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

import discord

from adapters.discord.client import ChimeraClient, ShardedChimeraClient
from adapters.discord.commands import Handlers, SlashCommands
from adapters.discord.endpoints import point_at
from adapters.discord.events import Audience, Events
from adapters.discord.posting import DiscordPlatform
from adapters.discord.webhooks import WebhookRepository, Webhooks
from bot.core.platform import Platform
from bot.core.telemetry import Telemetry
from bot.runtime.config import Settings
from bot.runtime.metrics import http_errors

log = logging.getLogger(__name__)


class _Store(Protocol):
    @property
    def webhooks(self) -> WebhookRepository: ...


class _Orchestrator(Audience, Protocol):
    def attach(self, platform: Platform) -> None: ...


class DiscordServices(Protocol):
    """The parts of the core's Services the Discord adapter uses."""

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> _Store: ...

    @property
    def orchestrator(self) -> _Orchestrator: ...

    @property
    def commands(self) -> Handlers: ...

    @property
    def metrics(self) -> Telemetry: ...


class DiscordAdapter:
    """Runs Chimera on Discord: personas through webhooks, `/chimera` commands, reaction votes."""

    name = "discord"

    def __init__(self, services: DiscordServices, *, ready_timeout: float = 2.0) -> None:
        settings = services.settings
        if not settings.discord_token:
            raise ValueError("CHIMERA_DISCORD_TOKEN is not set")
        point_at(settings.discord_api_base, settings.discord_gateway_url)
        self._token = settings.discord_token
        telemetry = services.metrics
        options: dict[str, Any] = {
            "ready_timeout": ready_timeout,
            "http_trace": http_errors(telemetry, self.name),
        }
        self.client = (
            ShardedChimeraClient(
                shard_count=settings.discord_shard_count,
                shard_ids=settings.discord_shard_ids,
                **options,
            )
            if settings.discord_shard_count
            else ChimeraClient(**options)
        )
        self.webhooks = Webhooks(self.client, services.store.webhooks, telemetry)
        self.platform = DiscordPlatform(self.client, self.webhooks)
        commands = SlashCommands(services.commands, self.webhooks)
        self.client.wire(commands, Events(self.client, services.orchestrator))
        services.orchestrator.attach(self.platform)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Log in and sync commands (errors surface here), then stay connected in the background."""
        await self.client.login(self._token)
        self._task = asyncio.get_running_loop().create_task(
            self.client.connect(reconnect=True), name="discord:gateway"
        )
        self._task.add_done_callback(_log_exit)

    async def healthy(self) -> bool:
        """Tell whether the gateway session is up (logged in, ready, not closed)."""
        return self.client.is_ready() and not self.client.is_closed()

    async def wait_ready(self) -> None:
        """Wait until the gateway session is ready (guilds known)."""
        await self.client.wait_until_ready()

    async def close(self) -> None:
        """Disconnect and wait for the gateway task to end."""
        await self.client.close()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
            except Exception:  # already logged by _log_exit
                pass
            self._task = None


def _log_exit(task: asyncio.Task[None]) -> None:
    error = None if task.cancelled() else task.exception()
    if isinstance(error, discord.PrivilegedIntentsRequired):
        log.error(
            "Discord refused the Message Content intent: turn on 'Message Content Intent' "
            "under Bot → Privileged Gateway Intents in the Developer Portal, then restart"
        )
    elif error is not None:
        log.error("discord gateway stopped", exc_info=error)
