"""Slash commands end to end: sync, defer and follow up, permissions, arguments, export."""

from __future__ import annotations

from tests.adapters.discord.conftest import Bot, World
from tests.fakes.discord_server import iter_option_names

EPHEMERAL = 64


async def test_login_syncs_both_command_groups(world: World, bot: Bot) -> None:
    synced = {c["name"]: c for c in world.fake.commands}
    assert set(synced) == {"chimera", "chimera-info"}
    assert synced["chimera"]["default_member_permissions"] in (16, "16")  # Manage Channels
    assert synced["chimera-info"]["default_member_permissions"] is None
    names = {n for c in synced.values() for n in iter_option_names(c)}
    assert {"chimera start", "chimera stop", "chimera pause", "chimera resume"} <= names
    assert {"chimera-info status", "chimera-info results", "chimera-info export"} <= names
    assert "chimera persona create" in names and "chimera-info persona list" in names
    intents = world.fake.identifies[0]["intents"]
    assert intents & (1 << 15) and intents & (1 << 10) and intents & (1 << 9)  # content, reactions, messages


async def test_start_defers_then_follows_up(world: World, bot: Bot) -> None:
    interaction = await world.fake.slash(
        "chimera start",
        guild=world.guild,
        channel=world.channel,
        user=world.moderator,
        topic="Is a hot dog a sandwich?",
        personas="philosopher,comedian",
        turns=2,
    )
    callback, followup = await world.fake.wait_reply(interaction, 2)
    assert callback.route == "interaction_callback"
    assert callback.body["type"] == 5  # deferred, within the 3 s window
    assert followup.route == "execute_webhook"
    assert "Starting a chat" in followup.body["content"]
    assert followup.body["allowed_mentions"] == {"parse": []}
    assert not int(followup.body.get("flags", 0)) & EPHEMERAL
