"""Discord shard claims: no two processes of a cluster connect the same shard.

Two processes given overlapping CHIMERA_DISCORD_SHARDS would both hear each of those servers'
commands and act on them twice. Each process claims its shards in Redis before it connects
and renews the claims while it runs. A claim held by another process is waited for as long
as a claim lives (a process that was just killed, or is being replaced, lets go within that
time); if its holder keeps renewing it, the process refuses to start and says which shard
is taken and by whom.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.runtime.config import ConfigError

log = logging.getLogger(__name__)
TTL_S = 15.0  # how long a claim outlives a process that stopped renewing it
POLL_S = 0.5
# Renew or delete a claim only if this process still holds it (compare and act, atomically).
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


class ShardTaken(ConfigError):
    """Another live process holds one of this process's shards."""


class ShardClaims:
    """This process's claims on its Discord shards (`ids` of `count`)."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        count: int,
        ids: Sequence[int],
        *,
        ttl_s: float | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._redis = redis
        self._keys = {shard: f"{prefix}:discord-shard:{count}:{shard}" for shard in ids}
        self._count = count
        self._ttl_ms = int((TTL_S if ttl_s is None else ttl_s) * 1000)
        self._sleep = sleep
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    async def claim(self, wait_s: float | None = None) -> None:
        """Claim every shard, waiting up to `wait_s` for claims held elsewhere to lapse
        (by default a little longer than a claim lives).

        Raises ShardTaken, holding nothing, if a shard is still held after that.
        """
        wait_s = self._ttl_ms / 1000 + 2 * POLL_S if wait_s is None else wait_s
        waited = 0.0
        while taken := await self._try_all():
            if waited >= wait_s:
                await self.release()
                shards = ", ".join(f"{shard} (by {holder})" for shard, holder in taken.items())
                raise ShardTaken(
                    f"Discord shard {shards} of {self._count} is already connected by another "
                    "process; give every process its own CHIMERA_DISCORD_SHARDS"
                )
            if not waited:
                log.warning("waiting for Discord shard(s) %s to be let go", sorted(taken))
            await self._sleep(POLL_S)
            waited += POLL_S

    async def keep(self, every_s: float | None = None) -> None:
        """Renew the claims until cancelled (run as an owned task).

        Raises ShardTaken if a claim lapsed (the process stalled past its TTL) and another
        process may have taken the shard: this one must not go on serving it.
        """
        while True:
            await self._sleep(every_s if every_s is not None else self._ttl_ms / 3000)
            try:
                for shard, key in self._keys.items():
                    if not await self._renew(keys=[key], args=[self.owner, self._ttl_ms]):
                        raise ShardTaken(f"Discord shard {shard}: this process's claim lapsed")
            except (RedisError, OSError) as exc:  # try again; the TTL leaves a margin
                log.warning("renewing the Discord shard claims failed: %s", exc)

    async def release(self) -> None:
        """Let go of the claims this process holds."""
        for key in self._keys.values():
            await self._release(keys=[key], args=[self.owner])

    async def _try_all(self) -> dict[int, str]:
        """Claim what is free; return the shards held by others, with their holders."""
        taken = {}
        for shard, key in self._keys.items():
            while not await self._redis.set(key, self.owner, px=self._ttl_ms, nx=True):
                holder = await self._redis.get(key)
                if holder is None:  # it lapsed just now: try again
                    continue
                if holder.decode() != self.owner:
                    taken[shard] = holder.decode()
                break
        return taken
