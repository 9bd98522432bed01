"""Votes missed while the process was down are caught up from the reactions when polls close."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.app import Services
from bot.clock import FakeClock
from bot.commands import Caller
from bot.results import VOTE_DOWN, VOTE_UP
from bot.rooms import Room, RoomKey
from bot.vote_sync import differences
from tests.support import RecordingPlatform

KEY = RoomKey("test", "g", "sync")
ADMIN = Caller("u1", "Ada", can_manage=True)


@dataclass
class ReactingPlatform(RecordingPlatform):
    """A recording platform whose messages carry reactions the core never heard about."""

    on_message: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    unreadable: bool = False

    async def reactions(
        self, room: Room, message_id: str, emoji: Sequence[str]
    ) -> dict[str, set[str]] | None:
        if self.unreadable:
            raise RuntimeError("platform API down")
        found = self.on_message.get(message_id, {})
        return {e: set(found.get(e, set())) for e in emoji}


def test_a_missed_vote_is_cast_and_a_vanished_one_withdrawn() -> None:
    reacting = {VOTE_UP: {"ann", "bob", "cy"}, VOTE_DOWN: {"cy", "dee"}}
    recorded = {"bob": VOTE_UP, "eve": VOTE_DOWN, "dee": VOTE_UP}
    cast, withdrawn = differences(reacting, recorded)
    assert cast == {"ann": VOTE_UP}  # cy reacts with both: which came last is unknown
    assert withdrawn == {"eve": VOTE_DOWN, "dee": VOTE_UP}


def test_an_incomplete_reaction_list_withdraws_nothing() -> None:
    cast, withdrawn = differences({VOTE_UP: {"ann"}}, {"bob": VOTE_DOWN})
    assert cast == {"ann": VOTE_UP} and withdrawn == {}


async def _started(services: Services, clock: FakeClock, platform: RecordingPlatform) -> Room:
    services.orchestrator.attach(platform)
    reply = await services.commands.run(
        KEY, ADMIN, "start", {"topic": "Tabs or spaces", "turns": "2", "pace": "0"}
    )
    assert not reply.error
    await services.scheduler.run_due(clock.now())  # type: ignore[attr-defined]
    room = await services.store.rooms.latest(KEY)
    assert room is not None
    return room


async def test_reactions_made_while_down_count_when_the_room_finishes(
    services: Services, clock: FakeClock
) -> None:
    platform = ReactingPlatform(name="test")
    room = await _started(services, clock, platform)
    (poll,) = await services.store.polls.of_room(room.id, "turn")
    ref = await services.store.polls.bound_message(poll.id)
    assert ref is not None
    await services.orchestrator.on_reaction("test", ref.message_id, "bob", VOTE_DOWN, True)
    # While the bot was down: ann voted 👍 and bob took his 👎 back.
    platform.on_message[ref.message_id] = {VOTE_UP: {"ann"}}
    reply = await services.commands.run(KEY, ADMIN, "stop", {})
    assert not reply.error
    assert dict(await services.store.polls.tally(poll.id)) == {VOTE_UP: 1}
    results = platform.notices[-1]
    assert f"{VOTE_UP} 1" in str(results.fields)


async def test_an_unreadable_platform_keeps_the_votes_already_counted(
    services: Services, clock: FakeClock
) -> None:
    platform = ReactingPlatform(name="test", unreadable=True)
    room = await _started(services, clock, platform)
    (poll,) = await services.store.polls.of_room(room.id, "turn")
    ref = await services.store.polls.bound_message(poll.id)
    assert ref is not None
    await services.orchestrator.on_reaction("test", ref.message_id, "bob", VOTE_DOWN, True)
    assert not (await services.commands.run(KEY, ADMIN, "stop", {})).error
    assert dict(await services.store.polls.tally(poll.id)) == {VOTE_DOWN: 1}
