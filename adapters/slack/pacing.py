"""Per-channel posting pace: at most one message per interval per channel (Slack's ~1/s).

One process keeps each channel's next free moment in memory; in cluster mode the processes
share it (`PostingSlots` in Redis), since any of them may post to any channel.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Protocol

from bot.base.clock import Clock
from bot.base.locks import KeyedLocks


def wait_s(next_allowed: datetime | None, now: datetime) -> float:
    """Return how long to wait before posting, given when the channel is next free."""
    if next_allowed is None:
        return 0.0
    return max((next_allowed - now).total_seconds(), 0.0)


class PostingSlots(Protocol):
    """Channels' posting slots shared by several processes."""

    async def claim(self, channel: str, now: datetime, interval: timedelta) -> float:
        """Take the channel's next slot if it is free now (0), else say how long to wait (s)."""
        ...


class ChannelPacer:
    """Serialises posts per channel and spaces them `interval_s` apart on the given clock."""

    def __init__(
        self, clock: Clock, interval_s: float = 1.0, *, shared: PostingSlots | None = None
    ) -> None:
        self.clock = clock
        self._interval = timedelta(seconds=interval_s)
        self._next: dict[str, datetime] = {}
        self._locks: KeyedLocks[str] = KeyedLocks()
        self._shared = shared

    @asynccontextmanager
    async def channel(self, channel: str) -> AsyncIterator[None]:
        """Hold the channel for a sequence of posts (split chunks stay in order)."""
        async with self._locks.hold(channel):
            yield

    async def slot(self, channel: str) -> None:
        """Wait until the channel may take another post, then claim the slot."""
        if self._shared is not None:
            while delay := await self._shared.claim(channel, self.clock.now(), self._interval):
                await self.clock.sleep(delay)
            return
        delay = wait_s(self._next.get(channel), self.clock.now())
        if delay > 0:
            await self.clock.sleep(delay)
        self._next[channel] = self.clock.now() + self._interval


class ReactionBudget:
    """Slack's allowance for `reactions.add` per workspace (Tier 3: about 50 a minute).

    Seeding 👍/👎 under every turn of many rooms would exceed it, and every call past it waits
    out a 429. So seeds are spent from a bucket that refills at `per_minute`; when it is empty
    a turn goes out unseeded (people can still vote by reacting).
    """

    def __init__(self, clock: Clock, per_minute: float = 40.0) -> None:
        self._clock = clock
        self._rate = per_minute / 60.0
        self._capacity = per_minute
        self._buckets: dict[str, tuple[float, datetime]] = {}

    def take(self, workspace: str, count: int) -> bool:
        """Spend `count` seeds of the workspace's allowance if it has them."""
        now = self._clock.now()
        tokens, since = self._buckets.get(workspace, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - since).total_seconds() * self._rate)
        if tokens < count:
            self._buckets[workspace] = (tokens, now)
            return False
        self._buckets[workspace] = (tokens - count, now)
        return True
