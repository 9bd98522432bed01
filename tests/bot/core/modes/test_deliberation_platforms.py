"""Consortium and compare through the real adapters: Discord's fake server and the fake Slack."""

from __future__ import annotations

from tests.adapters.discord import conftest as discord_world
from tests.adapters.discord.conftest import Bot, World
from tests.adapters.slack import conftest as slack_world
from tests.adapters.slack.conftest import Chimera
from tests.fakes.discord_server import iter_option_names

# The adapters' fixtures, shared with their own tests.
_restore_discord_endpoints = discord_world._restore_discord_endpoints
world, bot = discord_world.world, discord_world.bot
slack, chimera = slack_world.slack, slack_world.chimera


async def test_discord_syncs_the_commands_and_ask_posts_members_by_webhook(
    world: World, bot: Bot
) -> None:
    synced = {name for c in world.fake.commands for name in iter_option_names(c)}
    assert {"chimera consortium save", "chimera consortium use"} <= synced
    assert {"chimera-info ask", "chimera-info consortium run", "chimera-info leaderboard"} <= synced
    interaction = await world.fake.slash(
        "chimera-info ask",
        guild=world.guild,
        channel=world.channel,
        user=world.member,
        question="Should we adopt Rust?",
    )
    replies = await world.fake.wait_reply(interaction, 3)
    assert "Consortium started" in replies[-1].body["content"]
    await bot.services.tasks.drain()
    usernames = {post.body["username"] for post in world.fake.webhook_posts()}
    assert usernames == {"The Philosopher", "The Scientist", "The Skeptic"}
    embeds = [
        r.body["embeds"][0] for r in world.fake.successes("create_message") if r.body.get("embeds")
    ]
    titles = [embed.get("title") for embed in embeds]
    assert titles[0] == "Chimera consortium" and titles[-1] == "Consortium result"
    assert "Final synthesis" in titles


async def test_slack_compare_counts_reactions_and_updates_the_leaderboard(
    chimera: Chimera,
) -> None:
    await chimera.sender.command("start Best pet? mode=compare personas=poet,comedian")
    header = await chimera.header()
    await chimera.services.tasks.drain()
    posts = [m for m in chimera.slack.thread(header.channel, header.ts) if m.username]
    assert {post.username for post in posts} == {"The Poet", "The Comedian"}
    comedian = next(post for post in posts if post.username == "The Comedian")
    sender = chimera.sender
    await sender.event(sender.reaction("+1", comedian, "UMEMBER"))
    chimera.clock.advance(600)
    await chimera.scheduler.run_due(chimera.clock.now())
    ratings = await chimera.services.store.records.ratings(chimera.key.tenant_id, "persona")
    assert [(r.subject, r.wins, r.losses) for r in ratings] == [("comedian", 1, 0), ("poet", 0, 1)]
    texts = " ".join(m.text + str(m.blocks) for m in chimera.slack.messages)
    assert "Winner: The Comedian with 1 👍" in texts
