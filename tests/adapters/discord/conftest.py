"""Fixtures: a local Discord-compatible server with one guild, a channel and a thread."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import discord
import pytest
import yarl

from tests.fakes.discord_server import MANAGE_CHANNELS, FakeDiscord, Guild


@dataclass
class World:
    """The fake server and the things the tests talk about."""

    fake: FakeDiscord
    guild: Guild
    channel: dict[str, Any]
    thread: dict[str, Any]
    moderator: dict[str, Any]
    member: dict[str, Any]


@pytest.fixture(autouse=True)
def _restore_discord_endpoints() -> Iterator[None]:
    # The adapter points discord.py's class-level endpoints at the fake; undo that per test.
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE = base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


@pytest.fixture
async def world() -> AsyncIterator[World]:
    """Start the fake with a guild, #general, a thread, a moderator and a plain member."""
    fake = await FakeDiscord().start()
    guild = fake.add_guild("Chimera Club")
    channel = fake.add_channel(guild, "general")
    thread = fake.add_thread(guild, channel, "side-debate")
    moderator = fake.new_user("mod")
    fake.add_member(guild, moderator, permissions=0x400 | 0x800 | MANAGE_CHANNELS)
    member = fake.new_user("alice")
    fake.add_member(guild, member)
    try:
        yield World(fake, guild, channel, thread, moderator, member)
    finally:
        await fake.close()


def point_discord_at(fake: FakeDiscord) -> None:
    """Point discord.py's REST base and gateway at the fake."""
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
