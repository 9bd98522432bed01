"""Command validation, permissions, text parsing, personas per tenant, and export."""

from __future__ import annotations

import json

import pytest

from bot.base.rooms import RoomKey
from bot.commands.parsing import CommandError, parse_text
from bot.commands.replies import Caller, Reply
from bot.runtime.app import Services
from tests.doubles import FakeClock
from tests.support import run_until_quiet

KEY = RoomKey("test", "guild-a", "general")
OTHER_TENANT = RoomKey("test", "guild-b", "general")
ADMIN = Caller("u1", "Ada", can_manage=True)
MEMBER = Caller("u2", "Bob", can_manage=False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({}, "needs topic"),
        ({"topic": "x", "turns": "many"}, "turns must be a whole number (got 'many')"),
        ({"topic": "x", "turns": "0"}, "turns must be between 1 and 200"),
        ({"topic": "x", "pace": "-1"}, "pace must be between 0 and 600"),
        ({"topic": "x", "mode": "brawl"}, "mode must be one of chat, debate"),
        ({"topic": "x", "personas": "poet,nobody"}, "unknown persona 'nobody'. Available:"),
        ({"topic": "x", "personas": "poet"}, "a chat needs at least two personas"),
        ({"topic": "x", "colour": "red"}, "has no option 'colour'"),
        ({"topic": "x", "selection": "loudest"}, "selection must be one of"),
    ],
)
async def test_bad_start_arguments_say_what_to_fix(
    services: Services, args: dict[str, str], message: str
) -> None:
    reply = await services.commands.run(KEY, ADMIN, "start", args)
    assert reply.error and reply.ephemeral
    assert message.lower() in reply.text.lower()


async def test_controls_need_permission_but_status_and_results_do_not(services: Services) -> None:
    for name in ("start", "stop", "pause", "resume", "next", "persona create"):
        reply = await services.commands.run(KEY, MEMBER, name, {"topic": "x", "id": "x"})
        assert reply.error and "permission" in reply.text, name
    assert not (await services.commands.run(KEY, MEMBER, "status", {})).error
    reply = await services.commands.run(KEY, MEMBER, "results", {})
    assert reply.error and "nothing has run" in reply.text.lower()


async def test_controls_without_a_room_and_a_second_start_are_refused(services: Services) -> None:
    reply = await services.commands.run(KEY, ADMIN, "pause", {})
    assert reply.error and "no room running" in reply.text
    assert not (await services.commands.run(KEY, ADMIN, "start", {"topic": "x"})).error
    reply = await services.commands.run(KEY, ADMIN, "start", {"topic": "y"})
    assert reply.error and "already running" in reply.text
    await services.commands.run(KEY, ADMIN, "pause", {})
    reply = await services.commands.run(KEY, ADMIN, "pause", {})
    assert reply.error and reply.text == "Cannot pause a room that is paused."


def test_text_commands_parse_words_options_and_quotes() -> None:
    assert parse_text("start Should we migrate? mode=debate --rounds 3") == (
        "start",
        {"topic": "Should we migrate?", "mode": "debate", "rounds": "3"},
    )
    assert parse_text('persona create pirate name="Captain Hook" talkativeness=0.9') == (
        "persona create",
        {"id": "pirate", "name": "Captain Hook", "talkativeness": "0.9"},
    )
    assert parse_text("") == ("help", {})
    assert parse_text("persona") == ("persona list", {})
    with pytest.raises(CommandError, match="unknown command 'dance'"):
        parse_text("dance now")
    assert parse_text('start "unclosed') == ("start", {"topic": '"unclosed'})
    with pytest.raises(CommandError, match="`stop` takes no text"):
        parse_text("stop now please")


async def test_help_lists_every_command(services: Services) -> None:
    reply = await services.commands.run_text(KEY, MEMBER, "help")
    for name in ("start", "persona create", "export", "results"):
        assert name in reply.text


async def test_tenant_personas_are_private_and_editable(services: Services) -> None:
    run = services.commands.run_text
    reply = await run(
        KEY,
        ADMIN,
        'persona create pirate name="The Pirate" bio="Arr." '
        'prompt="You are {name}, a pirate, on {topic}." humour=0.9',
    )
    assert not reply.error, reply.text
    assert "pirate" in (await run(KEY, MEMBER, "persona list")).fields[-1][0]
    assert all(
        "pirate" not in label
        for label, _ in (await run(OTHER_TENANT, MEMBER, "persona list")).fields
    )
    assert (await run(OTHER_TENANT, ADMIN, "start topic personas=pirate,poet")).error

    reply = await run(KEY, ADMIN, "persona edit pirate talkativeness=0.2 formality=0.1")
    assert not reply.error, reply.text
    shown = dict((await run(KEY, MEMBER, "persona show pirate")).fields)
    assert shown["Talkativeness"] == "0.20"
    assert "humour 0.9, formality 0.1" in shown["Style"]

    assert (await run(KEY, ADMIN, "persona create pirate")).error  # id taken
    bad = await run(KEY, ADMIN, "persona edit pirate talkativeness=3")
    assert bad.error and "talkativeness must be between 0 and 1" in bad.text.lower()
    bad = await run(KEY, ADMIN, 'persona edit pirate prompt="Hello {nobody}"')
    assert bad.error and "field 'prompt'" in bad.text
    builtin = await run(KEY, ADMIN, "persona remove poet")
    assert builtin.error and "built-in" in builtin.text
    assert not (await run(KEY, ADMIN, "persona remove pirate")).error
    assert (await run(KEY, MEMBER, "persona show pirate")).error


async def test_export_as_markdown_and_json(services: Services, clock: FakeClock) -> None:
    await services.commands.run(
        KEY, ADMIN, "start", {"topic": "Cats vs dogs", "turns": "3", "pace": "0"}
    )
    await run_until_quiet(services, clock)
    md = await services.commands.run(KEY, MEMBER, "export", {"format": "md"})
    attachment = md.attachments[0]
    assert attachment.filename.endswith(".md")
    assert attachment.data.decode().startswith("# Cats vs dogs")
    data = json.loads(
        (await services.commands.run(KEY, MEMBER, "export", {"format": "json"})).attachments[0].data
    )
    assert len([t for t in data["turns"] if t["kind"] == "persona"]) == 3
    assert data["usage"]["calls"] == 3
    assert data["usage"]["cost_usd"] is None  # the scripted model has no pricing


def test_a_long_field_is_printed_under_its_label() -> None:
    reply = Reply("Stats", fields=(("Top personas", "The Poet: 2 turns\nThe Sage: 1 turn"),))
    assert reply.field_lines() == ["  Top personas: The Poet: 2 turns", "    The Sage: 1 turn"]
