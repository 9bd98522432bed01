"""Discord shard claims: two processes never connect the same shard."""

from __future__ import annotations

from typing import Any

import pytest

from tests.redis_fixtures import RedisSpace

pytestmark = pytest.mark.services


class Waits:
    """An injected sleep: records each wait and can do something meanwhile (no real time)."""

    def __init__(self, meanwhile: Any = None) -> None:
        self.waits: list[float] = []
        self.meanwhile = meanwhile

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.meanwhile is not None:
            await self.meanwhile()


def _claims(redis: Any, prefix: str, ids: list[int], sleep: Any = None) -> Any:
    from bot.runtime.cluster.shards import ShardClaims

    return ShardClaims(redis, prefix, 4, ids, sleep=sleep or Waits())


async def test_a_shard_held_by_a_live_process_is_refused_and_nothing_is_kept(
    redis: Any, test_redis: RedisSpace
) -> None:
    from bot.runtime.cluster.shards import ShardTaken

    first = _claims(redis, test_redis.prefix, [0, 1])
    await first.claim()
    waits = Waits()
    second = _claims(redis, test_redis.prefix, [1, 2], waits)
    with pytest.raises(ShardTaken) as refused:
        await second.claim(wait_s=2.0)
    assert f"shard 1 (by {first.owner}) of 4 is already connected" in str(refused.value)
    assert "CHIMERA_DISCORD_SHARDS" in str(refused.value)
    assert sum(waits.waits) >= 2.0  # it gave the holder the time a dead one would need
    third = _claims(redis, test_redis.prefix, [2, 3])
    await third.claim(wait_s=0)  # shard 2 was let go when the second process gave up


async def test_a_claim_left_by_a_killed_process_is_waited_for(
    redis: Any, test_redis: RedisSpace
) -> None:
    killed = _claims(redis, test_redis.prefix, [0])
    await killed.claim()
    key = next(iter(killed._keys.values()))

    async def lapse() -> None:  # the killed process renews no more: its claim expires
        await redis.delete(key)

    waits = Waits(lapse)
    restarted = _claims(redis, test_redis.prefix, [0], waits)
    await restarted.claim()
    assert len(waits.waits) == 1 and await redis.get(key) == restarted.owner.encode()


async def test_claims_are_renewed_and_a_lapsed_one_stops_the_process(
    redis: Any, test_redis: RedisSpace
) -> None:
    from bot.runtime.cluster.shards import ShardTaken

    rounds, ttls = 0, []

    async def after_two_renewals() -> None:
        nonlocal rounds
        rounds += 1
        if rounds == 2:
            ttls.append(await redis.pttl(key))  # renewed after the first wait
        if rounds == 3:  # stalled past the TTL; another process took the shard meanwhile
            await redis.set(key, "other:1:abc")

    claims = _claims(redis, test_redis.prefix, [3], Waits(after_two_renewals))
    await claims.claim()
    key = next(iter(claims._keys.values()))
    await redis.pexpire(key, 1000)
    with pytest.raises(ShardTaken, match="shard 3: this process's claim lapsed"):
        await claims.keep()
    assert ttls[0] > 10_000  # back to 15 s from the 1 s it had left
    assert rounds == 3 and await redis.get(key) == b"other:1:abc"  # not taken back
    await claims.release()
    assert await redis.get(key) == b"other:1:abc"  # only its own claims are let go
