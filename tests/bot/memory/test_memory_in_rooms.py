"""Memory through the orchestrator: ingested documents reach prompts and citations, per tenant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.base.rooms import RoomKey
from bot.commands.replies import Caller
from bot.memory.records import Kind
from bot.memory.store import MemoryStore
from bot.runtime.app import Services, build_services
from bot.runtime.config import Settings
from tests.doubles import FakeClock, ManualScheduler
from tests.support import RecordingPlatform, ScriptedLLM, run_until_quiet

HANDBOOK = (
    "Deployment handbook. Production deploys happen on Tuesdays and Thursdays only. "
    "Every deploy needs a rollback plan reviewed by the on-call engineer. "
    "Database migrations run in a separate window before the application deploy."
)
TEAM_A = RoomKey("test", "team-a", "ops")
TEAM_B = RoomKey("test", "team-b", "ops")
ADMIN = Caller("u1", "Ada", True)


def _cite_first_passage(request) -> str:  # type: ignore[no-untyped-def]
    memory = request.hints.get("memory") or []
    if not memory:
        return f"No sources, says {request.hints['persona']['name']}."
    return f"As the handbook says [1], {memory[0]['text'][:40]}"


@pytest.fixture
async def core(
    tmp_path: Path, store: MemoryStore
) -> AsyncIterator[tuple[Services, FakeClock, RecordingPlatform, ScriptedLLM]]:
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    clock, platform, llm = FakeClock(), RecordingPlatform(), ScriptedLLM(_cite_first_passage)
    async with build_services(
        settings, clock=clock, llm=llm, scheduler=ManualScheduler(), memory=store
    ) as services:
        services.orchestrator.attach(platform)
        yield services, clock, platform, llm


async def test_an_ingested_document_is_cited_in_its_tenant_only(
    core: tuple[Services, FakeClock, RecordingPlatform, ScriptedLLM], store: MemoryStore
) -> None:
    services, clock, platform, llm = core
    await store.ingest(TEAM_A.tenant_id, "handbook.md", HANDBOOK, "markdown")
    for key in (TEAM_A, TEAM_B):
        args = {"topic": "When should we deploy the database migration?", "turns": "1", "pace": "0"}
        assert not (await services.commands.run(key, ADMIN, "start", args)).error
        await run_until_quiet(services, clock)
    team_a_post, team_b_post = platform.turns
    assert "Sources: [1] handbook.md" in team_a_post.footer
    assert "Tuesdays" in llm.requests[0].messages[0].content
    assert team_b_post.text.startswith("No sources, says ")
    assert all("Tuesdays" not in m.content for m in llm.requests[1].messages)


async def test_turns_are_remembered_for_later_rooms(
    core: tuple[Services, FakeClock, RecordingPlatform, ScriptedLLM], store: MemoryStore
) -> None:
    services, clock, _, _ = core
    args = {"topic": "Pineapple on pizza", "turns": "2", "pace": "0"}
    assert not (await services.commands.run(TEAM_A, ADMIN, "start", args)).error
    await run_until_quiet(services, clock)
    assert services.writer is not None and await services.writer.drained(20)
    hits = await store.search(TEAM_A.tenant_id, "turn", k=5, kinds=["turn"])
    assert len(hits) >= 2
    assert await store.search(TEAM_B.tenant_id, "turn", k=5, kinds=["turn"]) == []


async def test_a_second_room_in_the_same_channel_keeps_the_first_rooms_turns(
    core: tuple[Services, FakeClock, RecordingPlatform, ScriptedLLM], store: MemoryStore
) -> None:
    services, clock, _, llm = core
    llm.script = lambda request: f"On {request.hints['topic']}, turn {request.hints['turn']}."
    for topic in ("Pineapple on pizza", "Cats versus dogs"):
        args = {"topic": topic, "turns": "2", "pace": "0"}
        assert not (await services.commands.run(TEAM_A, ADMIN, "start", args)).error
        await run_until_quiet(services, clock)
    assert services.writer is not None and await services.writer.drained(20)
    stats = await store.stats(TEAM_A.tenant_id)
    assert stats.by_kind[Kind.TURN] == 4
