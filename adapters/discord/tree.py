"""Build Discord slash commands from the core's command specs.

Discord applies `default_permissions` to a whole top-level command, subcommands included, and
hides it from members without that permission. So the specs are split in two top-level
groups: `/chimera` holds what changes a room or the persona catalogue (Manage Channels by
default, and checked again on our side), `/chimera-info` holds what anyone may run
(status, results, export, persona list/show, help).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any

import discord
from discord import app_commands

from bot.base.text import clip
from bot.commands.table import COMMANDS, CommandSpec, Param

CONTROL_GROUP = "chimera"
INFO_GROUP = "chimera-info"
DESCRIPTION_LIMIT = 100
FILE_OPTION = "file"

Invoke = Callable[[discord.Interaction, CommandSpec, dict[str, Any]], Awaitable[None]]
Complete = Callable[[discord.Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]]


def build_groups(
    invoke: Invoke, personas: Complete, specs: Iterable[CommandSpec] | None = None
) -> list[app_commands.Group]:
    """Return the `/chimera` and `/chimera-info` groups with one subcommand per spec."""
    controls = app_commands.Group(
        name=CONTROL_GROUP,
        description="Run Chimera's persona conversations in this channel",
        default_permissions=discord.Permissions(manage_channels=True),
        guild_only=True,
    )
    info = app_commands.Group(
        name=INFO_GROUP,
        description="See Chimera's status, results, transcripts and personas",
        guild_only=True,
    )
    for spec in COMMANDS.values() if specs is None else specs:
        group = controls if spec.manage else info
        _add(group, spec, make_command(spec, invoke, personas))
    return [controls, info]


def qualified_name(spec: CommandSpec) -> str:
    """Return how people type a spec on Discord, e.g. `/chimera persona create`."""
    return f"/{CONTROL_GROUP if spec.manage else INFO_GROUP} {spec.name}"


def make_command(spec: CommandSpec, invoke: Invoke, personas: Complete) -> app_commands.Command:
    """Return a slash command whose options are the spec's parameters."""

    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        await invoke(interaction, spec, values)

    _describe_options(callback, spec, personas)
    return app_commands.Command(
        name=spec.name.split()[-1], description=description(spec.help), callback=callback
    )


def _describe_options(callback: Any, spec: CommandSpec, personas: Complete) -> None:
    # discord.py reads options from the callback's signature; its public decorators add the
    # descriptions, choices, autocomplete and display names.
    params = sorted(spec.params, key=lambda p: not p.required)
    callback.__signature__ = _signature(params)
    app_commands.describe(**{p.name: description(p.help or p.name) for p in params})(callback)
    choices = {
        p.name: [app_commands.Choice(name=c, value=c) for c in p.choices[:25]]
        for p in params
        if p.choices
    }
    app_commands.choices(**choices)(callback)
    completed = {p.name: personas for p in params if names_persona(spec, p)}
    app_commands.autocomplete(**completed)(callback)
    # An upload reaches the core as `data` (its bytes); on Discord the option reads "file".
    app_commands.rename(**{p.name: FILE_OPTION for p in params if p.kind == "file"})(callback)


def names_persona(spec: CommandSpec, param: Param) -> bool:
    """Tell whether a parameter takes persona ids (and so gets autocomplete)."""
    if param.name == "personas":
        return True
    return spec.name.startswith("persona ") and spec.name != "persona create" and param.name == "id"


def description(text: str) -> str:
    """Return text that fits a Discord description (1–100 characters)."""
    return clip(text, DESCRIPTION_LIMIT, flat=True) or "…"


def _signature(params: list[Param]) -> inspect.Signature:
    first = inspect.Parameter(
        "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
    )
    options = [
        inspect.Parameter(
            p.name,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            annotation=_annotation(p),
            default=inspect.Parameter.empty if p.required else None,
        )
        for p in params
    ]
    return inspect.Signature([first, *options])


def _annotation(param: Param) -> Any:
    if param.kind == "file":
        return discord.Attachment
    if param.kind in ("int", "float"):
        kind = int if param.kind == "int" else float
        if param.low is None and param.high is None:
            return kind
        low = None if param.low is None else kind(param.low)
        high = None if param.high is None else kind(param.high)
        return app_commands.Range[kind, low, high]
    return str


def _add(root: app_commands.Group, spec: CommandSpec, command: app_commands.Command) -> None:
    *path, _ = spec.name.split()
    group = root
    for name in path:
        found = group.get_command(name)
        if not isinstance(found, app_commands.Group):
            found = app_commands.Group(name=name, description=f"{name} commands", parent=group)
        group = found
    group.add_command(command)
