"""Spend caps: `budget` shows them, managers set them, and a room over them is refused first."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.base.rooms import RoomKey
from bot.commands.replies import Caller
from bot.runtime.app import Services
from storage.models import UsageRow
from tests.doubles import FakeClock
from tests.support import ScriptedLLM

KEY = RoomKey("test", "guild-a", "general")
OTHER = RoomKey("test", "guild-b", "general")
ADMIN = Caller("u1", "Ada", can_manage=True)
MEMBER = Caller("u2", "Bob", can_manage=False)
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


async def run(services: Services, text: str, caller: Caller = ADMIN, key: RoomKey = KEY) -> str:
    reply = await services.commands.run_text(key, caller, text)
    return ("ERROR " if reply.error else "") + reply.text + str(reply.fields)


async def spent(
    services: Services,
    calls: int,
    cost: float | None,
    *,
    tokens: int = 100,
    when: datetime = NOW,
    key: RoomKey = KEY,
) -> None:
    """Record `calls` model calls of a finished room of the tenant, each costing `cost`."""
    assert "ERROR" not in await run(services, "start Earlier turns=1", key=key)
    await run(services, "stop", key=key)
    room = await services.store.rooms.latest(key)
    assert room is not None
    async with services.store.db.sessions.begin() as session:
        for _ in range(calls):
            session.add(
                UsageRow(
                    room_id=room.id,
                    model="openai/x",
                    prompt_tokens=tokens // 2,
                    completion_tokens=tokens - tokens // 2,
                    cost_usd=cost,
                    latency_ms=1.0,
                    created_at=when,
                )
            )


async def test_budget_shows_no_caps_then_the_caps_and_the_spend(services: Services) -> None:
    assert "No spend caps are set" in await run(services, "budget", MEMBER)
    await spent(services, 3, 0.02)
    await spent(services, 2, 0.05, when=datetime(2026, 1, 3, tzinfo=UTC))  # this month only
    await spent(services, 4, None, tokens=250)
    assert "daily $2.00, monthly $20.00" in await run(
        services, "budget set daily=2.00 monthly=20 usd"
    )
    shown = await run(services, "budget", MEMBER)
    assert (
        "('Today', '$0.06 of $2.00 in 7 model calls; 1,000 tokens on models without a price')"
        in shown
    )
    assert "('This month', '$0.16 of $20.00 in 9 model calls; 1,000 tokens" in shown
    assert "No spend caps" in await run(services, "budget", MEMBER, OTHER)  # per tenant


async def test_only_managers_set_caps_and_bad_values_are_explained(services: Services) -> None:
    assert "needs permission" in await run(services, "budget set daily=1", MEMBER)
    assert (
        "daily must be between 0 and 1,000,000 (got nan)"
        in (await run(services, "budget set daily=nan")).lower()
    )
    assert "must be an amount in dollars" in await run(services, "budget set monthly=lots")
    assert "whole number of tokens" in await run(services, "budget set daily_tokens=1.5")
    assert "currency must be one of usd" in (await run(services, "budget set daily=1 eur")).lower()
    await run(services, "budget set daily=$1.50 daily_tokens=50_000")
    assert "daily no cap, monthly no cap, daily tokens 50,000" in await run(
        services, "budget set daily=none"
    )


async def test_a_room_over_the_daily_cap_is_refused_before_any_call(
    services: Services, llm: ScriptedLLM
) -> None:
    await spent(services, 3, 0.01)  # $0.03 today: $0.01 a call
    await run(services, "budget set daily=0.05")
    before = len(llm.requests)
    refused = await run(services, "start Cats turns=3")
    assert refused.startswith("ERROR That would go over today's budget: $0.03 of $0.05 spent")
    assert "its 3 model calls at about $0.0100 each come to about $0.03 more" in refused
    assert len(llm.requests) == before
    assert (await services.store.rooms.latest(KEY)).topic == "Earlier"  # type: ignore[union-attr]
    assert "ERROR" not in await run(services, "start Cats turns=2")  # $0.05: just within


async def test_the_monthly_cap_counts_earlier_days(services: Services) -> None:
    await spent(services, 2, 0.5, when=datetime(2026, 1, 2, tzinfo=UTC))
    await run(services, "budget set daily=5 monthly=1")
    refused = await run(services, "start Dogs turns=1")
    assert "over this month's budget: $1.00 of $1.00 spent" in refused


async def test_unpriced_models_count_tokens_against_the_token_cap(services: Services) -> None:
    await spent(services, 2, None, tokens=400)
    await run(services, "budget set daily_tokens=1000")
    refused = await run(services, "ask Which is better? config=nothing")
    assert "ERROR" in refused
    refused = await run(services, "ask Which is better?")
    assert "over today's token budget for unpriced models: 800 of 1,000 tokens used" in refused
    assert "at about 400 tokens each" in refused


async def test_a_consortium_run_is_priced_by_members_times_iterations(services: Services) -> None:
    await spent(services, 1, 0.01)
    await run(services, "consortium save duo members=poet,critic max=4")
    await run(services, "budget set daily=0.10")
    refused = await run(services, "consortium run duo Tea or coffee?")
    assert "its 12 model calls" in refused  # (2 members + the arbiter) × 4 iterations
