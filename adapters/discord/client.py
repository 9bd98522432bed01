"""The discord.py client: intents, no pinging by default, commands synced on start; sharded
when several processes share the bot."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from adapters.discord.commands import SlashCommands
from adapters.discord.events import Events
from adapters.discord.render import no_mentions

log = logging.getLogger(__name__)


def intents() -> discord.Intents:
    """Return the gateway intents Chimera needs (message content is privileged)."""
    return discord.Intents(
        guilds=True, guild_messages=True, message_content=True, guild_reactions=True
    )


class ChimeraClient(discord.Client):
    """A client that syncs Chimera's slash commands and forwards events to the core."""

    def __init__(self, *, ready_timeout: float = 2.0, **options: Any) -> None:
        super().__init__(
            intents=intents(),
            allowed_mentions=no_mentions(),
            guild_ready_timeout=ready_timeout,
            **options,
        )
        self.tree: app_commands.CommandTree[ChimeraClient] = app_commands.CommandTree(self)
        self.events: Events | None = None

    def wire(self, commands: SlashCommands, events: Events) -> None:
        """Attach the slash commands and the message/reaction translators."""
        commands.install(self.tree)
        self.events = events

    async def setup_hook(self) -> None:
        """Register the slash commands with Discord before connecting to the gateway."""
        synced = await self.tree.sync()
        log.info("synced %d slash commands", len(synced))

    async def on_message(self, message: discord.Message) -> None:
        """Forward a message to the core (people only)."""
        if self.events is not None:
            await self.events.on_message(message)

    async def on_raw_reaction_add(self, event: discord.RawReactionActionEvent) -> None:
        """Forward a reaction vote."""
        if self.events is not None:
            await self.events.on_raw_reaction_add(event)

    async def on_raw_reaction_remove(self, event: discord.RawReactionActionEvent) -> None:
        """Forward a withdrawn reaction vote."""
        if self.events is not None:
            await self.events.on_raw_reaction_remove(event)


class ShardedChimeraClient(ChimeraClient, discord.AutoShardedClient):
    """The same client on some of the bot's shards (`shard_ids` of `shard_count`): each guild's
    events reach the process that runs its shard, and any process posts over REST."""
