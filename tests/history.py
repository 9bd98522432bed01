"""A tenant's history made through the real core, for `stats` and the dashboard tests.

Tenant "test:acme" gets a debate (votes on turns and on the verdict, so a decision record), a
chat on a priced model with a turn citing a memory source, a consortium run and a compare
round (Elo ratings); tenant "test:rival" gets one chat of its own. The offline writer words
every turn; each call's usage is priced per model so the cost figures have something to add.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from bot.base.rooms import Room, RoomKey, RoomState, SpeakerKind, Turn
from bot.cli.serve import build_web
from bot.commands.replies import Caller
from bot.llm.types import ChatRequest, Completion, Usage
from bot.runtime.app import Services, build_services
from bot.runtime.config import Settings
from bot.runtime.web import WebServer
from tests.doubles import FakeClock, ManualScheduler
from tests.support import LinesThenOfflineLLM, RecordingPlatform

ACME = RoomKey("test", "acme", "general")
RIVAL = RoomKey("test", "rival", "lounge")
ADMIN = Caller("u1", "Ada", can_manage=True)
PRICED = "openai/gpt-4o-mini"
PRICE_USD = 0.0004  # per call of the priced model; the offline model has no price
DEBATE = "Should we migrate to Postgres this quarter?"
CHAT = "Is a hot dog a sandwich?"
ASK = "Should we adopt a four-day week?"
COMPARE = "Write a haiku about databases"
RIVAL_TOPIC = "Secret plans of the rival team"
CITED = "[1] handbook.md"
VERDICT = "Verdict: for\nThe case for the motion carries it: the risks were answered."


class PricedLLM(LinesThenOfflineLLM):
    """The offline writer with usage worth adding up: tokens, a price, a latency per model."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def complete(self, request: ChatRequest) -> Completion:
        """Write like the offline model and report a usage that depends on the model."""
        if request.hints.get("task") == "verdict":
            # The judge rules for the motion, as the audience will: the debate is a decision.
            completion = Completion(VERDICT, Usage(request.model, 1, 1, None, 0.0))
        else:
            completion = await super().complete(request)
        self.calls += 1
        words = len(completion.text.split())
        cost = PRICE_USD if request.model == PRICED else None
        latency = 400.0 + 100 * (self.calls % 7) if request.model == PRICED else 30.0
        usage = replace(
            completion.usage,
            prompt_tokens=40 + words,
            completion_tokens=words,
            cost_usd=cost,
            latency_ms=latency,
        )
        return Completion(completion.text, usage)

    async def stream(self, request: ChatRequest) -> AsyncIterator[str | Completion]:
        """Yield the whole priced completion at once."""
        yield await self.complete(request)


@dataclass(frozen=True)
class History:
    """The rooms that were made."""

    debate: Room
    chat: Room
    consortium: Room
    compare: Room
    rival: Room


async def seed(services: Services, clock: FakeClock) -> History:
    """Run the rooms through the core, vote in them, and return them finished."""
    debate = await _run(services, clock, ACME, f"start {DEBATE} mode=debate rounds=1")
    await _vote_turns(services, debate, ["👍", "👍", "👎"])
    await _vote_outcome(services, debate, {"v1": "👍", "v2": "👍", "v3": "👎"})
    debate = await _finish(services, clock, debate)
    chat = await _run(
        services,
        clock,
        ACME,
        f"start {CHAT} personas=philosopher,comedian turns=4 selection=round_robin model={PRICED}",
    )
    await _cite(services, chat)
    await _vote_turns(services, chat, ["👍", "👎", "👍", "👍"])
    chat = await _finish(services, clock, chat)
    consortium = await _consult(services, clock)
    compare = await _compare(services, clock)
    rival = await _run(services, clock, RIVAL, f"start {RIVAL_TOPIC} turns=2")
    rival = await _finish(services, clock, rival)
    return History(debate, chat, consortium, compare, rival)


async def _run(services: Services, clock: FakeClock, key: RoomKey, command: str) -> Room:
    reply = await services.commands.run_text(key, ADMIN, command + " pace=0")
    assert not reply.error, reply.text
    room = await services.store.rooms.latest(key)
    assert room is not None
    while room.state is RoomState.RUNNING:
        await _steps(services, clock)
        room = await _reload(services, room)
    return room


async def _finish(services: Services, clock: FakeClock, room: Room) -> Room:
    while (room := await _reload(services, room)).state is not RoomState.FINISHED:
        await services.tasks.drain()
        await _steps(services, clock)
    return room


async def _steps(services: Services, clock: FakeClock) -> None:
    scheduler = services.scheduler
    assert isinstance(scheduler, ManualScheduler)
    if scheduler.jobs:
        due = min(job.due for job in scheduler.jobs.values())
        if due > clock.now():
            clock.advance((due - clock.now()).total_seconds())
        await scheduler.run_due(clock.now())


async def _reload(services: Services, room: Room) -> Room:
    fresh = await services.store.rooms.get(room.id)
    assert fresh is not None
    return fresh


async def _vote_turns(services: Services, room: Room, choices: list[str]) -> None:
    polls = await services.store.polls.of_room(room.id, "turn")
    for index, (poll, choice) in enumerate(zip(polls, choices, strict=False)):
        await _react(services, poll.id, f"voter{index % 2}", choice)


async def _vote_outcome(services: Services, room: Room, votes: dict[str, str]) -> None:
    (poll,) = await services.store.polls.of_room(room.id, "outcome")
    for user, choice in votes.items():
        await _react(services, poll.id, user, choice)


async def _react(services: Services, poll_id: int, user: str, emoji: str) -> None:
    ref = await services.store.polls.bound_message(poll_id)
    assert ref is not None
    assert await services.orchestrator.on_reaction(ref.platform, ref.message_id, user, emoji, True)


async def _cite(services: Services, room: Room) -> None:
    """Add a person's question and a persona's answer citing a memory source."""
    rooms = services.store.rooms
    await rooms.append(
        room, Turn(0, SpeakerKind.HUMAN, "u7", "Grace", "What does the handbook say?")
    )
    answer = "The handbook says lunch is sacred [1]. A hot dog is lunch, hence a sandwich."
    turn = Turn(0, SpeakerKind.PERSONA, "philosopher", "The Philosopher", answer, sources=(CITED,))
    await rooms.append(room, turn)


async def _consult(services: Services, clock: FakeClock) -> Room:
    reply = await services.commands.run_text(ACME, ADMIN, f"ask {ASK}")
    assert not reply.error, reply.text
    room = await services.store.rooms.latest(ACME)
    assert room is not None
    return await _finish(services, clock, room)


async def _compare(services: Services, clock: FakeClock) -> Room:
    command = f"start {COMPARE} mode=compare personas=poet,comedian,{PRICED}"
    reply = await services.commands.run_text(ACME, ADMIN, command)
    assert not reply.error, reply.text
    await services.tasks.drain()
    room = await services.store.rooms.latest(ACME)
    assert room is not None
    fans = {"poet": 2, "comedian": 1}  # the bare model gets none
    for poll in await services.store.polls.of_room(room.id):
        for n in range(fans.get(poll.subject.rpartition("#")[0], 0)):
            await _react(services, poll.id, f"fan{n}", "👍")
    return await _finish(services, clock, room)


@dataclass
class Site:
    """The seeded services, the web server in front of them, and links into it."""

    services: Services
    web: WebServer
    clock: FakeClock
    history: History

    @property
    def url(self) -> str:
        """Return the server's base URL."""
        return self.web.url

    def link(self, tenant: str = ACME.tenant_id) -> str:
        """Return a signed dashboard link for a tenant."""
        return self.services.links.link(tenant)

    @property
    def rival_link(self) -> str:
        """Return a link for the other tenant."""
        return self.link(RIVAL.tenant_id)


@contextlib.asynccontextmanager
async def seeded_site(data_dir: Path, **overrides: object) -> AsyncIterator[Site]:
    """Seed a history through the core and serve it on a free port."""
    values: dict[str, object] = {"data_dir": data_dir, "http_port": 0, "_env_file": None}
    settings = Settings(**(values | overrides))  # type: ignore[arg-type]
    clock = FakeClock(datetime.now(UTC))  # links expire against this clock
    async with build_services(
        settings, clock=clock, llm=PricedLLM(), scheduler=ManualScheduler()
    ) as services:
        services.orchestrator.attach(RecordingPlatform())
        history = await seed(services, clock)
        web = build_web(services)
        await web.start()
        services.links.base_url = web.url
        try:
            yield Site(services, web, clock, history)
        finally:
            await web.close()
