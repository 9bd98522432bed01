"""A room's life through the orchestrator, paced by a fake clock (no real sleeps)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.base.rooms import Mode, Room, RoomKey, RoomState, SpeakerKind, Turn
from bot.commands.replies import Caller
from bot.core.modes.chat import ChatRunner
from bot.llm.types import ChatRequest
from bot.runtime.app import Services, build_services, start_scheduling
from bot.runtime.config import Settings
from personas.cards import Persona
from storage.polls import MessageRef
from tests.doubles import FakeClock, ManualScheduler
from tests.support import RecordingPlatform, ScriptedLLM, run_until_quiet

KEY = RoomKey("test", "guild", "chan")
ADMIN = Caller("u1", "Ada", can_manage=True)


async def start(services: Services, **args: object) -> None:
    reply = await services.commands.run(KEY, ADMIN, "start", {"topic": "Tea or coffee?", **args})
    assert not reply.error, reply.text


def jobs(services: Services) -> ManualScheduler:
    assert isinstance(services.scheduler, ManualScheduler)
    return services.scheduler


async def test_chat_runs_its_turns_then_votes_then_finishes(
    services: Services, clock: FakeClock, platform: RecordingPlatform
) -> None:
    await start(services, turns="4", pace="0")
    await run_until_quiet(services, clock)
    room = await services.store.rooms.latest(KEY)
    assert room is not None and room.state is RoomState.FINISHED
    assert [post.seq for post in platform.turns] == [1, 2, 3, 4]
    assert len(platform.typing_for) == 4
    assert platform.notices[0].title == "Chimera chat"
    assert platform.notices[-1].title == "Results"
    transcript = await services.store.rooms.transcript(room.id)
    assert [t.speaker_id for t in transcript] == [post.persona.id for post in platform.turns]


async def test_turns_are_paced_by_the_room_setting_with_jitter(
    services: Services, clock: FakeClock, platform: RecordingPlatform
) -> None:
    await start(services, turns="3", pace="10")
    scheduler = jobs(services)
    await scheduler.run_due(clock.now())
    assert len(platform.turns) == 1
    due = scheduler.jobs[next(iter(scheduler.jobs))].due
    wait = (due - clock.now()).total_seconds()
    assert 10 - 1.5 <= wait <= 10 + 1.5
    clock.advance(wait - 0.5)
    assert await scheduler.run_due(clock.now()) == 0
    clock.advance(0.5)
    assert await scheduler.run_due(clock.now()) == 1
    assert len(platform.turns) == 2


async def test_pause_holds_the_next_turn_until_resume(
    services: Services, clock: FakeClock, platform: RecordingPlatform
) -> None:
    await start(services, turns="3", pace="5")
    await jobs(services).run_due(clock.now())
    await services.commands.run(KEY, ADMIN, "pause", {})
    clock.advance(3600)
    assert await jobs(services).run_due(clock.now()) == 0
    assert len(platform.turns) == 1
    await services.commands.run(KEY, ADMIN, "resume", {})
    assert await jobs(services).run_due(clock.now()) == 1
    assert len(platform.turns) == 2


async def test_next_skips_the_wait_and_steps_a_paused_room_once(
    services: Services, clock: FakeClock, platform: RecordingPlatform
) -> None:
    await start(services, turns="5", pace="60")
    await jobs(services).run_due(clock.now())
    await services.commands.run(KEY, ADMIN, "next", {})
    assert await jobs(services).run_due(clock.now()) == 1
    await services.commands.run(KEY, ADMIN, "pause", {})
    reply = await services.commands.run(KEY, ADMIN, "next", {})
    assert not reply.error
    assert len(platform.turns) == 3
    room = await services.store.rooms.latest(KEY)
    assert room is not None and room.state is RoomState.PAUSED


async def test_a_repeated_or_stale_step_runs_only_once(
    services: Services, clock: FakeClock, platform: RecordingPlatform
) -> None:
    await start(services, turns="3", pace="0")
    room = await services.store.rooms.latest(KEY)
    assert room is not None
    await services.orchestrator.run_step(room.id, 1, "turn")
    await services.orchestrator.run_step(room.id, 1, "turn")  # redelivered
    assert len(platform.turns) == 1


async def test_human_message_joins_history_and_a_mention_answers_next(
    services: Services, clock: FakeClock, platform: RecordingPlatform, llm: ScriptedLLM
) -> None:
    await start(services, turns="6", pace="30", personas="philosopher,comedian,scientist")
    await jobs(services).run_due(clock.now())
    first = platform.turns[0].persona.id
    target = "scientist" if first != "scientist" else "comedian"
    joined = await services.orchestrator.on_human_message(
        KEY, "u9", "Grace", f"Hey {target}, what do you think?"
    )
    assert joined
    assert await jobs(services).run_due(clock.now()) == 1  # answered without waiting the pace
    assert platform.turns[-1].persona.id == target
    prompt = llm.requests[-1].messages
    assert any("Grace: Hey" in m.content for m in prompt)
    room = await services.store.rooms.latest(KEY)
    assert room is not None
    kinds = [t.kind for t in await services.store.rooms.transcript(room.id)]
    assert kinds == [SpeakerKind.PERSONA, SpeakerKind.HUMAN, SpeakerKind.PERSONA]


async def test_a_model_error_skips_that_turn_and_the_room_goes_on(
    services: Services, clock: FakeClock, platform: RecordingPlatform, llm: ScriptedLLM
) -> None:
    await start(services, turns="3", pace="0")
    llm.fail_next = ["server error 500"]
    await jobs(services).run_due(clock.now())
    room = await services.store.rooms.latest(KEY)
    assert room is not None and room.state is RoomState.RUNNING
    notice = platform.notices[-1].text
    assert "could not answer (server error 500)" in notice and "goes on" in notice
    failed = llm.requests[-1].hints["persona"]["name"]
    await run_until_quiet(services, clock)
    assert len(platform.turns) == 3
    assert platform.turns[0].persona.name != failed  # the next speaker, not the same again


async def test_three_failed_turns_pause_the_room_and_it_retries_once_by_itself(
    services: Services, clock: FakeClock, platform: RecordingPlatform, llm: ScriptedLLM
) -> None:
    await start(services, turns="3", pace="0")
    llm.fail_next = ["server error 500"] * 3
    for _ in range(3):
        await jobs(services).run_due(clock.now())
    room = await services.store.rooms.latest(KEY)
    assert room is not None and room.state is RoomState.PAUSED
    assert "3 turns in a row" in platform.notices[-1].text
    assert "try again by itself in 1 min" in platform.notices[-1].text
    clock.advance(59)
    assert await jobs(services).run_due(clock.now()) == 0  # not before the minute is up
    clock.advance(1)
    await run_until_quiet(services, clock)
    room = await services.store.rooms.latest(KEY)
    assert room is not None and len(platform.turns) == 3 and room.failed_turns == 0


async def test_after_its_one_retry_a_failing_room_stays_paused(
    services: Services, clock: FakeClock, platform: RecordingPlatform, llm: ScriptedLLM
) -> None:
    await start(services, turns="3", pace="0")
    llm.fail_next = ["timed out after 60s"] * 6
    await run_until_quiet(services, clock)
    room = await services.store.rooms.latest(KEY)
    assert room is not None and room.state is RoomState.PAUSED
    assert "stays paused" in platform.notices[-1].text and platform.turns == []
    assert await services.scheduler.pending(room.id) is None
    await services.commands.run(KEY, ADMIN, "resume", {})  # the model is back
    await run_until_quiet(services, clock)
    assert len(platform.turns) == 3


async def test_long_history_is_summarised_by_the_model(
    services: Services, clock: FakeClock, llm: ScriptedLLM
) -> None:
    chat = services.orchestrator.runners[Mode.CHAT]
    assert isinstance(chat, ChatRunner)
    services.orchestrator.host.history_turns, chat.summary_budget = 2, 100

    def script(r: ChatRequest) -> str:
        if r.hints.get("task") == "summary":
            return "Summary."
        return " ".join(f"word{r.hints.get('turn')}-{i}" for i in range(80))  # distinct turns

    llm.script = script
    await start(services, turns="6", pace="0")
    await run_until_quiet(services, clock)
    room = await services.store.rooms.latest(KEY)
    assert room is not None and room.summary == "Summary." and room.summary_upto > 0
    last_turn = [r for r in llm.requests if r.hints.get("task") == "turn"][-1]
    assert "Summary." in last_turn.messages[0].content
    assert len(last_turn.messages) == 2  # system, then the two recent turns and the cue
    script = last_turn.messages[1].content
    assert sum(": word" in line for line in script.splitlines()) == 2


async def test_recover_reschedules_a_running_room_that_lost_its_step(
    services: Services, clock: FakeClock
) -> None:
    await start(services, turns="3", pace="0")
    jobs(services).jobs.clear()  # as if the process died after taking the job
    assert await services.orchestrator.recover() == 1
    clock.advance(1)
    assert await jobs(services).run_due(clock.now() + timedelta(seconds=1)) == 1


async def test_a_step_that_went_stale_while_waiting_keeps_the_room_going(
    services: Services, clock: FakeClock, platform: RecordingPlatform
) -> None:
    await start(services, turns="3", pace="0")
    scheduler = jobs(services)
    room_id, step = next(iter(scheduler.jobs.items()))
    seq = step.seq
    scheduler.jobs.clear()  # the scheduler has handed the step over and it waits for the lock…
    await services.orchestrator.on_human_message(KEY, "u9", "Grace", "hello all")  # …meanwhile
    await services.orchestrator.run_step(room_id, seq, "turn")  # stale now: does nothing itself
    assert platform.turns == []
    assert await scheduler.run_due(clock.now()) == 1  # but the room carries on
    assert len(platform.turns) == 1


async def test_an_unexpected_error_pauses_the_room_with_a_message(
    services: Services, clock: FakeClock, platform: RecordingPlatform, llm: ScriptedLLM
) -> None:
    await start(services, turns="3", pace="0")

    def explode(request: object) -> str:
        raise RuntimeError("disk on fire")

    llm.script = explode  # type: ignore[assignment]
    await jobs(services).run_due(clock.now())
    room = await services.store.rooms.latest(KEY)
    assert room is not None and room.state is RoomState.PAUSED
    assert platform.notices[-1].title == "Paused" and "resume" in platform.notices[-1].text


async def test_moderator_selection_lets_the_moderator_name_the_next_speaker(
    services: Services, clock: FakeClock, platform: RecordingPlatform, llm: ScriptedLLM
) -> None:
    picks = iter(["The Poet, please.", "Let us hear the Skeptic.", "gibberish", "Poet again"])

    def script(request):  # type: ignore[no-untyped-def]
        if request.hints.get("task") == "pick_speaker":
            return next(picks)
        return f"{request.hints['persona']['name']} speaks (turn {request.seed})."

    llm.script = script
    await start(
        services, turns="4", pace="0", selection="moderator", personas="poet,skeptic,comedian"
    )
    await run_until_quiet(services, clock)
    speakers = [post.persona.id for post in platform.turns]
    assert speakers[:2] == ["poet", "skeptic"]
    assert speakers[2] in ("poet", "comedian")  # an unusable pick: natural selection decides
    if speakers[2] != "poet":
        assert speakers[3] == "poet"
    picks_asked = [r for r in llm.requests if r.hints.get("task") == "pick_speaker"]
    assert len(picks_asked) == 4
    assert picks_asked[0].hints["persona"]["id"] == "moderator"  # the built-in moderator
    assert "The Skeptic" not in picks_asked[2].hints["candidates"]  # it just spoke


async def _last_turn_done(services: Services, clock: FakeClock) -> Room:
    """Start a one-turn room and post its turn; its next step opens the vote."""
    await start(services, turns="1", pace="0")
    await jobs(services).run_due(clock.now())
    room = await services.store.rooms.latest(KEY)
    assert room is not None and room.persona_turns == 1
    return room


async def test_two_stops_at_once_post_the_results_once(
    services: Services, clock: FakeClock, platform: RecordingPlatform
) -> None:
    await _last_turn_done(services, clock)
    replies = await asyncio.gather(*(services.commands.run(KEY, ADMIN, "stop", {}) for _ in "ab"))
    assert not any(r.error for r in replies)  # e.g. a double click on Stop
    assert [n.title for n in platform.notices].count("Results") == 1


async def test_a_stop_while_the_vote_closes_posts_the_results_once(
    services: Services, clock: FakeClock, platform: RecordingPlatform
) -> None:
    room = await _last_turn_done(services, clock)
    await services.orchestrator.run_step(room.id, room.next_seq, "turn")  # opens the vote
    await asyncio.gather(
        services.orchestrator.run_step(room.id, room.next_seq, "close_vote"),
        services.commands.run(KEY, ADMIN, "stop", {}),
    )
    assert [n.title for n in platform.notices].count("Results") == 1


def _slow_steps(services: Services) -> None:
    """Widen the window between a step taking the room's lock and moving the room on."""
    cast = services.orchestrator.cast

    async def slow_cast(room: Room) -> dict[str, Persona]:
        await asyncio.sleep(0.05)
        return await cast(room)

    services.orchestrator.cast = slow_cast  # type: ignore[method-assign]


async def test_a_pause_that_loses_the_race_to_the_vote_is_refused(
    services: Services, clock: FakeClock
) -> None:
    room = await _last_turn_done(services, clock)
    _slow_steps(services)
    _, paused = await asyncio.gather(
        services.orchestrator.run_step(room.id, room.next_seq, "turn"),  # opens the vote
        services.commands.run(KEY, ADMIN, "pause", {}),
    )
    assert paused.error and "voting" in paused.text
    now = await services.store.rooms.get(room.id)
    pending = await services.scheduler.pending(room.id)
    assert now is not None and now.state is RoomState.VOTING
    assert pending is not None and pending.action == "close_vote"


async def test_a_message_that_arrives_as_the_vote_opens_does_not_stall_the_room(
    services: Services, clock: FakeClock
) -> None:
    room = await _last_turn_done(services, clock)
    _slow_steps(services)
    _, joined = await asyncio.gather(
        services.orchestrator.run_step(room.id, room.next_seq, "turn"),  # opens the vote
        services.orchestrator.on_human_message(KEY, "u9", "Zed", "One more thing!"),
    )
    assert joined is False
    await run_until_quiet(services, clock)
    now = await services.store.rooms.get(room.id)
    assert now is not None and now.state is RoomState.FINISHED


async def test_next_in_a_paused_room_with_no_turns_left_opens_the_vote(
    services: Services, clock: FakeClock, platform: RecordingPlatform
) -> None:
    room = await _last_turn_done(services, clock)
    await services.commands.run(KEY, ADMIN, "pause", {})
    reply = await services.commands.run(KEY, ADMIN, "next", {})
    assert not reply.error
    now = await services.store.rooms.get(room.id)
    assert now is not None and now.state is RoomState.VOTING
    assert platform.notices[-1].title == "Vote for the best line"


async def _restart(settings: Settings, clock: FakeClock) -> tuple[list[str], MessageRef | None]:
    """Start a new process on the same database; return what it posted and message m1."""
    platform = RecordingPlatform()
    async with build_services(
        settings, clock=clock, llm=ScriptedLLM(), scheduler=ManualScheduler(), scheduling=False
    ) as services:
        services.orchestrator.attach(platform)
        await start_scheduling(services)
        message = await services.store.polls.message("test", "m1")
    return [post.text for post in platform.turns], message


async def test_a_turn_written_but_not_posted_before_a_crash_is_posted_at_restart(
    services: Services,
) -> None:
    await start(services, turns="3", pace="60")
    room = await services.store.rooms.latest(KEY)
    assert room is not None
    # The process dies after writing turn 1 and opening its poll, before posting it.
    persona = Turn(0, SpeakerKind.PERSONA, room.cast[0], "?", "Written, never posted.")
    await services.store.rooms.append_with_poll(room, persona, None, {"👍": "up"})
    settings, clock = services.settings, services.clock
    assert isinstance(clock, FakeClock)
    posted, message = await _restart(settings, clock)
    assert posted == ["Written, never posted."]
    assert message is not None and message.poll_id is not None  # votes on it count
    posted_again, _ = await _restart(settings, clock)
    assert posted_again == []  # posted once
