"""Gateway events the core cares about: people talking in a room, and reaction votes."""

from __future__ import annotations

import logging
from typing import Protocol

import discord

from adapters.discord.keys import PLATFORM, room_key
from bot.base.rooms import RoomKey

log = logging.getLogger(__name__)


class Audience(Protocol):
    """What the orchestrator offers for people in a channel."""

    async def on_human_message(
        self, key: RoomKey, user_id: str, user_name: str, text: str
    ) -> object: ...

    async def on_reaction(
        self, platform: str, message_id: str, user_id: str, emoji: str, added: bool
    ) -> object: ...


class Events:
    """Translates Discord messages and raw reactions into core calls."""

    def __init__(self, client: discord.Client, audience: Audience) -> None:
        self.client = client
        self.audience = audience

    async def on_message(self, message: discord.Message) -> None:
        """Pass a person's message in a guild channel to the room there."""
        if message.guild is None or not is_person(message):
            return
        key = room_key(message.guild.id, message.channel)
        author = message.author
        await self.audience.on_human_message(
            key, str(author.id), author.display_name, message.clean_content
        )

    async def on_raw_reaction_add(self, event: discord.RawReactionActionEvent) -> None:
        """Count a person's reaction as a vote."""
        if event.member is not None and event.member.bot:
            return
        await self._reaction(event, added=True)

    async def on_raw_reaction_remove(self, event: discord.RawReactionActionEvent) -> None:
        """Withdraw a person's reaction vote."""
        await self._reaction(event, added=False)

    async def _reaction(self, event: discord.RawReactionActionEvent, *, added: bool) -> None:
        me = self.client.user
        if event.guild_id is None or (me is not None and event.user_id == me.id):
            return  # our own seeded reactions are not votes
        await self.audience.on_reaction(
            PLATFORM, str(event.message_id), str(event.user_id), str(event.emoji), added
        )


def is_person(message: discord.Message) -> bool:
    """Tell whether a message was written by a person (not a bot, not any webhook)."""
    return message.webhook_id is None and not message.author.bot and not message.is_system()
