"""Turn core output (turns, notices, replies) into what Discord accepts."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Sequence

import discord

from bot.base.text import clip
from bot.core.platform import Attachment, Notice, TurnPost, split_text

CONTENT_LIMIT = 2000
USERNAME_LIMIT = 80
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_TITLE_LIMIT = 256
EMBED_FIELD_NAME_LIMIT = 256
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FIELDS = 25
FALLBACK_USERNAME = "Persona"
EMBED_COLOUR = discord.Colour.blurple()

# Discord refuses webhook usernames containing these words; swap one letter for a Cyrillic
# look-alike so the name still reads the same.
_FORBIDDEN = {
    "clyde": ("e", "\u0435", "E", "\u0415"),
    "discord": ("o", "\u043e", "O", "\u041e"),
}


def no_mentions() -> discord.AllowedMentions:
    """Return the mention policy for everything we send: nobody is pinged."""
    return discord.AllowedMentions.none()


def sanitize_username(name: str) -> str:
    """Return a webhook username Discord accepts: 1–80 characters, no "clyde"/"discord"."""
    cleaned = " ".join(name.split())
    for word, swaps in _FORBIDDEN.items():
        cleaned = re.sub(re.escape(word), _swapper(swaps), cleaned, flags=re.IGNORECASE)
    return cleaned[:USERNAME_LIMIT].strip() or FALLBACK_USERNAME


def _swapper(swaps: tuple[str, str, str, str]) -> Callable[[re.Match[str]], str]:
    low, low_sub, up, up_sub = swaps
    return lambda match: match.group(0).replace(low, low_sub).replace(up, up_sub)


def footer_line(footer: str) -> str:
    """Return a footer as Discord small text on its own line."""
    return f"\n-# {footer}" if footer else ""


def turn_chunks(post: TurnPost, limit: int = CONTENT_LIMIT) -> list[str]:
    """Split a turn into messages of at most `limit` characters, the footer on the last."""
    tail = footer_line(post.footer)
    chunks = split_text(post.text, limit)
    if len(chunks[-1]) + len(tail) > limit:
        chunks = split_text(post.text, limit - len(tail))
    chunks[-1] += tail
    return chunks


def text_chunks(text: str, limit: int = CONTENT_LIMIT) -> list[str]:
    """Split plain text into messages of at most `limit` characters."""
    return split_text(text, limit)


def to_files(attachments: Iterable[Attachment]) -> list[discord.File]:
    """Return discord.py files for core attachments."""
    return [discord.File(io.BytesIO(a.data), filename=a.filename) for a in attachments]


def needs_embed(title: str | None, fields: Sequence[tuple[str, str]]) -> bool:
    """Tell whether a message is structured (a title or fields) and reads best as an embed."""
    return bool(title or fields)


def embed(text: str, title: str | None, fields: Sequence[tuple[str, str]]) -> discord.Embed:
    """Return an embed with a title, the text as description and inline-safe fields."""
    card = discord.Embed(
        title=clip(title or "", EMBED_TITLE_LIMIT) or None,
        description=clip(text, EMBED_DESCRIPTION_LIMIT) or None,
        colour=EMBED_COLOUR,
    )
    for name, value in list(fields)[:EMBED_FIELDS]:
        card.add_field(
            name=clip(name, EMBED_FIELD_NAME_LIMIT) or "\u200b",
            value=clip(value, EMBED_FIELD_VALUE_LIMIT) or "\u200b",
            inline=False,
        )
    return card


def notice_embed(notice: Notice) -> discord.Embed:
    """Return a notice (results, a poll, a warning) as an embed."""
    return embed(notice.text, notice.title, notice.fields)
