"""One bot-owned webhook per parent channel: found or created once, persisted, and reused."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import discord

from adapters.discord.render import no_mentions, to_files
from bot.base.locks import KeyedLocks
from bot.core.platform import Attachment
from bot.core.telemetry import NoTelemetry, Telemetry

log = logging.getLogger(__name__)

PLATFORM = "discord"
WEBHOOK_NAME = "Chimera"
UNKNOWN_WEBHOOK = 10015
MAX_WEBHOOKS = 30007
MAX_GUILD_WEBHOOKS = 30058
MISSING_PERMISSIONS = 50013


# Channels that can own webhooks; threads post through their parent's webhook.
HookChannel = discord.TextChannel | discord.ForumChannel | discord.VoiceChannel


class WebhookRepository(Protocol):
    """Where webhook ids and tokens are kept across restarts (the core's webhook store)."""

    async def get(self, platform: str, channel_id: str) -> tuple[str, str] | None: ...

    async def save(self, platform: str, channel_id: str, webhook_id: str, token: str) -> None:
        """Store or replace a channel's webhook in one statement."""
        ...


class WebhookUnavailable(Exception):
    """The bot cannot get a webhook in a channel; the message says what to fix."""


@dataclass(frozen=True)
class Outgoing:
    """One webhook message: what to say, as whom, and where."""

    content: str
    username: str
    avatar_url: str | None = None
    thread_id: int | None = None
    attachments: Sequence[Attachment] = ()


class Webhooks:
    """Gets the bot's webhook for a channel and sends through it, recovering from deletion."""

    def __init__(
        self,
        client: discord.Client,
        repository: WebhookRepository,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.client = client
        self.repository = repository
        self.telemetry = telemetry or NoTelemetry()
        self._hooks: dict[int, discord.Webhook] = {}
        self._locks: KeyedLocks[int] = KeyedLocks()

    async def get(self, channel_id: int, *, dead: discord.Webhook | None = None) -> discord.Webhook:
        """Return the channel's webhook: cached, stored, found on Discord, or newly created.

        A `dead` webhook (Discord answered Unknown Webhook) is not reused: its replacement
        overwrites the stored row in one upsert, so no moment exists with neither stored.
        """
        async with self._locks.hold(channel_id):
            hook = self._hooks.get(channel_id) or await self._stored(channel_id)
            if hook is not None and dead is not None and hook.id == dead.id:
                hook = None
            if hook is None:
                hook = await self._find_or_create(channel_id)
                await self.repository.save(
                    PLATFORM, str(channel_id), str(hook.id), hook.token or ""
                )
            self._hooks[channel_id] = hook
            return hook

    async def send(self, channel_id: int, message: Outgoing) -> discord.WebhookMessage:
        """Send through the channel's webhook; on Unknown Webhook recreate it and retry once."""
        hook = await self.get(channel_id)
        try:
            return await self._send(hook, message)
        except discord.NotFound as exc:
            if exc.code != UNKNOWN_WEBHOOK:
                raise
            log.info("webhook for channel %s is gone; recreating it", channel_id)
            self.telemetry.platform_error(PLATFORM, "dead_webhook")
            return await self._send(await self.get(channel_id, dead=hook), message)

    async def _send(self, hook: discord.Webhook, message: Outgoing) -> discord.WebhookMessage:
        thread = discord.Object(message.thread_id) if message.thread_id else discord.utils.MISSING
        return await hook.send(
            message.content,
            username=message.username,
            avatar_url=message.avatar_url or discord.utils.MISSING,
            thread=thread,
            files=to_files(message.attachments),
            allowed_mentions=no_mentions(),
            wait=True,
        )

    async def _stored(self, channel_id: int) -> discord.Webhook | None:
        stored = await self.repository.get(PLATFORM, str(channel_id))
        if stored is None:
            return None
        webhook_id, token = stored
        return discord.Webhook.partial(int(webhook_id), token, client=self.client)

    async def _find_or_create(self, channel_id: int) -> discord.Webhook:
        channel = await self._channel(channel_id)
        try:
            owned = [hook for hook in await channel.webhooks() if self._is_ours(hook)]
            if owned:
                return owned[0]
            return await channel.create_webhook(name=WEBHOOK_NAME, reason="Chimera persona posts")
        except discord.HTTPException as exc:
            self.telemetry.platform_error(PLATFORM, "webhook_refused")
            raise WebhookUnavailable(explain(exc, channel.mention)) from exc

    async def _channel(self, channel_id: int) -> HookChannel:
        channel = self.client.get_channel(channel_id)
        if channel is None:
            channel = await self.client.fetch_channel(channel_id)
        if not isinstance(channel, HookChannel):
            raise WebhookUnavailable(f"<#{channel_id}> is not a channel I can post in.")
        return channel

    def _is_ours(self, hook: discord.Webhook) -> bool:
        # A webhook the bot created names the bot as its user; only those carry a token.
        me = self.client.user
        mine = hook.user is not None and me is not None and hook.user.id == me.id
        return mine and hook.type is discord.WebhookType.incoming and bool(hook.token)


_REASONS = {
    MISSING_PERMISSIONS: (
        "I need the **Manage Webhooks** permission in {where} to post as the personas. "
        "Grant it to my role (Server Settings → Roles, or the channel's permissions) "
        "and try again."
    ),
    MAX_WEBHOOKS: (
        "{where} already has 15 webhooks, Discord's limit. Delete one in the channel's "
        "settings (Integrations → Webhooks) and try again."
    ),
    MAX_GUILD_WEBHOOKS: (
        "This server has reached Discord's limit of 1000 webhooks. Delete unused ones "
        "(Server Settings → Integrations) and try again."
    ),
}


def explain(exc: discord.HTTPException, where: str) -> str:
    """Say, for people, why a webhook could not be had and what to do about it."""
    code = MISSING_PERMISSIONS if isinstance(exc, discord.Forbidden) else exc.code
    reason = _REASONS.get(code)
    if reason is None:
        return f"Discord refused to give me a webhook in {where} ({exc.status}: {exc.text})."
    return reason.format(where=where)
