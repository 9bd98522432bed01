"""Who runs a command and what it answers: the types every handler and adapter shares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.base.rooms import RoomKey
from bot.core.platform import Attachment, Notice


@dataclass(frozen=True)
class Caller:
    """Who ran a command; the adapter decides `can_manage` from platform permissions."""

    user_id: str
    display_name: str
    can_manage: bool


@dataclass(frozen=True)
class Reply:
    """What a command answers; adapters render it (ephemeral where the platform can)."""

    text: str
    ephemeral: bool = True
    title: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    attachments: tuple[Attachment, ...] = ()
    error: bool = False

    @classmethod
    def of(cls, notice: Notice, *, ephemeral: bool = True) -> Reply:
        """Return a notice (results, a summary) as a reply."""
        return cls(
            notice.text,
            ephemeral=ephemeral,
            title=notice.title,
            fields=notice.fields,
            attachments=notice.attachments,
        )

    def field_lines(self) -> list[str]:
        """Return the fields as indented plain-text lines, a long value under its label."""
        lines: list[str] = []
        for label, value in self.fields:
            first, *rest = value.splitlines() or [""]
            lines.append(f"  {label}: {first}")
            lines.extend(f"    {line}" for line in rest)
        return lines


Handler = Callable[[RoomKey, Caller, dict[str, Any]], Awaitable[Reply]]
