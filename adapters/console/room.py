"""The console room: a terminal rendering of a room, for the offline demo and the CLI."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.base.rooms import Room
from bot.core.platform import Attachment, Notice, Posted, TurnPost
from personas.cards import Persona

PLATFORM = "console"


def turn_message_id(room_id: int, seq: int) -> str:
    """Return the console message id of a room's turn (what `+N` votes refer to)."""
    return f"room-{room_id}-turn-{seq}"


class ConsolePlatform:
    """Prints turns in each persona's colour, with a typing line before each."""

    name = PLATFORM

    def __init__(self, console: Console | None = None, files_dir: Path | None = None) -> None:
        self.console = console or Console(highlight=False)
        self.files_dir = files_dir or Path(".chimera") / "files"
        self._notice_ids = itertools.count(1)
        self.last_poll_message: str | None = None

    async def typing(self, room: Room, persona: Persona) -> None:
        """Show that a persona is composing."""
        self.console.print(Text(f"  {persona.emoji} {persona.name} is typing…", style="dim italic"))

    async def post_turn(self, room: Room, post: TurnPost) -> Posted:
        """Print a persona's turn under its name and colour."""
        persona = post.persona
        header = Text(f"#{post.seq} {persona.emoji} {persona.name}", style=f"bold {persona.colour}")
        if post.footer:
            header.append(f"  [{post.footer}]", style="dim")
        self.console.print(header)
        self.console.print(Text(post.text, style=persona.colour), soft_wrap=True)
        self.console.print()
        return Posted((turn_message_id(room.id, post.seq),))

    async def post_notice(self, room: Room, notice: Notice) -> Posted:
        """Print a bot message as a panel (with a table of its fields)."""
        body: Text | Table = Text(notice.text)
        if notice.fields:
            body = _table(notice)
        self.console.print(Panel(body, title=notice.title or "Chimera", expand=False))
        for attachment in notice.attachments:
            self.console.print(f"  attached: {await self._save(attachment)}", style="dim")
        message_id = f"room-{room.id}-notice-{next(self._notice_ids)}"
        if notice.vote_emoji:
            self.last_poll_message = message_id
        return Posted((message_id,))

    async def _save(self, attachment: Attachment) -> Path:
        """Write an attachment (a chart, an export) where the terminal user can open it."""
        path = self.files_dir / Path(attachment.filename).name
        await asyncio.to_thread(_write, path, attachment.data)
        return path


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _table(notice: Notice) -> Table:
    table = Table(show_header=False, box=None, title=notice.text, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for label, value in notice.fields:
        table.add_row(label, value)
    return table
