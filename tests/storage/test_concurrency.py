"""First commands of a brand-new tenant, all at once: none fails because another ran too."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.base.rooms import RoomKey
from bot.commands.replies import Caller, Reply
from bot.runtime.app import Services, build_services
from bot.runtime.config import Settings
from tests.doubles import FakeClock, ManualScheduler
from tests.postgres_fixtures import postgres_database
from tests.support import RecordingPlatform, ScriptedLLM

ADMIN = Caller("U1", "Ada", can_manage=True)


@pytest.fixture(params=["sqlite", "postgres"])
async def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Services]:
    """Services on an empty SQLite file or an empty PostgreSQL database."""
    async with contextlib.AsyncExitStack() as stack:
        url = ""
        if request.param == "postgres":
            url = await stack.enter_async_context(postgres_database())
        settings = Settings(data_dir=tmp_path, database_url=url, _env_file=None)  # type: ignore[call-arg]
        services = await stack.enter_async_context(
            build_services(
                settings, clock=FakeClock(), llm=ScriptedLLM(), scheduler=ManualScheduler()
            )
        )
        services.orchestrator.attach(RecordingPlatform(name="slack"))
        yield services


async def _run(services: Services, channel: str, text: str) -> Reply:
    key = RoomKey("slack", "TNEW", channel)
    return await services.commands.run_text(key, ADMIN, text)


async def test_fifty_first_commands_at_once_all_succeed(fresh: Services) -> None:
    starts = [_run(fresh, f"C{n}", f"start Topic {n} turns=2 pace=0") for n in range(50)]
    personas = [_run(fresh, "C0", f"persona create p{n} bio=Mine.") for n in range(10)]
    configs = [
        _run(fresh, "C0", f"consortium save team{n} members=philosopher,scientist")
        for n in range(10)
    ]
    replies = await asyncio.gather(*starts, *personas, *configs)
    assert [r.text for r in replies if r.error] == []
    assert len(await fresh.store.rooms.live()) == 50
    assert len(await fresh.store.catalog.personas("slack:TNEW")) == 10
    assert len(await fresh.store.catalog.configs("slack:TNEW", "consortium")) == 10


async def test_the_same_persona_created_twice_at_once_is_taken_once(fresh: Services) -> None:
    replies = await asyncio.gather(
        *(_run(fresh, "C0", f"persona create pirate bio=Take{n}.") for n in range(5))
    )
    created = [r for r in replies if not r.error]
    assert len(created) == 1
    assert all("already taken" in r.text for r in replies if r.error)


async def test_ten_starts_at_once_in_one_channel_make_one_room(fresh: Services) -> None:
    replies = await asyncio.gather(
        *(_run(fresh, "C1", f"start Topic {n} turns=2 pace=0") for n in range(10))
    )
    started = [r for r in replies if not r.error]
    assert len(started) == 1
    assert all("already running in this channel" in r.text for r in replies if r.error)
    assert len(await fresh.store.rooms.live()) == 1
    await _run(fresh, "C1", "stop")
    assert await fresh.store.rooms.live() == []
