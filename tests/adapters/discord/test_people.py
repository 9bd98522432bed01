"""People in the room: their messages join the conversation and their reactions are votes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bot.base.rooms import RoomKey, SpeakerKind
from tests.adapters.discord.conftest import Bot, World, chimera, start_room


async def tally_of(bot: Bot, message_id: str) -> Counter[str]:
    """Return the vote tally of the poll a message carries."""
    polls = bot.services.store.polls
    ref = await polls.message("discord", message_id)
    assert ref is not None and ref.poll_id is not None
    return await polls.tally(ref.poll_id)


async def test_reaction_add_and_remove_change_the_tally(world: World, bot: Bot) -> None:
    await start_room(world, turns=3)
    await bot.step()
    message_id = world.fake.webhook_posts()[0].response["id"]
    await world.fake.react(message_id, world.member, "👍")
    await world.fake.react(message_id, world.moderator, "👍")
    await world.fake.wait_for_async(lambda: _count(bot, message_id, "👍", 2), what="two votes")
    await world.fake.unreact(message_id, world.member, "👍")
    await world.fake.wait_for_async(lambda: _count(bot, message_id, "👍", 1), what="one vote")


async def test_the_bots_own_seeded_reactions_are_not_votes(world: World, bot: Bot) -> None:
    await start_room(world, turns=3)
    await bot.step()
    message_id = world.fake.webhook_posts()[0].response["id"]
    await world.fake.react(message_id, world.member, "👎")
    await world.fake.wait_for_async(lambda: _count(bot, message_id, "👎", 1), what="a vote")
    assert (await tally_of(bot, message_id)) == Counter({"👎": 1})


async def test_a_persons_message_joins_the_room_and_webhook_posts_do_not(
    world: World, bot: Bot
) -> None:
    await start_room(world, turns=3, personas="comedian,scientist,philosopher")
    await bot.step()
    first = world.fake.webhook_posts()[0].body["username"]
    wanted = "The Scientist" if first != "The Scientist" else "The Comedian"
    text = f"What about tacos, {wanted.removeprefix('The ')}?"
    await world.fake.say(world.channel, world.member, text)
    key = RoomKey("discord", world.guild.id, world.channel["id"])

    async def humans() -> list[str]:
        room = await bot.services.store.rooms.current(key)
        assert room is not None
        turns = await bot.services.store.rooms.transcript(room.id)
        return [t.content for t in turns if t.kind is SpeakerKind.HUMAN]

    found = await world.fake.wait_for_async(humans, what="the person's turn")
    assert found == [text]  # the personas' own webhook posts were not taken as people
    await world.fake.wait_for_async(lambda: bot.settled(key), what="the turn rescheduled")
    await bot.step()
    assert world.fake.webhook_posts()[-1].body["username"] == wanted  # named, so answers next


async def _count(bot: Bot, message_id: str, emoji: str, wanted: int) -> bool:
    return (await tally_of(bot, message_id))[emoji] == wanted


async def test_a_debate_ends_with_a_seeded_verdict_poll_and_a_results_embed(
    world: World, bot: Bot
) -> None:
    await start_room(world, mode="debate", rounds=1, personas="moderator,advocate,critic,judge")
    await bot.step(6)  # framing, one round each side, two closings, verdict
    await bot.step()  # no turns left: the verdict poll opens
    polls = [r for r in world.fake.successes("create_message") if r.body.get("embeds")]
    poll_id = polls[-1].response["id"]
    assert polls[-1].body["embeds"][0]["title"] == "Your verdict"
    reactions = world.fake.successes("add_reaction")
    assert [r.params["emoji"] for r in reactions if r.params["message"] == poll_id] == ["👍", "👎"]
    await world.fake.react(poll_id, world.member, "👎")
    await world.fake.wait_for_async(lambda: _count(bot, poll_id, "👎", 1), what="a verdict vote")
    bot.clock.advance(10)  # past the vote window
    await bot.step()
    results = world.fake.successes("create_message")[-1].body["embeds"][0]
    assert results["title"] == "Results"
    assert any("1" in field["value"] for field in results["fields"])


async def test_reactions_missed_while_down_count_when_the_room_ends(
    world: World, tmp_path: Path
) -> None:
    async with chimera(world, tmp_path) as first:
        await start_room(world, turns=3)
        await first.step()
        message_id = world.fake.webhook_posts()[0].response["id"]
        await world.fake.react(message_id, world.moderator, "👎")
        await world.fake.wait_for_async(lambda: _count(first, message_id, "👎", 1), what="a vote")
    # While the bot is away (no gateway events): a member votes 👍, the moderator takes 👎 back.
    world.fake.set_reaction(message_id, world.member, "👍", add=True)
    world.fake.set_reaction(message_id, world.moderator, "👎", add=False)
    async with chimera(world, tmp_path) as second:
        interaction = await world.fake.slash(
            "chimera stop", guild=world.guild, channel=world.channel, user=world.moderator
        )
        await world.fake.wait_reply(interaction, 2)
        assert await tally_of(second, message_id) == Counter({"👍": 1})  # seeds are not votes
    assert world.fake.successes("get_reactions")
