"""Redis fixtures for any test: a key prefix of its own per test, mandatory when CI=true."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

# Database 12 of the shared server, and a fresh key prefix per test.
REDIS_URL = os.environ.get("CHIMERA_TEST_REDIS", "redis://127.0.0.1:6379/12")


@dataclass(frozen=True)
class RedisSpace:
    """Where a test's Redis keys go: the server's URL and the test's own key prefix."""

    url: str
    prefix: str


async def _reachable() -> None:
    redis = pytest.importorskip("redis.asyncio")
    pytest.importorskip("saq")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        await client.ping()
    except (OSError, redis.RedisError) as exc:
        if os.environ.get("CI") == "true":
            raise AssertionError(f"Redis is required in CI but unreachable: {exc}") from exc
        pytest.skip(f"Redis not reachable at {REDIS_URL} ({exc}); set CI=true to require it")
    finally:
        await client.aclose()


@pytest.fixture
async def test_redis() -> AsyncIterator[RedisSpace]:
    """A Redis server and a key prefix no other test uses (its keys deleted afterwards)."""
    async with redis_prefix() as where:
        yield where


@contextlib.asynccontextmanager
async def redis_prefix() -> AsyncIterator[RedisSpace]:
    """Check Redis is there (skip, or fail under CI=true) and hand out a fresh prefix."""
    await _reachable()
    import redis.asyncio as redis

    prefix = f"t{uuid.uuid4().hex[:10]}"
    try:
        yield RedisSpace(REDIS_URL, prefix)
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        try:
            for pattern in (f"{prefix}*", f"saq:{prefix}*", f"saq:*:{prefix}*"):
                keys = [key async for key in client.scan_iter(match=pattern, count=500)]
                if keys:
                    await client.delete(*keys)
        finally:
            await client.aclose()
