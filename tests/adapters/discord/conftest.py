"""Fixtures: a local Discord-compatible server with one guild, a channel and a thread."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord
import pytest
import yarl

from adapters.discord import DiscordAdapter
from bot.base.rooms import RoomKey
from bot.runtime.app import Services, build_services, start_scheduling
from bot.runtime.config import Settings
from tests.doubles import FakeClock, ManualScheduler
from tests.fakes.discord_server import MANAGE_CHANNELS, FakeDiscord, Guild
from tests.support import LinesThenOfflineLLM as ScriptedLLM

if TYPE_CHECKING:
    from bot.memory.interface import Memory


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


@dataclass
class Bot:
    """Chimera's core with the Discord adapter connected to the fake."""

    services: Services
    adapter: DiscordAdapter
    scheduler: ManualScheduler
    clock: FakeClock
    llm: ScriptedLLM

    async def step(self, count: int = 1) -> None:
        """Run `count` due steps (turns, vote closing) on the fake clock."""
        for _ in range(count):
            self.clock.advance(1)
            await self.scheduler.run_due(self.clock.now())

    async def settled(self, key: RoomKey) -> bool:
        """Tell whether the room's next step is scheduled for its current sequence number."""
        room = await self.services.store.rooms.current(key)
        pending = await self.scheduler.pending(room.id) if room else None
        return room is not None and pending is not None and pending.seq == room.next_seq


@contextlib.asynccontextmanager
async def chimera(world: World, data_dir: Path, memory: Memory | None = None) -> AsyncIterator[Bot]:
    """Build the core on `data_dir`, connect the Discord adapter to the fake, and clean up."""
    settings = Settings(
        data_dir=data_dir,
        discord_token=world.fake.token,
        discord_api_base=world.fake.base_url,
        discord_gateway_url=world.fake.gateway_url,
        default_pace_s=0,
        default_jitter_s=0,
        vote_window_s=5,
    )
    scheduler, clock, llm = ManualScheduler(), FakeClock(), ScriptedLLM()
    async with build_services(
        settings, clock=clock, llm=llm, scheduler=scheduler, memory=memory, scheduling=False
    ) as services:
        adapter = DiscordAdapter(services, ready_timeout=0.05)
        await adapter.start()
        try:
            await asyncio.wait_for(adapter.wait_ready(), 5)
            await start_scheduling(services)  # as `chimera serve` does: recovery can post
            yield Bot(services, adapter, scheduler, clock, llm)
        finally:
            await adapter.close()


@pytest.fixture
async def bot(world: World, tmp_path: Path) -> AsyncIterator[Bot]:
    """Chimera running against the fake with a fresh database."""
    async with chimera(world, tmp_path) as running:
        yield running


async def start_room(
    world: World, channel: dict[str, Any] | None = None, **options: Any
) -> list[Any]:
    """Run `/chimera start` as the moderator and wait for the deferral and follow-up."""
    options.setdefault("topic", "Is a hot dog a sandwich?")
    options.setdefault("personas", "philosopher,comedian,scientist")
    options.setdefault("turns", 3)
    interaction = await world.fake.slash(
        "chimera start",
        guild=world.guild,
        channel=channel or world.channel,
        user=world.moderator,
        **options,
    )
    return await world.fake.wait_reply(interaction, 2)
