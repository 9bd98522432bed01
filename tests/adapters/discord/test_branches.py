"""Forks, replays and recurring rooms through `/chimera` against the fake Discord."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.adapters.discord.conftest import Bot, World, start_room
from tests.fakes.discord_server import Recorded


async def command(world: World, name: str, *, user: Any = None, **options: Any) -> list[Recorded]:
    """Run a slash command in #general (or `channel=`) and wait for its answer."""
    channel = options.pop("channel", world.channel)
    interaction = await world.fake.slash(
        name, guild=world.guild, channel=channel, user=user or world.moderator, **options
    )
    return await world.fake.wait_reply(interaction, 2)


def embeds_in(world: World, channel: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the embeds the bot posted in a channel or thread."""
    posts = world.fake.successes("create_message")
    return [e for p in posts if p.params["channel"] == channel["id"] for e in p.body["embeds"]]


def turns_in(world: World, thread: dict[str, Any] | None) -> list[Recorded]:
    """Return the persona posts (webhook executions) into a thread, or into the channel."""
    wanted = thread["id"] if thread else None
    return [p for p in world.fake.webhook_posts() if p.query.get("thread_id") == wanted]


async def test_a_running_room_forked_into_a_thread_goes_on_in_both(world: World, bot: Bot) -> None:
    await start_room(world, turns=4)
    await bot.step(2)
    assert len(turns_in(world, None)) == 2

    _, followup = await command(
        world, "chimera fork", channel=world.thread, room=1, at=2, personas="poet,skeptic"
    )
    assert "Forked room 1 after turn #2 as room 2" in followup.body["content"]
    header, recap = embeds_in(world, world.thread)
    assert {f["name"]: f["value"] for f in header["fields"]}["Forked from"] == "room 1 at turn #2"
    assert recap["title"] == "Recap"
    assert turns_in(world, world.thread) == []  # the inherited turns are not posted again

    await bot.step(2)
    forked = turns_in(world, world.thread)
    assert len(forked) == 2 and {p.body["username"] for p in forked} <= {"The Poet", "The Skeptic"}
    assert len(turns_in(world, None)) == 4  # the parent went on to its end meanwhile
    _, status = await command(world, "chimera-info status", channel=world.thread, user=world.member)
    fields = {f["name"]: f["value"] for f in status.body["embeds"][0]["fields"]}
    assert fields["Forked from"] == "room 1 at turn #2" and fields["Room id"] == "2"


async def test_a_replay_posts_its_summary_beside_the_original_when_it_ends(
    world: World, bot: Bot
) -> None:
    await start_room(world, turns=2)
    await bot.step(8)  # two turns, then the 5 s vote
    assert (await bot.services.store.rooms.get(1)).state.value == "finished"  # type: ignore[union-attr]
    _, followup = await command(world, "chimera replay", room=1, personas="poet,comedian")
    assert "Replaying room 1 as room 2" in followup.body["content"]
    await bot.step(8)
    summary = embeds_in(world, world.channel)[-1]
    assert summary["title"] == "Replay beside the original"
    fields = {f["name"]: f["value"] for f in summary["fields"]}
    assert fields["Turns"].replace(" ", "") == "2│2"
    assert "The Poet" in fields["Cast"].split("│")[1]


async def test_a_schedule_added_on_discord_starts_its_room_in_the_channel(
    world: World, bot: Bot
) -> None:
    (refused,) = await world.fake.wait_reply(
        await world.fake.slash(
            "chimera schedule add",
            guild=world.guild,
            channel=world.channel,
            user=world.member,
            topic="Question of the day",
            every="daily@09:00",
        ),
        1,
    )
    assert "Manage Channels" in refused.body["data"]["content"]
    _, added = await command(
        world,
        "chimera schedule add",
        topic="Question of the day",
        every="daily@09:00",
        tz="Europe/Paris",
        personas="poet,comedian",
        turns=1,
    )
    assert "Scheduled #1" in added.body["content"]
    _, listed = await command(world, "chimera-info schedule list", user=world.member)
    assert "daily@09:00 (Europe/Paris)" in listed.body["embeds"][0]["fields"][0]["name"]

    due = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)  # 09:00 in Paris, the fake clock's first day
    bot.clock.advance((due - bot.clock.now()).total_seconds())
    await bot.services.recurring.fire(1, due)  # what the cron timer calls at that time
    await bot.step()
    assert embeds_in(world, world.channel)[0]["description"] == "“Question of the day”"
    (turn,) = turns_in(world, None)
    assert turn.body["username"] in ("The Poet", "The Comedian")
