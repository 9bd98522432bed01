"""A channel's posting pace shared by every process: the next free moment, kept in Redis."""

from __future__ import annotations

from datetime import datetime, timedelta

from redis.asyncio import Redis

# Claims the channel if it is free at `now` (all in ms on the processes' clocks) and returns
# 0; else returns how long until it is free. The key outlives the slot a little, then goes.
_CLAIM = """
local free_at = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = tonumber(ARGV[1])
if now >= free_at then
  redis.call('SET', KEYS[1], now + tonumber(ARGV[2]), 'PX', tonumber(ARGV[2]) + 60000)
  return 0
end
return free_at - now
"""


class RedisPostingSlots:
    """One post per interval per channel across processes (Slack takes about one a second)."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._claim = redis.register_script(_CLAIM)
        self._prefix = prefix

    async def claim(self, channel: str, now: datetime, interval: timedelta) -> float:
        """Take the channel's next slot if it is free now (0), else say how long to wait (s)."""
        key = f"{self._prefix}:pace:{channel}"
        now_ms, interval_ms = int(now.timestamp() * 1000), int(interval.total_seconds() * 1000)
        wait_ms = await self._claim(keys=[key], args=[now_ms, interval_ms])
        return int(wait_ms) / 1000
