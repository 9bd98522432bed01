"""A step that stalled past its room lock while another worker wrote its turn posts nothing."""

from __future__ import annotations

from typing import Any

from bot.base.rooms import RoomKey, RoomState, SpeakerKind, Turn
from bot.commands.replies import Caller
from bot.llm.types import ChatRequest, Completion
from bot.runtime.app import Services
from tests.doubles import FakeClock, ManualScheduler
from tests.support import RecordingPlatform, ScriptedLLM

KEY = RoomKey("test", "guild", "chan")
ADMIN = Caller("u1", "Ada", can_manage=True)


async def test_a_turn_written_meanwhile_by_another_worker_is_left_to_it(
    services: Services, clock: FakeClock, platform: RecordingPlatform, llm: ScriptedLLM
) -> None:
    reply = await services.commands.run(KEY, ADMIN, "start", {"topic": "Tea?", "pace": "10"})
    assert not reply.error
    scheduler = services.scheduler
    assert isinstance(scheduler, ManualScheduler)
    await scheduler.run_due(clock.now())
    assert [post.seq for post in platform.turns] == [1]
    room = await services.store.rooms.latest(KEY)
    assert room is not None
    answer = llm.complete

    async def slow_model(request: ChatRequest) -> Completion:
        # While this worker waits for the model, its lock expires and another worker
        # takes the room and writes turn 2.
        other = Turn(0, SpeakerKind.PERSONA, "other", "Other", "written elsewhere")
        await services.store.rooms.append_with_poll(room, other, None, {"+1": "up"}, at_seq=2)
        return await answer(request)

    llm.complete = slow_model  # type: ignore[method-assign]
    clock.advance(12)
    assert await scheduler.run_due(clock.now()) == 1
    turns = await services.store.rooms.transcript(room.id)
    assert [(t.seq, t.content) for t in turns][1:] == [(2, "written elsewhere")]
    assert [post.seq for post in platform.turns] == [1]  # nothing posted by the stalled step
    after: Any = await services.store.rooms.get(room.id)
    assert after.state is RoomState.RUNNING  # not treated as a failure
    assert await scheduler.pending(room.id) is None  # the other worker schedules what follows
