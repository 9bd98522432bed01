"""Compare rounds: answers side by side, reaction votes, Elo per persona and model, leaderboard."""

from __future__ import annotations

from bot.base.rooms import Mode, RoomSettings, RoomState
from bot.core import elo
from bot.core.modes.compare import CompareRunner
from bot.core.ratings import Contestant, play_round
from bot.runtime.app import Services
from tests.bot.core.modes.support import (
    KEY,
    MEMBER,
    LoggingPlatform,
    attach_logging,
    hold_answers,
    say,
)
from tests.doubles import FakeClock
from tests.support import ScriptedLLM, run_until_quiet

START = "start Name a colour mode=compare personas=philosopher,comedian,openai/model-x"


async def vote(services: Services, platform: LoggingPlatform, name: str, user: str) -> bool:
    message_id = platform.ids[name]
    return await services.orchestrator.on_reaction("test", message_id, user, "👍", added=True)


async def test_compare_posts_answers_with_polls_and_opens_voting(services: Services) -> None:
    platform = attach_logging(services)
    reply = await say(services, START)
    assert reply.text == (
        "Comparing The Philosopher, The Comedian and openai/model-x on “Name a colour”. "
        "Vote with 👍."
    )
    await services.tasks.drain()
    assert sorted(platform.ids) == ["The Comedian", "The Philosopher", "openai/model-x"]
    assert all(post.vote_emoji == ("👍",) for post in platform.turns)
    assert platform.log[0] == "notice:Chimera compare"
    assert platform.log[-1] == "notice:Vote for the best answer"
    room = await services.store.rooms.latest(KEY)
    assert room is not None and room.mode is Mode.COMPARE and room.state is RoomState.VOTING
    pending = await services.scheduler.pending(room.id)
    assert pending is not None and pending.action == "close_vote"


async def test_votes_pick_the_winner_and_update_elo_per_persona_and_model(
    services: Services, clock: FakeClock
) -> None:
    platform = attach_logging(services)
    await say(services, START)
    await services.tasks.drain()
    assert await vote(services, platform, "The Comedian", "u1")
    assert await vote(services, platform, "The Comedian", "u2")
    assert await vote(services, platform, "openai/model-x", "u3")
    tally = await say(services, "results", MEMBER)
    assert dict(tally.fields)["The Comedian"] == "2 👍" and tally.text.startswith("Votes so far")
    await run_until_quiet(services, clock)
    result = platform.titled("Compare results")[0]
    assert result.text == (
        "Results for “Name a colour” — Winner: The Comedian with 2 👍 (voting closed)."
    )
    rows = dict(result.fields)
    assert rows["The Comedian"] == "2 👍 · Elo 1500 → 1516"
    assert rows["The Philosopher"] == "0 👍 · Elo 1500 → 1484"
    assert rows["openai/model-x"] == "1 👍 · Elo 1500 → 1484"
    personas = await services.store.records.ratings(KEY.tenant_id, "persona")
    assert [(r.subject, r.wins, r.losses) for r in personas] == [
        ("comedian", 1, 0),
        ("philosopher", 0, 1),
    ]
    models = await services.store.records.ratings(KEY.tenant_id, "model")
    assert [(r.subject, r.wins, r.losses) for r in models] == [
        ("chimera/offline-demo", 1, 0),
        ("openai/model-x", 0, 1),
    ]
    assert not await vote(services, platform, "The Philosopher", "u4")  # the polls are closed
    room = await services.store.rooms.latest(KEY)
    assert room is not None and room.state is RoomState.FINISHED


async def test_leaderboard_shows_the_table_and_a_chart(
    services: Services, clock: FakeClock
) -> None:
    empty = await say(services, "leaderboard", MEMBER)
    assert empty.text.startswith("No persona has been rated yet")
    platform = attach_logging(services)
    await say(services, START)
    await services.tasks.drain()
    await vote(services, platform, "The Philosopher", "u1")
    await run_until_quiet(services, clock)
    board = await say(services, "leaderboard", MEMBER)
    assert board.title == "Persona leaderboard" and not board.attachments
    assert [label for label, _ in board.fields] == ["1. 🦉 The Philosopher", "2. 🎭 The Comedian"]
    assert board.fields[0][1] == "1516 · 1W 0L"
    charted = await say(services, "leaderboard model chart=yes", MEMBER)
    assert [label for label, _ in charted.fields] == [
        "1. chimera/offline-demo",
        "2. openai/model-x",
    ]
    chart = charted.attachments[0]
    assert chart.filename == "leaderboard-model.png" and chart.data.startswith(b"\x89PNG")
    other = await say(services, "leaderboard", key=KEY.__class__("test", "guild-b", "general"))
    assert other.text.startswith("No persona has been rated yet")


async def test_stop_closes_the_round_at_once_without_votes(services: Services) -> None:
    platform = attach_logging(services)
    await say(services, START)
    await services.tasks.drain()
    reply = await say(services, "stop")
    assert reply.text == "Stopped “Name a colour”."
    result = platform.titled("Compare results")[0]
    assert "No votes, so the ratings stay as they were (stopped)" in result.text
    assert await services.store.records.ratings(KEY.tenant_id, "persona") == []
    room = await services.store.rooms.latest(KEY)
    assert room is not None and room.state is RoomState.FINISHED
    assert await services.scheduler.pending(room.id) is None


async def test_stop_in_another_process_keeps_late_answers_out_of_the_closed_round(
    services: Services, llm: ScriptedLLM, elsewhere: Services
) -> None:
    answers = hold_answers(llm)
    platform, there = attach_logging(services), attach_logging(elsewhere)
    await say(services, START)
    reply = await say(elsewhere, "stop")
    assert reply.text == "Stopped “Name a colour”."
    assert there.titled("Compare results")
    answers.set()  # the contestants answer after the round was closed
    await services.tasks.drain()
    assert platform.turns == [] and not platform.titled("Compare results")
    room = await services.store.rooms.latest(KEY)
    assert room is not None and room.state is RoomState.FINISHED


async def test_compare_needs_two_known_contestants(services: Services) -> None:
    reply = await say(services, "start X mode=compare personas=poet,poet")
    assert reply.error and "at least two different personas or models" in reply.text
    reply = await say(services, "start X mode=compare personas=poet,nobody")
    assert reply.error and "Unknown persona 'nobody'" in reply.text
    assert (await services.store.rooms.latest(KEY)) is None


async def test_a_tie_is_a_draw_between_the_leaders_who_each_beat_the_rest() -> None:
    table = play_round({}, ["a", "b"], ["c"])
    assert table["a"].draws == 1 and table["a"].wins == 1
    assert table["a"].rating == table["b"].rating > elo.DEFAULT_RATING > table["c"].rating
    assert table["c"].losses == 2


async def test_pause_and_next_are_refused_with_what_to_do_instead(services: Services) -> None:
    await say(services, START)
    await services.tasks.drain()
    paused = await say(services, "pause")
    assert paused.error and paused.text.startswith("A compare round cannot be paused")
    assert "Use `stop` to end it now" in paused.text
    skipped = await say(services, "next")
    assert skipped.error and "`stop` closes the vote" in skipped.text
    room = await services.store.rooms.latest(KEY)
    assert room is not None and room.state is RoomState.VOTING


async def test_tied_winners_draw_and_the_leaderboard_keeps_the_draws(
    services: Services, clock: FakeClock
) -> None:
    platform = attach_logging(services)
    await say(services, START)
    await services.tasks.drain()
    assert await vote(services, platform, "The Comedian", "u1")
    assert await vote(services, platform, "The Philosopher", "u2")
    await run_until_quiet(services, clock)
    personas = await services.store.records.ratings(KEY.tenant_id, "persona")
    assert sorted((r.subject, r.wins, r.losses, r.draws) for r in personas) == [
        ("comedian", 0, 0, 1),
        ("philosopher", 0, 0, 1),
    ]
    board = await say(services, "leaderboard", MEMBER)
    assert dict(board.fields)["1. 🎭 The Comedian"] == "1500 · 0W 0L 1D"


async def test_a_round_lost_in_a_restart_asks_its_contestants_again(
    services: Services, clock: FakeClock
) -> None:
    platform = attach_logging(services)
    runner = services.orchestrator.runners[Mode.COMPARE]
    assert isinstance(runner, CompareRunner)
    seats = await runner.seats(KEY.tenant_id, ["philosopher", "comedian"], None)
    extra = {"compare": [Contestant.of(seat).as_dict() for seat in seats]}
    room = await services.store.rooms.create(  # its process died before any answer
        KEY, Mode.COMPARE, "Name a tree", (), RoomSettings(extra=extra)
    )
    await services.store.rooms.set_state(room.id, RoomState.RUNNING)
    assert await services.orchestrator.recover() == 1
    await services.scheduler.run_due(clock.now())  # type: ignore[attr-defined]
    await services.tasks.drain()
    restarted = platform.titled("Compare restarted")[0].text
    assert restarted.endswith("asking The Philosopher and The Comedian again.")
    assert sorted(platform.ids) == ["The Comedian", "The Philosopher"]
    assert platform.log[-1] == "notice:Vote for the best answer"
    room = await services.store.rooms.get(room.id)
    assert room is not None and room.state is RoomState.VOTING
