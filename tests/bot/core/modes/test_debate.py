"""Debate mode: framing, alternating sides, closings, verdict, audience vote, decision record."""

from __future__ import annotations

from bot.base.rooms import RoomKey, RoomState
from bot.commands.replies import Caller
from bot.core.results import SIDES, parse_judgement
from bot.runtime.app import Services
from tests.doubles import FakeClock
from tests.support import RecordingPlatform, ScriptedLLM, run_until_quiet

KEY = RoomKey("test", "team", "decisions")
ADMIN = Caller("u1", "Ada", can_manage=True)


async def test_debate_runs_its_structure_and_records_the_decision(
    services: Services, clock: FakeClock, platform: RecordingPlatform, llm: ScriptedLLM
) -> None:
    reply = await services.commands.run(
        KEY,
        ADMIN,
        "start",
        {"topic": "Migrate to Postgres?", "mode": "debate", "rounds": "2", "pace": "0"},
    )
    assert not reply.error, reply.text
    scheduler = services.scheduler
    while not platform.notices or not platform.notices[-1].vote_emoji:
        await scheduler.run_due(clock.now())  # type: ignore[attr-defined]
    roles = [
        (post.persona.id, llm_task)
        for post, llm_task in zip(
            platform.turns, [r.hints["task"] for r in llm.requests], strict=True
        )
    ]
    assert roles == [
        ("moderator", "frame"),
        ("advocate", "turn"),
        ("critic", "turn"),
        ("advocate", "turn"),
        ("critic", "turn"),
        ("advocate", "closing"),
        ("critic", "closing"),
        ("judge", "verdict"),
    ]
    sides = [r.hints["side"] for r in llm.requests]
    assert sides[1:7] == ["for", "against", "for", "against", "for", "against"]

    outcome_poll = platform.notices[-1]
    assert set(outcome_poll.vote_emoji) == set(SIDES.values())
    room = await services.store.rooms.latest(KEY)
    assert room is not None and room.state is RoomState.VOTING
    message_id = await _outcome_message(services, room.id)
    for user in ("a", "b"):
        assert await services.orchestrator.on_reaction("test", message_id, user, SIDES["for"], True)
    await services.orchestrator.on_reaction("test", message_id, "c", SIDES["against"], True)

    await run_until_quiet(services, clock)  # the vote window passes on the fake clock
    decision = await services.store.records.decision(room.id)
    assert decision is not None
    assert decision.verdict == "for"
    assert decision.audience == {"for": 2, "against": 1}
    assert decision.outcome == "for"
    assert "for: The Advocate" in decision.arguments_summary
    assert platform.notices[-1].title == "Results"
    assert "outcome: for" in platform.notices[-1].text


async def _outcome_message(services: Services, room_id: int) -> str:
    polls = await services.store.polls.of_room(room_id, "outcome")
    assert len(polls) == 1
    for n in range(1, 50):
        ref = await services.store.polls.message("test", f"m{n}")
        if ref and ref.poll_id == polls[0].id:
            return ref.message_id
    raise AssertionError("outcome poll message not found")


async def test_a_lone_debater_gets_the_built_in_critic_as_opponent(services: Services) -> None:
    reply = await services.commands.run(
        KEY,
        ADMIN,
        "start",
        {"topic": "x", "mode": "debate", "personas": "moderator,judge,poet"},
    )
    assert not reply.error, reply.text
    # the poet alone argues for; the built-in critic takes the other side
    room = await services.store.rooms.latest(KEY)
    assert room is not None
    assert room.settings.extra["debate"]["pro"] == ["poet"]
    assert room.settings.extra["debate"]["con"] == ["critic"]


def test_verdict_parsing() -> None:
    assert parse_judgement("Verdict: against. The risks dominate.")[0] == "against"
    assert parse_judgement("verdict - FOR\nreasons")[0] == "for"
    side, reasons = parse_judgement("I cannot decide.")
    assert side == "undecided" and reasons == "I cannot decide."


async def test_a_debater_whose_model_fails_is_skipped_and_the_debate_reaches_its_verdict(
    services: Services, clock: FakeClock, platform: RecordingPlatform, llm: ScriptedLLM
) -> None:
    args = {"topic": "Migrate to Postgres?", "mode": "debate", "rounds": "1", "pace": "0"}
    assert not (await services.commands.run(KEY, ADMIN, "start", args)).error
    await services.scheduler.run_due(clock.now())  # type: ignore[attr-defined]  # the framing
    llm.fail_next = ["server error 500"]  # the advocate's argument
    await run_until_quiet(services, clock)
    assert [p.persona.id for p in platform.turns] == [
        "moderator",
        "critic",
        "advocate",
        "critic",
        "judge",
    ]
    assert any("The Advocate could not answer" in n.text for n in platform.notices)
    room = await services.store.rooms.latest(KEY)
    assert room is not None and room.state is RoomState.FINISHED
    assert (await services.store.records.decision(room.id)) is not None


def test_verdicts_as_real_judges_write_them() -> None:
    assert parse_judgement("**Verdict:** For the motion. The advocate was clearer.")[0] == "for"
    assert parse_judgement("Verdict: in favour of the motion, narrowly.")[0] == "for"
    assert parse_judgement("Verdict — Against. The costs were never answered.")[0] == "against"
    assert parse_judgement("On balance I find against the motion.")[0] == "against"
    assert parse_judgement("Both sides argued well for the motion and against the motion.")[0] == (
        "undecided"
    )
