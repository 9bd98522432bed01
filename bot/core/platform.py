"""The contract between the core and a chat platform adapter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from bot.base.rooms import Room
from personas.cards import Persona


@dataclass(frozen=True)
class Attachment:
    """A file to send with a message (an export, a chart)."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Notice:
    """A message the bot posts in its own name (headers, results, warnings)."""

    text: str
    title: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    attachments: tuple[Attachment, ...] = ()
    vote_emoji: tuple[str, ...] = ()  # reactions the adapter seeds for a poll on this message


@dataclass(frozen=True)
class Posted:
    """Platform message ids of one logical post (several when the text was split)."""

    message_ids: tuple[str, ...]

    @property
    def first(self) -> str:
        """Return the id that votes and replies attach to."""
        return self.message_ids[0]


@dataclass(frozen=True)
class TurnPost:
    """A persona's turn as the adapter should show it."""

    persona: Persona
    text: str
    seq: int
    vote_emoji: tuple[str, ...] = ()
    footer: str = ""  # e.g. "offline demo model", sources, confidence
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)


class Platform(Protocol):
    """What an adapter does for the core: show typing, post as a persona, post notices."""

    name: str

    async def typing(self, room: Room, persona: Persona) -> None:
        """Show that a persona is composing (best effort)."""
        ...

    async def post_turn(self, room: Room, post: TurnPost) -> Posted:
        """Post a persona's turn under its own name and avatar."""
        ...

    async def post_notice(self, room: Room, notice: Notice) -> Posted:
        """Post a message in the bot's own name."""
        ...


@runtime_checkable
class ReactionReader(Protocol):
    """A platform that can say who reacts on a message now, to catch votes missed while down."""

    async def reactions(
        self, room: Room, message_id: str, emoji: Sequence[str]
    ) -> dict[str, set[str]] | None:
        """Return who (never the bot) reacts with each of `emoji` on a message.

        An emoji is left out when the platform gave only part of its list; None means the
        message could not be read at all.
        """
        ...


@runtime_checkable
class PostFinder(Protocol):
    """A platform that can say whether a turn already reached the room (after a crash)."""

    async def find_turn(self, room: Room, post: TurnPost) -> Posted | None:
        """Return the messages of the turn if they are in the room, else None."""
        ...


def split_text(text: str, limit: int) -> list[str]:
    """Split text into chunks of at most `limit` characters at paragraph, line or word breaks."""
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _best_cut(rest, limit)
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not chunks:
        chunks.append(rest)
    return chunks


def _best_cut(text: str, limit: int) -> int:
    window = text[:limit]
    for sep in ("\n\n", "\n", ". ", " "):
        idx = window.rfind(sep)
        if idx > limit // 2:
            return idx + len(sep)
    return limit


def join_names(names: Sequence[str]) -> str:
    """Join names as 'a, b and c'."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
