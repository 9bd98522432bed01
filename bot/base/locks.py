"""Per-key locks: the interface, and asyncio locks dropped once nobody holds or waits for them.

One process uses these; several processes sharing rooms use Redis locks of the same shape
(bot/runtime/cluster/locks.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Generic, Protocol, TypeVar

K = TypeVar("K", bound=Hashable)
K_contra = TypeVar("K_contra", bound=Hashable, contravariant=True)


class Locks(Protocol[K_contra]):
    """One lock per key, held for the duration of a block."""

    def hold(self, key: K_contra) -> AbstractAsyncContextManager[None]:
        """Hold the key's lock for the duration of the block."""
        ...


class Leases(Locks[K_contra], Protocol[K_contra]):
    """Locks held for as long as a background run lives, so others can see it is alive."""

    shared: bool  # seen by every process (a held lease may be another process's run)

    def hold(
        self, key: K_contra, on_lost: Callable[[], None] | None = None
    ) -> AbstractAsyncContextManager[None]:
        """Hold the key's lock for the block; `on_lost` is called if it lapses meanwhile
        (its holder stalled past the lock's lifetime and another may have taken it)."""
        ...

    async def held(self, key: K_contra) -> bool:
        """Tell whether anyone holds the key's lock now."""
        ...


class KeyedLocks(Generic[K]):
    """One lock per key (a room, a channel, a user); the table shrinks as keys go quiet."""

    shared = False  # one process's

    def __init__(self) -> None:
        self._locks: dict[K, asyncio.Lock] = {}
        self._users: dict[K, int] = {}

    @asynccontextmanager
    async def hold(self, key: K, on_lost: Callable[[], None] | None = None) -> AsyncIterator[None]:
        """Hold the key's lock for the duration of the block (a local lock is never lost)."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]

    def locked(self, key: K) -> bool:
        """Tell whether someone holds the key's lock now."""
        lock = self._locks.get(key)
        return lock is not None and lock.locked()

    async def held(self, key: K) -> bool:
        """Tell whether someone holds the key's lock now (as a lease)."""
        return self.locked(key)

    def __len__(self) -> int:
        return len(self._locks)
