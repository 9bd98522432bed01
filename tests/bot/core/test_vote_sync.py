"""Votes missed while the process was down (or, in a cluster, by a process that died) are
caught up from the reactions when polls close."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from bot.base.rooms import Room, RoomKey
from bot.commands.replies import Caller
from bot.core.results import VOTE_DOWN, VOTE_UP
from bot.core.votes import differences
from bot.runtime.app import Services, build_services
from bot.runtime.config import Settings
from storage.polls import Poll
from tests.doubles import FakeClock, ManualScheduler
from tests.support import RecordingPlatform, ScriptedLLM

KEY = RoomKey("test", "g", "sync")
ADMIN = Caller("u1", "Ada", can_manage=True)


@dataclass
class ReactingPlatform(RecordingPlatform):
    """A recording platform whose messages carry reactions the core never heard about."""

    on_message: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    unreadable: bool = False
    reads: list[str] = field(default_factory=list)

    async def reactions(
        self, room: Room, message_id: str, emoji: Sequence[str]
    ) -> dict[str, set[str]] | None:
        self.reads.append(message_id)
        if self.unreadable:
            raise RuntimeError("platform API down")
        found = self.on_message.get(message_id, {})
        return {e: set(found.get(e, set())) for e in emoji}


def test_a_missed_vote_is_cast_and_a_vanished_one_withdrawn() -> None:
    reacting = {VOTE_UP: {"ann", "bob", "cy", "fay"}, VOTE_DOWN: {"cy", "fay"}}
    recorded = {"bob": VOTE_UP, "eve": VOTE_DOWN, "fay": VOTE_UP}
    cast, withdrawn = differences(reacting, recorded)
    assert cast == {"ann": VOTE_UP}  # cy and fay react with both: which came last is unknown
    assert withdrawn == {"eve": VOTE_DOWN}


def test_a_vote_changed_while_down_replaces_the_recorded_one() -> None:
    cast, withdrawn = differences({VOTE_UP: {"dee"}, VOTE_DOWN: set()}, {"dee": VOTE_DOWN})
    assert cast == {"dee": VOTE_UP} and withdrawn == {}


def test_an_incomplete_reaction_list_withdraws_nothing() -> None:
    cast, withdrawn = differences({VOTE_UP: {"ann"}}, {"bob": VOTE_DOWN})
    assert cast == {"ann": VOTE_UP} and withdrawn == {}


@contextlib.asynccontextmanager
async def running(
    settings: Settings, clock: FakeClock, platform: RecordingPlatform
) -> AsyncIterator[Services]:
    """Run the core on the settings' database (a second call is a restart)."""
    llm, scheduler = ScriptedLLM(), ManualScheduler()
    async with build_services(settings, clock=clock, llm=llm, scheduler=scheduler) as services:
        services.orchestrator.attach(platform)
        yield services


async def voted_room(services: Services, clock: FakeClock) -> tuple[Poll, str]:
    """Start a room, post one turn, let bob vote 👎 on it; return its poll and message id."""
    reply = await services.commands.run(
        KEY, ADMIN, "start", {"topic": "Tabs or spaces", "turns": "2", "pace": "0"}
    )
    assert not reply.error
    await services.scheduler.run_due(clock.now())  # type: ignore[attr-defined]
    room = await services.store.rooms.latest(KEY)
    assert room is not None
    (poll,) = await services.store.polls.of_room(room.id, "turn")
    ref = await services.store.polls.bound_message(poll.id)
    assert ref is not None
    await services.orchestrator.on_reaction("test", ref.message_id, "bob", VOTE_DOWN, True)
    return poll, ref.message_id


async def test_reactions_made_while_down_count_when_the_room_finishes(
    settings: Settings, clock: FakeClock
) -> None:
    platform = ReactingPlatform(name="test")
    async with running(settings, clock, platform) as first:
        poll, message_id = await voted_room(first, clock)
    # While the bot was down: ann voted 👍 and bob took his 👎 back.
    platform.on_message[message_id] = {VOTE_UP: {"ann"}}
    async with running(settings, clock, platform) as second:
        assert not (await second.commands.run(KEY, ADMIN, "stop", {})).error
        assert dict(await second.store.polls.tally(poll.id)) == {VOTE_UP: 1}
    assert f"{VOTE_UP} 1" in str(platform.notices[-1].fields)


async def test_polls_opened_since_the_start_are_not_read_again(
    settings: Settings, clock: FakeClock
) -> None:
    platform = ReactingPlatform(name="test")
    async with running(settings, clock, platform) as services:
        poll, _ = await voted_room(services, clock)
        assert not (await services.commands.run(KEY, ADMIN, "stop", {})).error
        assert platform.reads == []
        assert dict(await services.store.polls.tally(poll.id)) == {VOTE_DOWN: 1}


async def test_an_unreadable_platform_keeps_the_votes_already_counted(
    settings: Settings, clock: FakeClock
) -> None:
    platform = ReactingPlatform(name="test", unreadable=True)
    async with running(settings, clock, platform) as first:
        poll, _ = await voted_room(first, clock)
    async with running(settings, clock, platform) as second:
        assert not (await second.commands.run(KEY, ADMIN, "stop", {})).error
        assert platform.reads and dict(await second.store.polls.tally(poll.id)) == {VOTE_DOWN: 1}


async def test_in_a_cluster_every_poll_is_read_again_as_it_closes(
    settings: Settings, clock: FakeClock
) -> None:
    platform = ReactingPlatform(name="test")
    async with running(settings, clock, platform) as services:
        services.store.polls.shared = True  # as in cluster mode: another process heard ann
        poll, message_id = await voted_room(services, clock)
        platform.on_message[message_id] = {VOTE_UP: {"ann"}, VOTE_DOWN: {"bob"}}
        assert not (await services.commands.run(KEY, ADMIN, "stop", {})).error
        assert platform.reads == [message_id]
        assert dict(await services.store.polls.tally(poll.id)) == {VOTE_UP: 1, VOTE_DOWN: 1}
