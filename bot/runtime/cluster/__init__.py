"""Cluster mode: the Redis-backed pieces several `chimera serve` processes share.

Imported only when CHIMERA_REDIS_URL is set (it needs the `cluster` extra: saq and redis).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from redis.asyncio import Redis
from saq.queue.redis import RedisQueue

from bot.runtime.cluster.locks import RedisLocks
from bot.runtime.cluster.pacing import RedisPostingSlots

SWEEP_ABORT_WAIT_S = 0.2


class StepQueue(RedisQueue):
    """SAQ's Redis queue, waiting only briefly for a stuck job's dead worker to let go.

    SAQ's sweep asks a stuck job to abort and waits (5 s by default) for its worker to
    confirm, one job after another. A job is stuck here because its heartbeat stopped: its
    worker is gone and will never confirm, so a long wait only delays the retry.
    """

    async def sweep(self, lock: int = 60, abort: float = SWEEP_ABORT_WAIT_S) -> list[str]:
        """Retry the jobs whose worker died (their heartbeat stopped)."""
        return await super().sweep(lock, abort)


@dataclass
class Cluster:
    """The Redis client, the step queue, the room locks, the runs' leases and channels'
    posting slots."""

    redis: Redis
    queue: StepQueue
    locks: RedisLocks
    runs: RedisLocks
    slots: RedisPostingSlots

    async def healthy(self) -> bool:
        """Tell whether Redis answers."""
        answer = self.redis.ping()  # typed for both clients; the asyncio one's is awaitable
        return bool(await answer) if inspect.isawaitable(answer) else bool(answer)

    async def close(self) -> None:
        """Close the queue and the Redis connections."""
        await self.queue.disconnect()  # closes the shared client too


def open_cluster(url: str, prefix: str, *, lock_ttl_s: float = 10.0) -> Cluster:
    """Build the cluster's clients on the Redis at `url`, every key under `prefix`."""
    redis = Redis.from_url(url)
    queue = StepQueue(redis, name=f"{prefix}-steps")
    locks = RedisLocks(redis, prefix, ttl_s=lock_ttl_s)
    runs = RedisLocks(redis, prefix, kind="run", ttl_s=lock_ttl_s)
    return Cluster(redis, queue, locks, runs, RedisPostingSlots(redis, prefix))
