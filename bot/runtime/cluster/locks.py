"""Room locks shared by every process: a Redis lock per room, kept alive while it is held.

A lock expires on its own (`ttl_s`) if its holder dies, so another process can take the room
over; while the holder lives, a keeper task renews it. A holder that stalls past the TTL can
lose the lock without knowing: the room's sequence number is the fence that keeps it from
writing a turn twice (storage/rooms.py, `at_seq`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, LockNotOwnedError, RedisError

from bot.base.locks import KeyedLocks

log = logging.getLogger(__name__)


class RedisLocks:
    """One Redis lock per room, shared by all processes; renewed while a block holds it.

    `kind` names what is locked: "room" for steps and commands, "run" for the lease a
    consortium or compare run holds while it lives.
    """

    shared = True

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        *,
        kind: str = "room",
        ttl_s: float = 10.0,
        renew_s: float | None = None,
        poll_s: float = 0.05,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._kind = kind
        self._ttl_s = ttl_s
        self._renew_s = renew_s if renew_s is not None else ttl_s / 3
        self._poll_s = poll_s
        self._local: KeyedLocks[int] = KeyedLocks()  # this process's waiters queue here

    def name(self, key: int) -> str:
        """Return the Redis key of a room's lock."""
        return f"{self._prefix}:lock:{self._kind}:{key}"

    async def held(self, key: int) -> bool:
        """Tell whether some process holds the room's lock now (its holder is alive)."""
        return bool(await self._redis.exists(self.name(key)))

    @asynccontextmanager
    async def hold(
        self, key: int, on_lost: Callable[[], None] | None = None
    ) -> AsyncIterator[None]:
        """Hold the room's lock in every process for the duration of the block.

        If the lock lapses while held (this process stalled past its TTL), `on_lost` is
        called: another process may hold it now.
        """
        async with self._local.hold(key):
            lock = self._redis.lock(
                self.name(key), timeout=self._ttl_s, sleep=self._poll_s, thread_local=False
            )
            await lock.acquire()
            keeper = asyncio.get_running_loop().create_task(
                self._keep(lock, key, on_lost), name=f"chimera:{self._kind}-lock-{key}"
            )
            try:
                yield
            finally:
                keeper.cancel()
                await asyncio.gather(keeper, return_exceptions=True)
                await _release(lock, key)

    async def _keep(self, lock: Lock, key: int, on_lost: Callable[[], None] | None) -> None:
        while True:
            # Wall-clock time on purpose: Redis counts the lock's TTL in real seconds.
            await asyncio.sleep(self._renew_s)
            try:
                await lock.reacquire()
            except LockNotOwnedError:
                log.warning("room %s: its %s lock expired while held (a stall?)", key, self._kind)
                if on_lost is not None:
                    on_lost()
                return
            except (RedisError, OSError) as exc:  # try again; the TTL leaves a margin
                log.warning("room %s: renewing its lock failed: %s", key, exc)


async def _release(lock: Lock, key: int) -> None:
    try:
        await lock.release()
    except LockNotOwnedError:
        log.warning("room %s: its lock had expired before the block ended", key)
    except (LockError, RedisError, OSError) as exc:  # it expires by itself
        log.warning("room %s: releasing its lock failed: %s", key, exc)
