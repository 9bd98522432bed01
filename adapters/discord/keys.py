"""Where a Discord channel or thread lives as a core room key."""

from __future__ import annotations

from typing import Any

import discord

from bot.base.rooms import RoomKey

PLATFORM = "discord"


def room_key(guild_id: int, channel: Any) -> RoomKey:
    """Return the room key of a channel, or of a thread under its parent channel."""
    if isinstance(channel, discord.Thread) and channel.parent_id is not None:
        return RoomKey(PLATFORM, str(guild_id), str(channel.parent_id), str(channel.id))
    return RoomKey(PLATFORM, str(guild_id), str(channel.id))
