"""Per-channel posting pace: at most one message per interval per channel (Slack's ~1/s)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from bot.base.clock import Clock
from bot.base.locks import KeyedLocks


def wait_s(next_allowed: datetime | None, now: datetime) -> float:
    """Return how long to wait before posting, given when the channel is next free."""
    if next_allowed is None:
        return 0.0
    return max((next_allowed - now).total_seconds(), 0.0)


class ChannelPacer:
    """Serialises posts per channel and spaces them `interval_s` apart on the given clock."""

    def __init__(self, clock: Clock, interval_s: float = 1.0) -> None:
        self._clock = clock
        self._interval = timedelta(seconds=interval_s)
        self._next: dict[str, datetime] = {}
        self._locks: KeyedLocks[str] = KeyedLocks()

    @asynccontextmanager
    async def channel(self, channel: str) -> AsyncIterator[None]:
        """Hold the channel for a sequence of posts (split chunks stay in order)."""
        async with self._locks.hold(channel):
            yield

    async def slot(self, channel: str) -> None:
        """Wait until the channel may take another post, then claim the slot."""
        delay = wait_s(self._next.get(channel), self._clock.now())
        if delay > 0:
            await self._clock.sleep(delay)
        self._next[channel] = self._clock.now() + self._interval
