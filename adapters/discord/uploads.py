"""Files attached to slash commands, and progress shown by editing the deferred response."""

from __future__ import annotations

from typing import Any

import discord

from adapters.discord.render import CONTENT_LIMIT, no_mentions
from bot.commands.parsing import CommandError
from bot.memory.sources import MAX_BYTES


async def read_upload(args: dict[str, Any], max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """Replace an attached file with its bytes, name and URL, as the core's `ingest` takes them."""
    upload = args.get("data")
    if not isinstance(upload, discord.Attachment):
        return args
    if upload.size > max_bytes:
        size, limit = upload.size // 1024, max_bytes // 1024
        raise CommandError(f"{upload.filename} is {size} KB; the limit is {limit} KB")
    try:
        data = await upload.read()
    except discord.HTTPException as exc:
        raise CommandError(f"could not download {upload.filename} from Discord ({exc})") from None
    name = args.get("name") or upload.filename
    return {**args, "data": data, "name": name, "source": upload.url.split("?")[0]}


class EditProgress:
    """Shows a command's progress in its deferred response, edited in place."""

    def __init__(self, interaction: discord.Interaction) -> None:
        self._interaction = interaction
        self.shown = False

    async def __call__(self, status: str) -> None:
        """Replace the response's text with the latest status."""
        await self._interaction.edit_original_response(
            content=f"⏳ {status}"[:CONTENT_LIMIT], allowed_mentions=no_mentions()
        )
        self.shown = True
