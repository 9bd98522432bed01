"""The slash commands built from the command table: options, choices, autocomplete, names."""

from __future__ import annotations

import inspect
from typing import Any

import discord
from discord import app_commands

import adapters.discord.tree as tree
from bot.commands.table import COMMANDS


async def invoke(interaction: discord.Interaction, spec: Any, values: dict[str, Any]) -> None:
    return None


async def personas(interaction: discord.Interaction, current: str) -> list[Any]:
    return []


def command(name: str) -> app_commands.Command[Any, ..., Any]:
    return tree.make_command(COMMANDS[name], invoke, personas)


def options(name: str) -> dict[str, app_commands.Parameter]:
    return {p.name: p for p in command(name).parameters}


def test_options_carry_descriptions_choices_and_autocomplete() -> None:
    start = options("start")
    assert next(iter(start)) == "topic" and start["topic"].required
    assert start["topic"].description == "what the personas talk about"
    assert [c.value for c in start["mode"].choices] == ["chat", "debate", "consortium", "compare"]
    assert start["personas"].autocomplete and not start["topic"].autocomplete
    assert (start["turns"].min_value, start["turns"].max_value) == (1, 200)


def test_an_upload_option_reads_file_on_discord() -> None:
    ingest = options("ingest")
    assert ingest["data"].display_name == "file" and ingest["data"].type.name == "attachment"
    assert ingest["source"].display_name == "source"


def test_every_spec_builds_a_command() -> None:
    groups = tree.build_groups(invoke, personas)
    built = [
        c.qualified_name.split(" ", 1)[1]
        for g in groups
        for c in g.walk_commands()
        if isinstance(c, app_commands.Command)
    ]
    assert sorted(built) == sorted(COMMANDS)


def test_options_are_set_through_discord_py_public_decorators() -> None:
    # Private attributes discord.py's decorators happen to use may change in any release.
    assert "__discord_app_commands_param" not in inspect.getsource(tree)
