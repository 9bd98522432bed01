"""Fixtures for the cluster tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.redis_fixtures import RedisSpace


@pytest.fixture
async def redis(test_redis: RedisSpace) -> AsyncIterator[object]:
    """A Redis client on the test's server (its keys go under `test_redis.prefix`)."""
    from redis.asyncio import Redis

    client = Redis.from_url(test_redis.url)
    yield client
    await client.aclose()
