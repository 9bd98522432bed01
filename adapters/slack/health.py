"""Whether Slack answers: in HTTP mode there is no connection to watch, so ask `auth.test`."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk.web.async_client import AsyncWebClient

from bot.base.clock import Clock

log = logging.getLogger(__name__)


class WebApiHealth:
    """Calls `auth.test` at most once per interval and remembers the answer meanwhile."""

    def __init__(self, client: AsyncWebClient, clock: Clock, *, every_s: float = 30.0) -> None:
        self._client = client
        self._clock = clock
        self._every = timedelta(seconds=every_s)
        self._checked: datetime | None = None
        self._ok = False

    async def ok(self) -> bool:
        """Tell whether the Web API accepted the bot token lately."""
        now = self._clock.now()
        if self._checked is not None and now - self._checked < self._every:
            return self._ok
        try:
            await self._client.auth_test()
        except Exception as exc:  # any failure means "down"; the reason is worth a line
            log.warning("Slack auth.test failed: %s", exc)
            self._ok = False
        else:
            self._ok = True
        self._checked = now
        return self._ok
