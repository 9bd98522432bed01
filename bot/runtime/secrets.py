"""The dashboard's signing secret: CHIMERA_DASHBOARD_SECRET, else one made once and kept in
the data directory (readable by its owner only), so links survive a restart."""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path

from bot.runtime.config import Settings

SECRET_FILE = "dashboard.secret"


async def dashboard_secret(settings: Settings) -> str:
    """Return the secret that signs dashboard links."""
    if settings.dashboard_secret:
        return settings.dashboard_secret
    return await asyncio.to_thread(_stored_secret, settings.data_dir / SECRET_FILE)


def _stored_secret(path: Path) -> str:
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    # O_EXCL: two processes starting at once on one data dir keep the first one's secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value)
    return value
