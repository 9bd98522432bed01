"""The invite link for adding the bot to a server, with exactly the permissions it uses."""

from __future__ import annotations

import base64
import binascii

import discord

SCOPES = ("bot", "applications.commands")


def required_permissions() -> discord.Permissions:
    """Return the permissions Chimera needs in a server, and no others."""
    return discord.Permissions(
        view_channel=True,
        manage_webhooks=True,
        send_messages=True,
        send_messages_in_threads=True,
        embed_links=True,
        attach_files=True,
        add_reactions=True,
        read_message_history=True,
    )


def invite_url(client_id: int | str) -> str:
    """Return the OAuth2 URL that adds the bot with its slash commands."""
    return discord.utils.oauth_url(client_id, permissions=required_permissions(), scopes=SCOPES)


def client_id_from_token(token: str) -> int:
    """Read the application id from a bot token (its first part is the id, base64-encoded)."""
    head = token.strip().split(".", 1)[0]
    try:
        decoded = base64.b64decode(head + "=" * (-len(head) % 4), validate=True).decode()
        return int(decoded)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError(
            "CHIMERA_DISCORD_TOKEN does not look like a bot token; pass the application id "
            "from the Developer Portal (General Information → Application ID) instead"
        ) from None


def invite_url_for(token: str | None, client_id: str | None = None) -> str:
    """Return the invite URL from an explicit application id, or else from the bot token."""
    if client_id:
        return invite_url(int(client_id))
    if not token:
        raise ValueError("set CHIMERA_DISCORD_TOKEN or pass the application id")
    return invite_url(client_id_from_token(token))
