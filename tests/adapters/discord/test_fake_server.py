"""The fake Discord server drives a plain discord.py client: login, webhooks, gateway events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import discord
import pytest

from tests.adapters.discord.conftest import World, point_discord_at


@contextlib.asynccontextmanager
async def running_client(world: World) -> AsyncIterator[tuple[discord.Client, list[object]]]:
    point_discord_at(world.fake)
    intents = discord.Intents(guilds=True, guild_messages=True, guild_reactions=True)
    client = discord.Client(intents=intents, guild_ready_timeout=0.05)
    seen: list[object] = []
    ready = asyncio.Event()
    client.event(_named("on_ready", ready.set))
    client.event(_named("on_message", seen.append))
    client.event(_named("on_raw_reaction_add", seen.append))
    task = asyncio.create_task(client.start(world.fake.token), name="fake-client")
    try:
        await asyncio.wait_for(ready.wait(), 5)
        yield client, seen
    finally:
        await client.close()
        await task


def _named(name: str, action: object) -> object:
    async def handler(*args: object) -> None:
        action(*args)  # type: ignore[operator]

    handler.__name__ = name
    return handler


async def test_client_logs_in_and_sees_the_guild(world: World) -> None:
    async with running_client(world) as (client, _):
        guild = client.get_guild(int(world.guild.id))
        assert guild is not None
        assert [c.name for c in guild.text_channels] == ["general"]
        assert [t.name for t in guild.threads] == ["side-debate"]
    assert [r.route for r in world.fake.requests[:2]] == ["get_me", "get_application"]
    assert world.fake.identifies[0]["token"] == world.fake.token


async def test_webhook_execute_into_thread_with_a_retried_429(world: World) -> None:
    async with running_client(world) as (client, seen):
        channel = client.get_channel(int(world.channel["id"]))
        assert isinstance(channel, discord.TextChannel)
        hook = await channel.create_webhook(name="Chimera")
        world.fake.fail_rate_limited("execute_webhook", retry_after=0.01)
        sent = await hook.send(
            "hi",
            username="Ada",
            wait=True,
            thread=discord.Object(int(world.thread["id"])),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        assert sent.channel.id == int(world.thread["id"])
        await world.fake.wait_for(lambda: seen, what="MESSAGE_CREATE echo")
    statuses = [r.status for r in world.fake.calls("execute_webhook")]
    assert statuses == [429, 200]
    assert world.fake.calls("execute_webhook")[-1].query["thread_id"] == world.thread["id"]


async def test_deleted_webhook_answers_unknown_webhook(world: World) -> None:
    async with running_client(world) as (client, _):
        channel = client.get_channel(int(world.channel["id"]))
        assert isinstance(channel, discord.TextChannel)
        hook = await channel.create_webhook(name="Chimera")
        world.fake.delete_webhook(str(hook.id))
        with pytest.raises(discord.NotFound) as info:
            await hook.send("hi", username="Ada", wait=True)
    assert info.value.code == 10015


async def test_reaction_events_arrive_raw(world: World) -> None:
    async with running_client(world) as (_, seen):
        message = await world.fake.say(world.channel, world.member, "hello")
        await world.fake.react(message["id"], world.member, "👍")
        await world.fake.wait_for(lambda: len(seen) >= 2, what="message and reaction")
    reaction = seen[1]
    assert isinstance(reaction, discord.RawReactionActionEvent)
    assert str(reaction.emoji) == "👍"
    assert reaction.user_id == int(world.member["id"])
