"""Slash commands: check, defer within Discord's 3 s, run the core's handler, follow up."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

import discord
from discord import app_commands

from adapters.discord.keys import room_key
from adapters.discord.render import embed, needs_embed, no_mentions, text_chunks, to_files
from adapters.discord.tree import build_groups, qualified_name
from adapters.discord.uploads import EditProgress, read_upload
from adapters.discord.webhooks import Webhooks, WebhookUnavailable
from bot.base.rooms import RoomKey
from bot.commands.parsing import CommandError, validate
from bot.commands.progress import ProgressListener
from bot.commands.replies import Caller, Reply
from bot.commands.table import CommandSpec

log = logging.getLogger(__name__)
AUTOCOMPLETE_LIMIT = 25
CHOICE_LIMIT = 100
NEEDS_WEBHOOK = frozenset({"start", "resume", "fork", "replay", "schedule add"})


class Handlers(Protocol):
    """The core's command handler, as the adapter uses it."""

    async def run(
        self,
        key: RoomKey,
        caller: Caller,
        name: str,
        args: Mapping[str, Any],
        *,
        progress: ProgressListener | None = None,
    ) -> Reply: ...

    async def persona_choices(self, tenant_id: str, prefix: str) -> list[tuple[str, str]]: ...


class SlashCommands:
    """Connects the `/chimera` and `/chimera-info` commands to the core's handlers."""

    def __init__(self, handlers: Handlers, webhooks: Webhooks) -> None:
        self.handlers = handlers
        self.webhooks = webhooks

    def install(self, tree: app_commands.CommandTree[Any]) -> None:
        """Add the command groups to a tree and report failures to the person."""
        for group in build_groups(self.invoke, self.personas):
            tree.add_command(group)
        tree.on_error = self.on_error  # type: ignore[method-assign]

    async def invoke(
        self, interaction: discord.Interaction, spec: CommandSpec, values: dict[str, Any]
    ) -> None:
        """Run one slash command for the person who used it."""
        args = {name: value for name, value in values.items() if value is not None}
        caller = caller_of(interaction)
        refusal = refuse(spec, caller, args)
        if refusal:
            await interaction.response.send_message(
                f"⚠️ {refusal}", ephemeral=True, allowed_mentions=no_mentions()
            )
            return
        # Room controls announce in the channel; the rest (and private controls) do not.
        public = spec.manage and not spec.private
        await interaction.response.defer(ephemeral=not public, thinking=True)
        progress = EditProgress(interaction)
        reply = await self._run(interaction, spec, caller, args, progress)
        await respond(interaction, reply, deferred_public=public, replace=progress.shown)

    async def _run(
        self,
        interaction: discord.Interaction,
        spec: CommandSpec,
        caller: Caller,
        args: dict[str, Any],
        progress: ProgressListener,
    ) -> Reply:
        key = interaction_key(interaction)
        try:
            if spec.name in NEEDS_WEBHOOK:
                await self.webhooks.get(int(key.channel))
            args = await read_upload(args)
        except (WebhookUnavailable, CommandError) as exc:
            return Reply(str(exc), error=True)
        return await self.handlers.run(key, caller, spec.name, args, progress=progress)

    async def personas(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest personas for what has been typed (the last entry of a comma list)."""
        if interaction.guild_id is None:
            return []
        tenant = f"discord:{interaction.guild_id}"
        head = current.rsplit(",", 1)[0] + "," if "," in current else ""
        found = await self.handlers.persona_choices(tenant, current)
        return [
            app_commands.Choice(name=label[:CHOICE_LIMIT], value=(head + ident)[:CHOICE_LIMIT])
            for label, ident in found[:AUTOCOMPLETE_LIMIT]
        ]

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Log a failed command and tell the person, privately."""
        log.error("slash command failed", exc_info=error)
        text = "⚠️ Something went wrong running that command; it has been logged."
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not tell the person that the command failed", exc_info=True)


def caller_of(interaction: discord.Interaction) -> Caller:
    """Return who ran a command, with Manage Channels decided from Discord's permissions."""
    user = interaction.user
    can_manage = interaction.guild_id is not None and interaction.permissions.manage_channels
    return Caller(str(user.id), user.display_name, can_manage)


def refuse(spec: CommandSpec, caller: Caller, args: Mapping[str, Any]) -> str:
    """Return why a command cannot run as asked (permission or arguments), or ''."""
    if spec.manage and not caller.can_manage:
        return (
            f"`{qualified_name(spec)}` changes this channel's room, so it needs the "
            "**Manage Channels** permission. Ask someone who has it."
        )
    try:
        validate(spec, args)
    except CommandError as exc:
        return f"{exc}. Fix that and run `{qualified_name(spec)}` again."
    return ""


def interaction_key(interaction: discord.Interaction) -> RoomKey:
    """Return the room key of the channel or thread a command was used in."""
    channel: Any = interaction.channel or discord.Object(interaction.channel_id or 0)
    return room_key(interaction.guild_id or 0, channel)


async def respond(
    interaction: discord.Interaction, reply: Reply, *, deferred_public: bool, replace: bool = False
) -> None:
    """Follow up a deferred command with its reply (`replace`: in place of its progress)."""
    public = not reply.ephemeral and not reply.error
    if public != deferred_public or replace:
        # A follow-up keeps the deferral's visibility (and leaves the progress line standing):
        # start over to change it.
        await interaction.delete_original_response()
    for message in reply_messages(reply):
        await interaction.followup.send(
            **message, ephemeral=not public, allowed_mentions=no_mentions()
        )


def reply_messages(reply: Reply) -> list[dict[str, Any]]:
    """Return the messages (content/embed/files) a reply is shown as."""
    files = to_files(reply.attachments)
    if needs_embed(reply.title, reply.fields):
        return [{"embed": embed(reply.text, reply.title, reply.fields), "files": files}]
    text = f"⚠️ {reply.text}" if reply.error else reply.text
    chunks = text_chunks(text)
    messages: list[dict[str, Any]] = [{"content": chunk} for chunk in chunks]
    messages[-1]["files"] = files
    return messages
