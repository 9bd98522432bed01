"""Any options a Discord client can send for any slash command get an answer, never an error."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, example, given, settings

from adapters.discord.tree import qualified_name
from bot.commands.table import COMMANDS, CommandSpec
from tests.adapters.discord.conftest import Bot, World
from tests.bot.commands.strategies import slash_options
from tests.fakes.discord_server import Recorded

INTERNAL = "Something went wrong"
DEFERRED = 5


async def answers(world: World, spec: CommandSpec, options: dict[str, Any]) -> list[Recorded]:
    """Run a slash command as the moderator and return every response once it is answered."""
    interaction = await world.fake.slash(
        qualified_name(spec)[1:],
        guild=world.guild,
        channel=world.channel,
        user=world.moderator,
        **options,
    )
    (callback, *_) = await world.fake.wait_reply(interaction, 1)
    if callback.body["type"] == DEFERRED:  # then a follow-up carries the answer
        await world.fake.wait_for(
            lambda: any(
                r.route == "execute_webhook" for r in world.fake.interaction_replies(interaction)
            ),
            what=f"the answer to {spec.name}",
        )
    return world.fake.interaction_replies(interaction)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(command=slash_options())
@example(command=(COMMANDS["consortium export"], {"id": 1}))
@example(command=(COMMANDS["topics remove"], {"id": 2**53}))
async def test_any_slash_command_gets_a_clear_answer(
    world: World, bot: Bot, command: tuple[CommandSpec, dict[str, Any]]
) -> None:
    spec, options = command
    replies = await answers(world, spec, options)
    shown = [json.dumps(r.body, ensure_ascii=False) for r in replies]
    assert not [text for text in shown if INTERNAL in text], (spec.name, options)
