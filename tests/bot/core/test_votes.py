"""Reaction votes: one vote per user per poll, the last reaction wins, removal withdraws."""

from __future__ import annotations

from bot.base.rooms import RoomKey
from bot.commands.replies import Caller
from bot.core.results import VOTE_DOWN, VOTE_UP
from bot.runtime.app import Services
from tests.doubles import FakeClock
from tests.support import RecordingPlatform, run_until_quiet

KEY = RoomKey("test", "g", "votes")
ADMIN = Caller("u1", "Ada", can_manage=True)


async def _room_with_turns(services: Services, clock: FakeClock) -> int:
    reply = await services.commands.run(
        KEY, ADMIN, "start", {"topic": "Pineapple on pizza", "turns": "2", "pace": "0"}
    )
    assert not reply.error
    await services.scheduler.run_due(clock.now())  # type: ignore[attr-defined]
    await services.scheduler.run_due(clock.now())  # type: ignore[attr-defined]
    room = await services.store.rooms.latest(KEY)
    assert room is not None
    return room.id


async def _tally_of_first_turn(services: Services, room_id: int) -> dict[str, int]:
    poll = (await services.store.polls.of_room(room_id, "turn"))[0]
    return dict(await services.store.polls.tally(poll.id))


async def test_last_reaction_wins_and_removal_withdraws(
    services: Services, clock: FakeClock, platform: RecordingPlatform
) -> None:
    room_id = await _room_with_turns(services, clock)
    react = services.orchestrator.on_reaction
    first_turn_message = "m2"  # m1 is the header notice
    assert await react("test", first_turn_message, "alice", VOTE_UP, True)
    assert await react("test", first_turn_message, "bob", VOTE_UP, True)
    assert await _tally_of_first_turn(services, room_id) == {VOTE_UP: 2}
    assert await react("test", first_turn_message, "alice", VOTE_DOWN, True)  # changes her mind
    assert await _tally_of_first_turn(services, room_id) == {VOTE_UP: 1, VOTE_DOWN: 1}
    await react("test", first_turn_message, "alice", VOTE_UP, False)  # removing the old one: no-op
    assert await _tally_of_first_turn(services, room_id) == {VOTE_UP: 1, VOTE_DOWN: 1}
    await react("test", first_turn_message, "alice", VOTE_DOWN, False)
    assert await _tally_of_first_turn(services, room_id) == {VOTE_UP: 1}


async def test_foreign_emoji_unknown_messages_and_closed_polls_are_ignored(
    services: Services, clock: FakeClock
) -> None:
    room_id = await _room_with_turns(services, clock)
    react = services.orchestrator.on_reaction
    assert not await react("test", "m2", "alice", "🎉", True)
    assert not await react("test", "nope", "alice", VOTE_UP, True)
    assert not await react("other-platform", "m2", "alice", VOTE_UP, True)
    await run_until_quiet(services, clock)  # voting closes
    assert not await react("test", "m2", "alice", VOTE_UP, True)
    assert await _tally_of_first_turn(services, room_id) == {}


async def test_results_rank_personas_by_votes(
    services: Services, clock: FakeClock, platform: RecordingPlatform
) -> None:
    await _room_with_turns(services, clock)
    second_speaker = platform.turns[1].persona
    await services.orchestrator.on_reaction("test", "m3", "alice", VOTE_UP, True)
    await services.orchestrator.on_reaction("test", "m3", "bob", VOTE_UP, True)
    reply = await services.commands.run(KEY, Caller("x", "x", False), "results", {})
    assert not reply.error
    assert reply.fields[0][0].endswith(second_speaker.name)
    assert f"{VOTE_UP} 2" in reply.fields[0][1] and reply.fields[0][1].endswith("(1 turn)")
    assert any(label == "Best line" for label, _ in reply.fields)
