"""Saved consortium configurations: save, list, show, remove, use, validation and tenants."""

from __future__ import annotations

import pytest

from bot.base.rooms import RoomKey
from bot.core.consortium.book import ConfigBook
from bot.runtime.app import Services
from tests.bot.core.modes.support import ADMIN, KEY, MEMBER, say

OTHER_CHANNEL = RoomKey("test", "guild-a", "random")
OTHER_TENANT = RoomKey("test", "guild-b", "general")
SAVE_TEAM = (
    "consortium save team members=philosopher:2,openai/gpt-4o-mini arbiter=openai/gpt-4o "
    'threshold=80% min=1 max=3 prompt="Be brief."'
)


async def test_save_list_show_change_and_remove(services: Services) -> None:
    reply = await say(services, SAVE_TEAM)
    assert not reply.error and reply.text.startswith("Saved consortium configuration “team”")
    shown = await say(services, "consortium show team", MEMBER)
    assert shown.text.splitlines() == [
        "members: philosopher:2, openai/gpt-4o-mini",
        "arbiter: openai/gpt-4o",
        "confidence threshold: 80%",
        "iterations: 1 to 3",
        "system prompt: Be brief.",
    ]
    assert (await say(services, "consortium save TEAM max=5")).text.startswith("Updated")
    assert "iterations: 1 to 5" in (await say(services, "consortium show team")).text
    listed = await say(services, "consortium", MEMBER)
    assert [label for label, _ in listed.fields] == ["team"]
    assert "built-in default" in listed.text
    assert (await say(services, "consortium remove team")).text.startswith("Removed")
    for text in ("consortium show team", "consortium remove team"):
        reply = await say(services, text)
        assert reply.error and "No saved configuration 'team'" in reply.text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("consortium save t members=nobody", "member 'nobody' is not a known persona"),
        ("consortium save t members=philosopher:9", "count must be 1 to 5, not 9"),
        ("consortium save t members=philosopher threshold=150", "between 0 and 1"),
        ("consortium save t members=philosopher threshold=high", "threshold must be a number"),
        ("consortium save t members=philosopher min=3 max=2", "must be at least min iterations"),
        ("consortium save t members=philosopher max=11", "at most 10, not 11"),
        ("consortium save t members=philosopher min=two", "min must be a whole number"),
        ('consortium save t members=philosopher arbiter=" "', "choose an arbiter model"),
        ("consortium save t", "a new configuration needs members"),
        ("consortium save Bad!Name members=philosopher", "cannot name a configuration"),
    ],
)
async def test_bad_configurations_say_what_to_fix(
    services: Services, text: str, message: str
) -> None:
    reply = await say(services, text)
    assert reply.error and reply.ephemeral
    assert message.lower() in reply.text.lower()
    assert (await ConfigBook(services.store.catalog).all(KEY.tenant_id)) == {}


async def test_every_problem_is_listed_at_once(services: Services) -> None:
    reply = await say(services, "consortium save t members=nobody:7 threshold=150 min=4 max=2")
    for part in ("not a known persona", "count must be 1 to 5", "between 0 and 1", "at least min"):
        assert part in reply.text


async def test_changing_configurations_needs_permission_but_reading_does_not(
    services: Services,
) -> None:
    await say(services, SAVE_TEAM)
    for text in ("consortium save x members=poet", "consortium remove team", "consortium use team"):
        reply = await say(services, text, MEMBER)
        assert reply.error and "permission" in reply.text, text
    for text in ("consortium list", "consortium show team", "leaderboard"):
        assert not (await say(services, text, MEMBER)).error, text


async def test_configurations_belong_to_one_tenant(services: Services) -> None:
    await say(services, SAVE_TEAM)
    listed = await say(services, "consortium list", key=OTHER_TENANT)
    assert listed.fields == () and listed.text.startswith("0 saved configurations")
    for text in ("consortium show team", "ask Why? config=team", "consortium use team"):
        reply = await say(services, text, key=OTHER_TENANT)
        assert reply.error and "no saved configuration 'team'" in reply.text.lower(), text
    assert not (await say(services, "consortium show team", key=OTHER_CHANNEL)).error


async def test_ask_uses_the_channel_choice_then_default_then_built_in(services: Services) -> None:
    configs = ConfigBook(services.store.catalog)

    async def members(key: RoomKey = KEY) -> list[str]:
        config = await configs.resolve(key, None, "chimera/arbiter")
        return [str(member) for member in config.members]

    assert await members() == ["philosopher", "scientist", "skeptic"]
    assert (await configs.resolve(KEY, None, "chimera/arbiter")).arbiter == "chimera/arbiter"
    await say(services, "consortium save default members=poet,critic")
    await say(services, "consortium save fast members=comedian")
    assert await members() == ["poet", "critic"]
    reply = await say(services, "consortium use fast")
    assert not reply.error and "now uses “fast”" in reply.text
    assert await members() == ["comedian"]
    assert await members(OTHER_CHANNEL) == ["poet", "critic"]
    assert "this channel's choice" in (await say(services, "consortium list")).fields[1][0]
    await say(services, "consortium remove fast")
    assert await members() == ["poet", "critic"]  # a removed choice falls back
    await say(services, "consortium use none")
    await say(services, "consortium remove default")
    assert await members() == ["philosopher", "scientist", "skeptic"]


async def test_manage_commands_are_refused_before_anything_changes(services: Services) -> None:
    reply = await services.commands.run(KEY, MEMBER, "consortium save", {"name": "x"})
    assert reply.error and "permission" in reply.text
    reply = await services.commands.run(KEY, ADMIN, "consortium show", {})
    assert reply.error and "needs name" in reply.text
