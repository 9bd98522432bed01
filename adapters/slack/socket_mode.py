"""Socket Mode: the same Bolt app fed over Slack's websocket instead of HTTP."""

from __future__ import annotations

import logging

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp

log = logging.getLogger(__name__)


class SocketModeConnection:
    """Owns the Socket Mode handler: connect on start, close (and its tasks) on close."""

    def __init__(self, app: AsyncApp, app_token: str, *, ping_interval_s: float = 10.0) -> None:
        self._app = app
        self._app_token = app_token
        self._ping_interval_s = ping_interval_s
        self._handler: AsyncSocketModeHandler | None = None

    async def start(self) -> None:
        """Open the websocket (`apps.connections.open` through the app's Web API client)."""
        # Built here, not in __init__: the SDK client needs a running event loop.
        self._handler = AsyncSocketModeHandler(
            self._app, self._app_token, ping_interval=self._ping_interval_s
        )
        await self._handler.connect_async()
        log.info("Slack Socket Mode connected")

    async def connected(self) -> bool:
        """Tell whether the websocket is open and answering pings."""
        return self._handler is not None and await self._handler.client.is_connected()

    async def close(self) -> None:
        """Close the websocket and cancel the SDK's receive and monitor tasks."""
        if self._handler is not None:
            handler, self._handler = self._handler, None
            await handler.close_async()
