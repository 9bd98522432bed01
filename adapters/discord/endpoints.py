"""Point discord.py at another Discord-compatible server (tests, proxies)."""

from __future__ import annotations

import discord
import yarl


def api_base(url: str) -> str:
    """Return a REST base with the API version, e.g. `http://host/api/v10`."""
    url = url.rstrip("/")
    return url if "/api/v" in url else f"{url}/api/v10"


def point_at(rest: str | None, gateway: str | None) -> None:
    """Set discord.py's REST base and gateway URL (they are process-wide class settings)."""
    if rest:
        discord.http.Route.BASE = api_base(rest)
    if gateway:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
