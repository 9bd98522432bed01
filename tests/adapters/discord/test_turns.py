"""Persona turns end to end: one reused webhook, identities, threads, limits and recovery."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from tests.adapters.discord.conftest import Bot, World, chimera, start_room
from tests.support import distinct_sentences


async def test_one_webhook_is_created_and_reused_across_turns(world: World, bot: Bot) -> None:
    world.fake.add_foreign_webhook(world.channel, "Someone else's hook")
    await start_room(world, turns=3)
    await bot.step(3)
    posts = world.fake.webhook_posts()
    assert len(posts) == 3
    assert len(world.fake.successes("create_webhook")) == 1
    assert len(world.fake.calls("list_webhooks")) == 1
    created = world.fake.successes("create_webhook")[0].response["id"]
    assert {p.params["id"] for p in posts} == {created}


async def test_each_persona_posts_under_its_own_name_and_avatar(world: World, bot: Bot) -> None:
    await start_room(
        world, turns=3, personas="philosopher,comedian,scientist", selection="round_robin"
    )
    await bot.step(3)
    posts = world.fake.webhook_posts()
    names = [p.body["username"] for p in posts]
    avatars = [p.body["avatar_url"] for p in posts]
    assert len(set(names)) == 3 and len(set(avatars)) == 3
    assert "The Philosopher" in names
    assert all(a.startswith("https://") for a in avatars)


async def test_turns_show_typing_and_seed_the_vote_emoji(world: World, bot: Bot) -> None:
    await start_room(world, turns=1)
    await bot.step()
    assert world.fake.successes("typing")[0].params["channel"] == world.channel["id"]
    post_id = world.fake.webhook_posts()[0].response["id"]
    seeded = [r for r in world.fake.successes("add_reaction") if r.params["message"] == post_id]
    assert [r.params["emoji"] for r in seeded] == ["👍", "👎"]


async def test_a_room_in_a_thread_posts_into_the_thread(world: World, bot: Bot) -> None:
    await start_room(world, channel=world.thread, turns=1)
    await bot.step()
    (post,) = world.fake.webhook_posts()
    assert post.query["thread_id"] == world.thread["id"]
    hook = world.fake.webhooks[post.params["id"]]
    assert hook["channel_id"] == world.channel["id"]  # webhooks live on the parent channel


async def test_a_rate_limited_webhook_execute_is_retried(world: World, bot: Bot) -> None:
    await start_room(world, turns=1)
    world.fake.fail_rate_limited("execute_webhook", retry_after=0.05)
    await bot.step()
    statuses = [r.status for r in world.fake.webhook_attempts()]
    assert statuses == [429, 200]
    assert len(world.fake.webhook_posts()) == 1
    assert errors(bot, "rate_limited") == 1  # counted for /metrics


async def test_unknown_webhook_is_forgotten_recreated_and_retried_once(
    world: World, bot: Bot
) -> None:
    await start_room(world, turns=2)
    await bot.step()
    first = world.fake.webhook_posts()[0].params["id"]
    world.fake.delete_webhook(first)  # a server admin removed it
    with webhook_writes(bot) as writes:
        await bot.step()
    # The replacement overwrites the stored row in one upsert: no delete, one transaction.
    assert len(writes) == 1 and writes[0].startswith("INSERT INTO channel_webhooks")
    assert "ON CONFLICT" in writes[0]
    statuses = [r.status for r in world.fake.webhook_attempts()]
    assert statuses == [200, 404, 200]
    second = world.fake.webhook_posts()[-1].params["id"]
    assert second != first and len(world.fake.successes("create_webhook")) == 2
    stored = await bot.services.store.webhooks.get("discord", world.channel["id"])
    assert stored is not None and stored[0] == second
    assert errors(bot, "dead_webhook") == 1


@contextlib.contextmanager
def webhook_writes(bot: Bot) -> Iterator[list[str]]:
    """Collect the SQL statements that write the stored webhooks while the block runs."""
    engine = bot.services.store.db.engine.sync_engine
    writes: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "channel_webhooks" in statement and not statement.lstrip().startswith("SELECT"):
            writes.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield writes
    finally:
        event.remove(engine, "before_cursor_execute", record)


def errors(bot: Bot, kind: str) -> float | None:
    """Return how many Discord errors of a kind the metrics counted."""
    labels = {"platform": "discord", "kind": kind}
    return bot.services.metrics.registry.get_sample_value("chimera_platform_errors_total", labels)


async def test_model_output_never_pings_anyone(world: World, bot: Bot) -> None:
    await start_room(world, turns=1)
    role_id = world.guild.roles[1]["id"]
    text = f"Wake up @everyone and @here, especially <@&{role_id}> and <@{world.member['id']}>!"
    bot.llm.script.append(text)
    await bot.step()
    (post,) = world.fake.webhook_posts()
    assert post.body["content"].startswith(text)
    assert post.body["allowed_mentions"] == {"parse": []}
    for request in world.fake.successes("create_message"):
        assert request.body["allowed_mentions"] == {"parse": []}


@pytest.mark.usefixtures("oversized_turns")
async def test_a_long_turn_is_split_under_the_limit(world: World, bot: Bot) -> None:
    await start_room(world, turns=1)
    bot.llm.script.append(distinct_sentences(90, paragraphs=3))  # ~4500 characters
    await bot.step()
    posts = world.fake.webhook_posts()
    assert len(posts) == 3
    contents = [p.body["content"] for p in posts]
    assert all(0 < len(c) <= 2000 for c in contents)
    assert {p.body["username"] for p in posts} == {posts[0].body["username"]}
    joined = " ".join(c.split("\n-# ")[0] for c in contents)
    assert joined.count("fifty characters") == 90


async def test_a_restart_reuses_the_stored_webhook(world: World, tmp_path: Path) -> None:
    async with chimera(world, tmp_path) as bot:
        await start_room(world, turns=4)
        await bot.step()
    assert len(world.fake.successes("create_webhook")) == 1
    before = len(world.fake.requests)
    async with chimera(world, tmp_path) as bot:
        await bot.step()
        await world.fake.wait_for(lambda: len(world.fake.webhook_posts()) == 2, what="second turn")
    after = world.fake.requests[before:]
    assert not [r for r in after if r.route in ("create_webhook", "list_webhooks")]
    first, second = world.fake.webhook_posts()
    assert first.params["id"] == second.params["id"]


async def test_losing_the_webhook_mid_room_warns_and_keeps_the_room_going(
    world: World, bot: Bot
) -> None:
    await start_room(world, turns=2)
    await bot.step()
    world.fake.delete_webhook(world.fake.webhook_posts()[0].params["id"])
    world.fake.fail("create_webhook", 403, code=50013, message="Missing Permissions")
    await bot.step()
    said = [r.body.get("content") or "" for r in world.fake.successes("create_message")]
    warning = [s for s in said if "Manage Webhooks" in s]
    assert len(warning) == 1
    assert any(s.startswith("**") and "\n" in s for s in said)  # the turn, in the bot's name


async def test_persona_names_are_made_acceptable_to_discord(world: World, bot: Bot) -> None:
    interaction = await world.fake.slash(
        "chimera persona create",
        guild=world.guild,
        channel=world.channel,
        user=world.moderator,
        id="mod",
        name="Clyde the Discord Moderator",
        bio="Keeps order.",
    )
    await world.fake.wait_reply(interaction, 2)
    await start_room(world, turns=2, personas="mod,philosopher", selection="round_robin")
    await bot.step(2)
    names = [p.body["username"] for p in world.fake.webhook_posts()]
    assert len(names) == 2
    for name in names:
        assert "clyde" not in name.lower() and "discord" not in name.lower()
    assert any(n.startswith("Cly") and "Moderator" in n for n in names)


CRASHES = {  # where the process dies while posting turn 1: (route, its call, stored first)
    "before-discord-stored": ("execute_webhook", 1, False),
    "after-discord-stored": ("execute_webhook", 1, True),
    "between-pieces": ("execute_webhook", 2, False),
    "between-reactions": ("add_reaction", 2, False),
}


def turn_messages(world: World) -> list[dict[str, Any]]:
    """Return the persona messages (webhook posts) in the test channel, oldest first."""
    hooks = set(world.fake.webhooks)
    return [
        m
        for m in world.fake.messages.values()
        if m["channel_id"] == world.channel["id"] and m.get("webhook_id") in hooks
    ]


@pytest.mark.usefixtures("oversized_turns")
@pytest.mark.parametrize("crash", CRASHES)
async def test_a_turn_cut_off_by_a_crash_appears_once_after_restart(
    world: World, tmp_path: Path, crash: str
) -> None:
    route, call, stored = CRASHES[crash]
    long_turn = distinct_sentences(60, paragraphs=2)
    async with chimera(world, tmp_path) as first:
        await start_room(world, turns=3)
        first.llm.script.append(long_turn.strip())  # two pieces
        held = world.fake.hold(route, after_storing=stored, at_call=call)
        posting = asyncio.create_task(first.step())
        await asyncio.wait_for(held.wait(), 5)
        posting.cancel()  # the process dies here
    async with chimera(world, tmp_path) as second:  # same database, new process
        await second.step(2)
        posts = turn_messages(world)
        assert len(posts) == 4  # turn 1 once, in its two pieces, then turns 2 and 3
        assert "".join(p["content"] for p in posts[:2]).count("fifty characters") == 60
        bot_id = world.fake.bot_user["id"]
        reactors = posts[0].get("reactors", {})
        assert [u["id"] for u in reactors.get("👍", [])] == [bot_id]
        assert [u["id"] for u in reactors.get("👎", [])] == [bot_id]
        ref = await second.services.store.polls.message("discord", posts[0]["id"])
        assert ref is not None and ref.poll_id is not None  # votes on turn 1 count
