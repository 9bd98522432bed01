"""Room locks shared through Redis: one holder across processes, renewed, freed by expiry."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.redis_fixtures import RedisSpace

pytestmark = pytest.mark.services


def _locks(redis: object, prefix: str, ttl_s: float = 10.0, renew_s: float | None = None):  # type: ignore[no-untyped-def]
    from bot.runtime.cluster.locks import RedisLocks

    return RedisLocks(redis, prefix, ttl_s=ttl_s, renew_s=renew_s, poll_s=0.01)  # type: ignore[arg-type]


async def test_two_processes_never_hold_a_room_at_once(
    redis: object, test_redis: RedisSpace
) -> None:
    first, second = _locks(redis, test_redis.prefix), _locks(redis, test_redis.prefix)
    inside: list[str] = []
    overlaps = 0

    async def hold(locks, name: str) -> None:  # type: ignore[no-untyped-def]
        nonlocal overlaps
        for _ in range(5):
            async with locks.hold(7):
                overlaps += bool(inside)
                inside.append(name)
                await asyncio.sleep(0.01)
                inside.remove(name)

    await asyncio.gather(hold(first, "a"), hold(second, "b"), hold(first, "c"))
    assert overlaps == 0


async def test_other_rooms_are_not_held_up(redis: object, test_redis: RedisSpace) -> None:
    first, second = _locks(redis, test_redis.prefix), _locks(redis, test_redis.prefix)
    async with first.hold(1):
        async with asyncio.timeout(2):
            async with second.hold(2):
                pass


async def test_a_held_lock_is_renewed_past_its_ttl(redis: object, test_redis: RedisSpace) -> None:
    first = _locks(redis, test_redis.prefix, ttl_s=0.3, renew_s=0.05)
    second = _locks(redis, test_redis.prefix, ttl_s=0.3, renew_s=0.05)
    got_in = asyncio.Event()

    async def wait_for_it() -> None:
        async with second.hold(3):
            got_in.set()

    async with first.hold(3):
        waiter = asyncio.create_task(wait_for_it())
        await asyncio.sleep(1.0)  # three TTLs: without renewal the waiter would be in
        assert not got_in.is_set()
    await asyncio.wait_for(waiter, 2)
    assert got_in.is_set()


async def test_a_dead_holders_lock_expires(redis: object, test_redis: RedisSpace) -> None:
    locks = _locks(redis, test_redis.prefix, ttl_s=0.5)
    # A process that died holding the room: its lock is in Redis, nobody renews it.
    dead = redis.lock(locks.name(4), timeout=0.5, thread_local=False)  # type: ignore[attr-defined]
    assert await dead.acquire(blocking=False)
    started = time.monotonic()
    async with asyncio.timeout(3):
        async with locks.hold(4):
            waited = time.monotonic() - started
    assert 0.2 < waited < 2.0


async def test_a_run_lease_shows_whether_its_holder_lives(
    redis: object, test_redis: RedisSpace
) -> None:
    from bot.runtime.cluster.locks import RedisLocks

    runs = RedisLocks(redis, test_redis.prefix, kind="run", ttl_s=0.3, renew_s=0.05)  # type: ignore[arg-type]
    rooms = _locks(redis, test_redis.prefix)
    assert runs.name(5) != rooms.name(5)  # a run's lease is not its room's lock
    async with runs.hold(5):
        await asyncio.sleep(0.6)  # renewed past its TTL while the run lives
        assert await runs.held(5) and not await rooms.held(5)
    assert not await runs.held(5)
    # A process that died holding a lease: nobody renews it, so it lapses.
    dead = redis.lock(runs.name(6), timeout=0.3, thread_local=False)  # type: ignore[attr-defined]
    assert await dead.acquire(blocking=False) and await runs.held(6)
    await asyncio.sleep(0.5)
    assert not await runs.held(6)


async def test_a_lease_that_lapses_while_held_says_so(
    redis: object, test_redis: RedisSpace
) -> None:
    from bot.runtime.cluster.locks import RedisLocks

    runs = RedisLocks(redis, test_redis.prefix, kind="run", ttl_s=0.3, renew_s=0.05)  # type: ignore[arg-type]
    lost = asyncio.Event()
    async with runs.hold(8, on_lost=lost.set):
        await asyncio.sleep(0.1)
        assert not lost.is_set()  # renewed while this process keeps up
        # It stalled past the TTL and another process took the lease meanwhile.
        await redis.set(runs.name(8), "another-process")  # type: ignore[attr-defined]
        await asyncio.wait_for(lost.wait(), 1)
    assert await redis.get(runs.name(8)) == b"another-process"  # type: ignore[attr-defined]
