"""The same storage code on PostgreSQL (asyncpg): migrations, a room's life, votes, records."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.base.rooms import RoomKey, RoomState
from bot.commands.replies import Caller
from bot.runtime.app import Services, build_services
from bot.runtime.config import Settings
from storage.db import Database
from tests.doubles import FakeClock, ManualScheduler
from tests.storage.test_migrations import schema_differences
from tests.support import RecordingPlatform, ScriptedLLM, run_until_quiet


@pytest.fixture
async def pg_services(pg_url: str, tmp_path: Path) -> AsyncIterator[tuple[Services, FakeClock]]:
    settings = Settings(data_dir=tmp_path, database_url=pg_url, _env_file=None)  # type: ignore[call-arg]
    clock = FakeClock()
    async with build_services(
        settings, clock=clock, llm=ScriptedLLM(), scheduler=ManualScheduler()
    ) as services:
        yield services, clock


async def test_a_debate_runs_and_is_recorded_on_postgres(
    pg_services: tuple[Services, FakeClock],
) -> None:
    services, clock = pg_services
    platform = RecordingPlatform()
    services.orchestrator.attach(platform)
    key = RoomKey("test", "team", "pg")
    caller = Caller("u1", "Ada", True)
    reply = await services.commands.run(
        key,
        caller,
        "start",
        {"topic": "Adopt Postgres?", "mode": "debate", "rounds": "1", "pace": "0"},
    )
    assert not reply.error, reply.text
    await services.scheduler.run_due(clock.now())  # type: ignore[attr-defined]
    assert await services.orchestrator.on_reaction("test", "m2", "alice", "👍", True)
    assert await services.orchestrator.on_reaction("test", "m2", "alice", "👎", True)  # last wins
    await run_until_quiet(services, clock)
    room = await services.store.rooms.latest(key)
    assert room is not None and room.state is RoomState.FINISHED
    assert room.persona_turns == 6
    decision = await services.store.records.decision(room.id)
    assert decision is not None and decision.verdict == "for"
    first_poll = (await services.store.polls.of_room(room.id, "turn"))[0]
    assert dict(await services.store.polls.tally(first_poll.id)) == {"👎": 1}
    assert await services.store.events.first_time("slack", "Ev1")
    assert not await services.store.events.first_time("slack", "Ev1")


async def test_migrations_match_the_models_on_postgres(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        await db.migrate()
        async with db.engine.connect() as conn:
            assert await conn.run_sync(schema_differences) == []
    finally:
        await db.close()


async def test_forks_and_schedule_claims_work_on_postgres(
    pg_services: tuple[Services, FakeClock],
) -> None:
    services, clock = pg_services
    services.orchestrator.attach(RecordingPlatform())
    key, side = RoomKey("test", "team", "pg"), RoomKey("test", "team", "pg", "side")
    caller = Caller("u1", "Ada", True)
    run = services.commands.run
    assert not (await run(key, caller, "start", {"topic": "Tea?", "turns": "3", "pace": "0"})).error
    await run_until_quiet(services, clock)
    assert not (await run(side, caller, "fork", {"room": "1", "at": "2"})).error
    turns = await services.store.rooms.transcript(2)
    assert [(t.seq, t.inherited) for t in turns] == [(1, True), (2, True)]

    args = {"topic": "Standup", "every": "0 9 * * *", "turns": "1"}
    assert not (await run(key, caller, "schedule add", args)).error
    due = clock.now()
    await services.recurring.fire(1, due)
    await services.recurring.fire(1, due)  # the same time again: claimed already
    (schedule,) = await services.store.schedules.of_tenant(key.tenant_id)
    assert schedule.last_outcome.endswith("started room 3")
    assert (await services.store.rooms.latest(key)).id == 3  # type: ignore[union-attr]
