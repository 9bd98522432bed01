"""Fixtures: the seeded dashboard (tests/history.py) and an HTTP client that keeps cookies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.history import Site, seeded_site


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    """The seeded dashboard."""
    async with seeded_site(tmp_path) as running:
        yield running


@pytest.fixture
async def browser_session() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client that keeps cookies (as a browser would) and follows no redirects."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session
