"""Prometheus metrics at /metrics: turns, model calls and cost, lateness and step time, live
rooms and pending steps, and the optional bearer token."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.llm.types import ChatRequest, LLMError, Message
from bot.runtime.metrics import MeteredLLM, Metrics
from bot.runtime.scheduler import LocalScheduler
from storage.store import open_store
from tests.doubles import FakeClock
from tests.history import ACME, ADMIN, PRICE_USD, PRICED, seeded_site
from tests.support import ScriptedLLM


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Return every sample of an exposition by (name, sorted labels)."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_count_turns_calls_cost_and_live_rooms(tmp_path: Path) -> None:
    async with seeded_site(tmp_path) as site, aiohttp.ClientSession() as http:
        await site.services.commands.run_text(ACME, ADMIN, "start Still going turns=5 pace=60")
        # The hand-run scheduler keeps its step in memory; a real one stores it on the room.
        room = await site.services.store.rooms.current(ACME)
        assert room is not None
        step = await site.services.scheduler.pending(room.id)
        await site.services.store.steps.save(room.id, step)
        async with http.get(f"{site.url}/metrics") as response:
            assert response.status == 200
            assert response.content_type == "text/plain"
            found = samples(await response.text())
    turns = ("chimera_turns_total", (("mode", "debate"), ("platform", "test")))
    assert found[turns] == 6
    assert found[("chimera_llm_calls_total", (("model", PRICED), ("outcome", "ok")))] == 5
    cost = found[("chimera_llm_cost_usd_total", (("model", PRICED),))]
    assert abs(cost - 5 * PRICE_USD) < 1e-9
    assert found[("chimera_llm_latency_seconds_count", (("model", PRICED),))] == 5
    assert found[("chimera_rooms_active", (("mode", "chat"),))] == 1
    assert found[("chimera_rooms_active", (("mode", "debate"),))] == 0
    assert found[("chimera_pending_steps", ())] == 1
    assert found[("chimera_memory_backlog", ())] == 0
    assert not any(name.endswith("_created") for name, _ in found)


async def test_a_metrics_token_is_asked_for_when_set(tmp_path: Path) -> None:
    async with (
        seeded_site(tmp_path, metrics_token="scrape-me-please") as site,
        aiohttp.ClientSession() as http,
    ):
        async with http.get(f"{site.url}/metrics") as response:
            assert response.status == 401 and response.headers["WWW-Authenticate"] == "Bearer"
        wrong = {"Authorization": "Bearer nope"}
        async with http.get(f"{site.url}/metrics", headers=wrong) as response:
            assert response.status == 401
        right = {"Authorization": "Bearer scrape-me-please"}
        async with http.get(f"{site.url}/metrics", headers=right) as response:
            assert response.status == 200 and "chimera_turns_total" in await response.text()


async def test_failed_model_calls_are_counted_as_errors() -> None:
    metrics, llm = Metrics(), ScriptedLLM()
    metered = MeteredLLM(llm, metrics)
    llm.fail_next = ["timed out"]
    request = ChatRequest("openai/x", (Message("user", "hi"),))
    with pytest.raises(LLMError):
        await metered.complete(request)
    await metered.complete(request)
    parts = [part async for part in metered.stream(request)]
    assert parts[-1].usage.model == "openai/x"  # type: ignore[union-attr]
    value = metrics.registry.get_sample_value
    assert value("chimera_llm_calls_total", {"model": "openai/x", "outcome": "error"}) == 1
    assert value("chimera_llm_calls_total", {"model": "openai/x", "outcome": "ok"}) == 2


async def test_the_scheduler_records_how_late_a_step_started_and_how_long_it_ran(
    tmp_path: Path,
) -> None:
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path}/steps.db")
    clock, metrics, ran = FakeClock(datetime.now(UTC)), Metrics(), asyncio.Event()

    async def step(room_id: int, seq: int, action: str) -> None:
        clock.advance(2)  # the step takes two (fake) seconds
        ran.set()

    scheduler = LocalScheduler(store.steps, clock, step, metrics=metrics)
    await scheduler.start()
    try:
        await scheduler.schedule(1, 1, "turn", clock.now() - timedelta(seconds=5))
        await asyncio.wait_for(ran.wait(), 10)
        await asyncio.sleep(0)  # let the finally of the step record
        assert await scheduler.healthy()
    finally:
        await scheduler.shutdown()
        await store.db.close()
    value = metrics.registry.get_sample_value
    assert value("chimera_turn_lateness_seconds_count") == 1
    assert value("chimera_turn_lateness_seconds_sum") == 5
    assert value("chimera_turn_lateness_seconds_bucket", {"le": "2.5"}) == 0
    assert value("chimera_step_seconds_sum") == 2
    assert not await scheduler.healthy()  # shut down
