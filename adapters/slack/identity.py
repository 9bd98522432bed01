"""Persona identity on Slack: one bot user posting under each persona's name and icon."""

from __future__ import annotations

from typing import Any

from adapters.slack.emoji import icon_emoji
from personas.cards import Persona

USERNAME_LIMIT = 80
DEFAULT_ICON = ":robot_face:"


def persona_identity(persona: Persona) -> dict[str, Any]:
    """Return the `chat.postMessage` arguments that show a persona's name and icon.

    Needs the `chat:write.customize` scope; Slack then labels the post with the app's name.
    """
    identity: dict[str, Any] = {"username": persona.name[:USERNAME_LIMIT]}
    if persona.avatar_url:
        identity["icon_url"] = persona.avatar_url
    else:
        identity["icon_emoji"] = icon_emoji(persona.emoji) or DEFAULT_ICON
    return identity


def message_id(channel: str, ts: str) -> str:
    """Return the id the core stores for a Slack message (ts is unique only per channel)."""
    return f"{channel}:{ts}"


def split_message_id(value: str) -> tuple[str, str]:
    """Return (channel, ts) from a stored message id."""
    channel, _, ts = value.partition(":")
    return channel, ts
