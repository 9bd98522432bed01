"""Fixtures for the mode tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.runtime.app import Services, build_services
from bot.runtime.config import Settings
from tests.doubles import FakeClock, ManualScheduler
from tests.support import ScriptedLLM


@pytest.fixture
async def elsewhere(settings: Settings, clock: FakeClock) -> AsyncIterator[Services]:
    """Another process on the same database, running none of the rooms' runs itself."""
    async with build_services(
        settings, clock=clock, llm=ScriptedLLM(), scheduler=ManualScheduler()
    ) as other:
        yield other
