"""Slash commands end to end: sync, defer and follow up, permissions, arguments, export."""

from __future__ import annotations

from typing import Any

import pytest

from tests.adapters.discord.conftest import Bot, World, start_room
from tests.fakes.discord_server import Recorded, iter_option_names

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
    assert (
        intents & (1 << 15) and intents & (1 << 10) and intents & (1 << 9)
    )  # content, reactions, messages


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


async def test_a_member_without_manage_channels_is_refused(world: World, bot: Bot) -> None:
    interaction = await world.fake.slash(
        "chimera start", guild=world.guild, channel=world.channel, user=world.member, topic="x"
    )
    (callback,) = await world.fake.wait_reply(interaction, 1)
    assert callback.body["type"] == 4  # answered at once, no deferral
    assert callback.body["data"]["flags"] & EPHEMERAL
    assert "Manage Channels" in callback.body["data"]["content"]
    assert not world.fake.webhook_posts() and not world.fake.calls("create_webhook")


async def test_bad_arguments_get_a_private_message_saying_what_to_fix(
    world: World, bot: Bot
) -> None:
    interaction = await world.fake.slash(
        "chimera start",
        guild=world.guild,
        channel=world.channel,
        user=world.moderator,
        topic="x",
        turns=0,
    )
    (callback,) = await world.fake.wait_reply(interaction, 1)
    assert callback.body["data"]["flags"] & EPHEMERAL
    assert "turns must be between 1 and 200" in callback.body["data"]["content"]


async def test_a_core_refusal_after_deferring_is_shown_privately(world: World, bot: Bot) -> None:
    replies = await start_room(world, personas="philosopher,nobody")
    await world.fake.wait_reply(_interaction(world, replies), 3)
    callback, deleted, followup = world.fake.interaction_replies(_interaction(world, replies))
    assert callback.body["type"] == 5
    assert deleted.route == "delete_webhook_message"  # the public "thinking…" goes away
    assert int(followup.body["flags"]) & EPHEMERAL
    assert "unknown persona 'nobody'" in followup.body["content"].lower()


async def test_status_and_results_are_open_to_everyone(world: World, bot: Bot) -> None:
    await start_room(world, turns=1)
    await bot.step()
    for name in ("chimera-info status", "chimera-info results"):
        interaction = await world.fake.slash(
            name, guild=world.guild, channel=world.channel, user=world.member
        )
        callback, followup = await world.fake.wait_reply(interaction, 2)
        assert callback.body["type"] == 5 and callback.body["data"]["flags"] & EPHEMERAL
        (card,) = followup.body["embeds"]
        assert card["title"] and card.get("fields")


async def test_results_are_posted_as_an_embed_when_a_room_ends(world: World, bot: Bot) -> None:
    await start_room(world, turns=1)
    await bot.step()
    interaction = await world.fake.slash(
        "chimera stop", guild=world.guild, channel=world.channel, user=world.moderator
    )
    await world.fake.wait_reply(interaction, 2)
    notices = [r.body for r in world.fake.successes("create_message")]
    assert any(body.get("embeds") and body["embeds"][0].get("fields") for body in notices)


async def test_export_sends_the_transcript_as_a_file(world: World, bot: Bot) -> None:
    await start_room(world, turns=1)
    await bot.step()
    interaction = await world.fake.slash(
        "chimera-info export", guild=world.guild, channel=world.channel, user=world.member
    )
    _, followup = await world.fake.wait_reply(interaction, 2)
    ((filename, data),) = followup.files
    assert filename.endswith(".md") and b"hot dog" in data


async def test_persona_names_autocomplete_the_last_list_entry(world: World, bot: Bot) -> None:
    interaction = await world.fake.autocomplete(
        "chimera start",
        "personas",
        guild=world.guild,
        channel=world.channel,
        user=world.moderator,
        topic="x",
        personas="philosopher,com",
    )
    (callback,) = await world.fake.wait_reply(interaction, 1)
    assert callback.body["type"] == 8
    choices = callback.body["data"]["choices"]
    assert {"name": "The Comedian", "value": "philosopher,comedian"} in choices


async def test_no_webhook_permission_is_explained_to_the_person(world: World, bot: Bot) -> None:
    world.fake.fail("create_webhook", 403, code=50013, message="Missing Permissions")
    replies = await start_room(world)
    await world.fake.wait_reply(_interaction(world, replies), 3)
    followup = world.fake.interaction_replies(_interaction(world, replies))[-1]
    assert int(followup.body["flags"]) & EPHEMERAL
    assert "Manage Webhooks" in followup.body["content"]


async def test_the_channel_webhook_limit_is_explained(world: World, bot: Bot) -> None:
    for n in range(15):
        world.fake.add_foreign_webhook(world.channel, f"hook {n}")
    replies = await start_room(world)
    await world.fake.wait_reply(_interaction(world, replies), 3)
    followup = world.fake.interaction_replies(_interaction(world, replies))[-1]
    assert "15 webhooks" in followup.body["content"]
    assert [r.status for r in world.fake.calls("create_webhook")] == [400]


def _interaction(world: World, replies: list[Recorded]) -> dict[str, Any]:
    token = replies[0].params["token"]
    return next(i for i in world.fake.interactions.values() if i["token"] == token)


async def test_a_failing_command_tells_the_person_privately(
    world: World, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(bot.services.commands, "run", broken)
    interaction = await world.fake.slash(
        "chimera-info status", guild=world.guild, channel=world.channel, user=world.member
    )
    _, followup = await world.fake.wait_reply(interaction, 2)
    assert int(followup.body["flags"]) & EPHEMERAL
    assert "Something went wrong" in followup.body["content"]


async def test_dashboard_sends_a_manager_a_private_link_and_refuses_members(
    world: World, bot: Bot
) -> None:
    interaction = await world.fake.slash(
        "chimera dashboard", guild=world.guild, channel=world.channel, user=world.moderator
    )
    callback, followup = await world.fake.wait_reply(interaction, 2)
    assert callback.body["type"] == 5 and callback.body["data"]["flags"] & EPHEMERAL  # no flash
    assert int(followup.body["flags"]) & EPHEMERAL
    link = next(w for w in followup.body["content"].split() if "/dashboard/login?token=" in w)
    token = link.split("token=", 1)[1]
    assert bot.services.links.tenant_of(token) == f"discord:{world.guild.id}"
    refused = await world.fake.slash(
        "chimera dashboard", guild=world.guild, channel=world.channel, user=world.member
    )
    (answer,) = await world.fake.wait_reply(refused, 1)
    assert answer.body["data"]["flags"] & EPHEMERAL
    assert "Manage Channels" in answer.body["data"]["content"]


async def test_stats_are_open_to_everyone(world: World, bot: Bot) -> None:
    await start_room(world, turns=1)
    await bot.step()
    interaction = await world.fake.slash(
        "chimera-info stats",
        guild=world.guild,
        channel=world.channel,
        user=world.member,
        kind="persona",
    )
    callback, followup = await world.fake.wait_reply(interaction, 2)
    assert callback.body["data"]["flags"] & EPHEMERAL
    (card,) = followup.body["embeds"]
    assert card["title"] == "Persona stats — the last 7 days"
    assert card["fields"][0]["value"].startswith("1 turn · ")
