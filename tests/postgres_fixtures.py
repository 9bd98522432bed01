"""PostgreSQL fixtures for any test: a fresh database per test, mandatory when CI=true."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator

import pytest

ADMIN_URL = os.environ.get("CHIMERA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


async def _admin_connection():  # type: ignore[no-untyped-def]
    asyncpg = pytest.importorskip("asyncpg")
    try:
        return await asyncpg.connect(ADMIN_URL, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("CI") == "true":
            raise AssertionError(f"PostgreSQL is required in CI but unreachable: {exc}") from exc
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL} ({exc}); set CI=true to require it")


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """The URL of a fresh, empty PostgreSQL database (dropped afterwards)."""
    async with postgres_database() as url:
        yield url


@contextlib.asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """Create a fresh database; skip (or fail under CI=true) when PostgreSQL is not there."""
    admin = await _admin_connection()
    name = f"chimera_test_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (
            ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
            + f"/{name}"
        )
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
