"""`stats` and `dashboard`: a tenant's figures per persona, per model and in all, and links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import func, select, update

from bot.commands.replies import Caller
from bot.runtime.app import Services
from storage.models import DecisionRow, PollRow, TurnRow, UsageRow
from tests.doubles import FakeClock
from tests.history import ACME, ADMIN, PRICED, RIVAL, PricedLLM, seed

MEMBER = Caller("u9", "Bob", can_manage=False)


@pytest.fixture
def llm() -> PricedLLM:
    return PricedLLM()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


@pytest.fixture
async def seeded(services: Services, clock: FakeClock) -> Services:
    await seed(services, clock)
    return services


async def stats(services: Services, text: str, caller: Caller = MEMBER) -> dict[str, str]:
    reply = await services.commands.run_text(ACME, caller, text)
    assert not reply.error, reply.text
    return dict(reply.fields)


async def test_totals_count_the_tenants_rooms_calls_and_busiest_channel(seeded: Services) -> None:
    reply = await seeded.commands.run_text(ACME, MEMBER, "stats")
    assert reply.title == "Stats — the last 7 days"
    assert reply.text.startswith("4 rooms, 23 persona turns, 25 model calls, ")
    assert reply.text.endswith("cost $0.0020 + unknown for 20 calls.")
    fields = dict(reply.fields)
    assert fields["Rooms by mode"].count(" 1") == 4
    assert fields["Most active channels"] == "general 28 messages"
    assert fields["Top personas"].startswith("🦉 The Philosopher: 6 turns, 👍 2 👎 0")
    rival = await seeded.commands.run_text(RIVAL, MEMBER, "stats")
    assert rival.text.startswith("1 room, 2 persona turns, 2 model calls")  # its own only


async def test_per_persona_figures(seeded: Services) -> None:
    rows = await stats(seeded, "stats persona")
    philosopher = rows["🦉 The Philosopher"]
    assert philosopher.startswith("6 turns · ")
    assert "$0.0008 + unknown for 3 calls" in philosopher
    assert "p50 30 ms, p95 600 ms" in philosopher and "👍 2 👎 0 (40% of 👍)" in philosopher
    assert rows["🪶 The Poet"].endswith("compare 1W 0L, Elo 1516")
    assert rows["👍 The Advocate"].endswith("debate sides won 1 of 1")
    assert rows["👎 The Critic"].endswith("debate sides won 0 of 1")
    assert not any("/" in name for name in rows)  # a bare model is a model, not a persona


async def test_per_model_figures(seeded: Services) -> None:
    rows = await stats(seeded, "stats model")
    async with seeded.store.db.sessions() as session:
        tokens = await session.scalar(
            select(func.sum(UsageRow.prompt_tokens + UsageRow.completion_tokens)).where(
                UsageRow.model == PRICED
            )
        )
    assert rows[PRICED] == (
        f"5 calls (5 turns) · {tokens:,} tokens · $0.0020 · p50 600 ms, p95 800 ms · "
        "👍 3 👎 1 (60% of 👍) · compare 0W 1L, Elo 1484"
    )
    assert rows["chimera/offline-demo"].startswith("20 calls (17 turns) · ")
    assert "cost unknown" in rows["chimera/offline-demo"]


async def test_since_leaves_out_what_is_older(seeded: Services) -> None:
    earlier = datetime.now(UTC) - timedelta(hours=2)
    debate = 1  # the first room tests/history.py makes
    async with seeded.store.db.sessions.begin() as session:  # the debate happened earlier
        for table in (TurnRow, UsageRow, PollRow, DecisionRow):
            await session.execute(
                update(table).where(table.room_id == debate).values(created_at=earlier)
            )
    recent = await seeded.commands.run_text(ACME, MEMBER, "stats persona since=1h")
    assert "🎙️ The Moderator" not in dict(recent.fields)
    assert "🎙️ The Moderator" in await stats(seeded, "stats persona since=1d")
    wrong = await seeded.commands.run_text(ACME, MEMBER, "stats since=later")
    assert wrong.error and "Since must look like 30m, 12h, 7d, 4w or all" in wrong.text


async def test_chart_yes_attaches_votes_and_cost_pngs(seeded: Services) -> None:
    reply = await seeded.commands.run_text(ACME, MEMBER, "stats room chart=yes")
    assert reply.title == "This channel's stats — the last 7 days"
    assert [a.filename for a in reply.attachments] == ["stats-votes.png", "stats-cost.png"]
    assert all(a.data.startswith(b"\x89PNG") for a in reply.attachments)
    elsewhere = await seeded.commands.run_text(
        ACME.__class__("test", "acme", "quiet"), MEMBER, "stats room"
    )
    assert elsewhere.text.startswith("0 rooms, 0 persona turns")


async def test_dashboard_gives_a_manager_a_private_link_for_this_tenant(seeded: Services) -> None:
    refused = await seeded.commands.run_text(ACME, MEMBER, "dashboard")
    assert refused.error and "permission" in refused.text
    reply = await seeded.commands.run_text(ACME, ADMIN, "dashboard")
    assert reply.ephemeral and not reply.error
    link = next(word for word in reply.text.split() if word.startswith("http"))
    token = parse_qs(urlparse(link).query)["token"][0]
    assert seeded.links.tenant_of(token) == ACME.tenant_id
