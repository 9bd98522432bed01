"""Forks and replays through the commands: lineage, inherited turns, seeds, the summary."""

from __future__ import annotations

import json
from typing import Any

from bot.base.rooms import BranchKind, Lineage, Mode, Room, RoomKey, RoomSettings, RoomState
from bot.commands.replies import Caller, Reply
from bot.core.results import VOTE_UP
from bot.runtime.app import Services
from tests.doubles import FakeClock, ManualScheduler
from tests.support import RecordingPlatform, run_until_quiet

KEY = RoomKey("test", "guild", "general")
SIDE = RoomKey("test", "guild", "general", "side-thread")
OTHER_TENANT = RoomKey("test", "elsewhere", "general")
ADMIN = Caller("u1", "Ada", can_manage=True)
CAST = "philosopher,comedian,scientist,skeptic"


async def run(services: Services, key: RoomKey, name: str, **args: Any) -> Reply:
    return await services.commands.run(key, ADMIN, name, args)


async def started(services: Services, key: RoomKey, name: str, **args: Any) -> Room:
    reply = await run(services, key, name, **args)
    assert not reply.error, reply.text
    room = await services.store.rooms.latest(key)
    assert room is not None
    return room


async def finished_chat(services: Services, clock: FakeClock, turns: int = 6) -> Room:
    room = await started(
        services, KEY, "start", topic="Tea or coffee?", turns=str(turns), pace="0", personas=CAST
    )
    await run_until_quiet(services, clock)
    return await services.orchestrator.host.reload(room)


def steps(services: Services) -> ManualScheduler:
    assert isinstance(services.scheduler, ManualScheduler)
    return services.scheduler


async def test_a_fork_inherits_the_turns_up_to_the_fork_and_goes_on_from_there(
    services: Services, clock: FakeClock, platform: RecordingPlatform
) -> None:
    parent = await finished_chat(services, clock)
    parent_turns = await services.store.rooms.transcript(parent.id)
    await services.orchestrator.on_reaction("test", "m2", "bob", VOTE_UP, True)  # turn 1's post
    posted_before = len(platform.turns)

    fork = await started(
        services, SIDE, "fork", room=str(parent.id), at="3", personas="poet,skeptic"
    )
    assert fork.lineage == Lineage(BranchKind.FORK, parent.id, 3)
    inherited = await services.store.rooms.transcript(fork.id)
    assert [(t.seq, t.speaker_id, t.content) for t in inherited] == [
        (t.seq, t.speaker_id, t.content) for t in parent_turns[:3]
    ]
    assert all(t.inherited for t in inherited)
    assert fork.next_seq == 4 and fork.cast == ("poet", "skeptic")
    assert len(platform.turns) == posted_before  # nothing re-posted ...
    header, recap = platform.notices[-2:]
    assert ("Forked from", f"room {parent.id} at turn #3") in header.fields
    assert recap.title == "Recap" and parent_turns[2].content in recap.text  # ... but a recap

    await run_until_quiet(services, clock)
    own = (await services.store.rooms.transcript(fork.id))[3:]
    assert [t.seq for t in own] == [4, 5, 6] and not any(t.inherited for t in own)
    assert {t.speaker_id for t in own} <= {"poet", "skeptic"}
    polls = await services.store.polls.of_room(fork.id)
    assert sorted(int(p.subject.partition("#")[2]) for p in polls) == [4, 5, 6]  # no votes kept
    results = await run(services, SIDE, "results")
    assert f"{VOTE_UP} 1" not in str(results.fields)


async def test_forking_a_running_room_leaves_it_running(
    services: Services, clock: FakeClock
) -> None:
    parent = await started(services, KEY, "start", topic="Tea?", turns="6", pace="5")
    await steps(services).run_due(clock.now())
    await steps(services).run_due(clock.now())  # not due yet: still one turn
    before = await services.orchestrator.host.reload(parent)
    pending = await services.scheduler.pending(parent.id)

    fork = await started(services, SIDE, "fork", room=str(parent.id), at="1")
    assert fork.id != parent.id and (await services.store.rooms.transcript(fork.id))[0].inherited
    after = await services.orchestrator.host.reload(parent)
    assert after == before and after.state is RoomState.RUNNING
    assert await services.scheduler.pending(parent.id) == pending
    await run_until_quiet(services, clock)
    assert len(await services.store.rooms.transcript(parent.id)) == 6  # it ran to its end


async def test_a_fork_with_the_same_settings_takes_the_same_path(
    services: Services, clock: FakeClock
) -> None:
    parent = await finished_chat(services, clock)
    fork = await started(services, SIDE, "fork", room=str(parent.id), at="2")
    await run_until_quiet(services, clock)
    assert fork.settings.seed == parent.seed
    speakers = [t.speaker_id for t in await services.store.rooms.transcript(parent.id)]
    again = [t.speaker_id for t in await services.store.rooms.transcript(fork.id)]
    assert again == speakers  # same seed, cast and model: the same speakers, turn by turn


async def test_a_fork_into_a_debate_starts_the_debate_over_the_chat_so_far(
    services: Services, clock: FakeClock
) -> None:
    parent = await finished_chat(services, clock, turns=4)
    fork = await started(services, SIDE, "fork", room=str(parent.id), at="4", mode="debate")
    assert fork.mode is Mode.DEBATE and fork.persona_turns == 0
    await steps(services).run_due(clock.now())
    framing = (await services.store.rooms.transcript(fork.id))[4]
    assert framing.seq == 5 and framing.role == "moderator"


async def test_forks_that_cannot_be_are_refused(services: Services, clock: FakeClock) -> None:
    parent = await finished_chat(services, clock, turns=2)
    reply = await run(services, SIDE, "fork", room=str(parent.id), at="9")
    assert reply.error and "has turns #1 to #2" in reply.text
    reply = await run(services, OTHER_TENANT, "fork", room=str(parent.id), at="1")
    assert reply.error and f"no room {parent.id} here" in reply.text
    consortium = await services.store.rooms.create(
        KEY, Mode.CONSORTIUM, "Why?", ("philosopher", "skeptic"), RoomSettings()
    )
    await services.store.rooms.set_state(consortium.id, RoomState.FINISHED)
    reply = await run(services, SIDE, "fork", room=str(consortium.id), at="1")
    assert reply.error and "use `replay`" in reply.text
    reply = await run(services, KEY, "fork", room=str(parent.id), at="1", mode="chat")
    assert not reply.error  # the channel is free again: a fork may go where its parent was
    member = Caller("u2", "Bob", can_manage=False)
    reply = await services.commands.run(SIDE, member, "replay", {"room": str(parent.id)})
    assert reply.error and "permission" in reply.text


async def test_a_replay_reruns_with_the_same_seed_and_ends_with_a_side_by_side_summary(
    services: Services, clock: FakeClock, platform: RecordingPlatform
) -> None:
    original = await finished_chat(services, clock)
    replay = await started(services, SIDE, "replay", room=str(original.id))
    assert replay.lineage == Lineage(BranchKind.REPLAY, original.id)
    assert replay.topic == original.topic and replay.settings.seed == original.seed
    assert replay.settings.turns == original.settings.turns and replay.next_seq == 1
    await run_until_quiet(services, clock)
    first = [(t.speaker_id, t.content) for t in await services.store.rooms.transcript(original.id)]
    again = [(t.speaker_id, t.content) for t in await services.store.rooms.transcript(replay.id)]
    assert again == first  # the same cast and model on the same seed: the same conversation

    results, summary = platform.notices[-2:]
    assert results.title == "Results" and summary.title == "Replay beside the original"
    rows = dict(summary.fields)
    assert [side.strip() for side in rows["Room"].split("│")] == [str(original.id), str(replay.id)]
    assert rows["Turns"].replace(" ", "") == "6│6"
    assert set(rows) == {"Room", "Cast", "Model", "Turns", "Votes", "Verdict", "Tokens", "Cost"}


async def test_a_replay_with_another_cast_shows_both_casts(
    services: Services, clock: FakeClock, platform: RecordingPlatform
) -> None:
    original = await finished_chat(services, clock, turns=2)
    await started(services, SIDE, "replay", room=str(original.id), personas="poet,comedian")
    await run_until_quiet(services, clock)
    cast = dict(platform.notices[-1].fields)["Cast"]
    before, after = (side.strip() for side in cast.split("│"))
    assert "The Poet" in after and "The Poet" not in before


async def test_a_debate_replay_keeps_the_sides_and_compares_the_verdicts(
    services: Services, clock: FakeClock, platform: RecordingPlatform
) -> None:
    cast = "moderator,advocate,pragmatist,critic,skeptic,judge"
    original = await started(
        services, KEY, "start", topic="Four-day week?", mode="debate", personas=cast, pace="0"
    )
    await run_until_quiet(services, clock)
    replay = await started(services, SIDE, "replay", room=str(original.id))
    assert replay.settings.extra["debate"] == original.settings.extra["debate"]
    await run_until_quiet(services, clock)
    verdicts = dict(platform.notices[-1].fields)["Verdict"]
    assert [side.strip() for side in verdicts.split("│")] == ["for (judge: for)"] * 2


async def test_status_and_exports_show_the_lineage(services: Services, clock: FakeClock) -> None:
    parent = await finished_chat(services, clock, turns=3)
    fork = await started(services, SIDE, "fork", room=str(parent.id), at="2", turns="1")
    await run_until_quiet(services, clock)
    status = dict((await run(services, SIDE, "status")).fields)
    assert status["Forked from"] == f"room {parent.id} at turn #2"
    assert dict((await run(services, KEY, "status")).fields)["Forks"] == f"room {fork.id} (at #2)"

    markdown = await services.commands.export(fork, "md")
    assert f"- Forked from: room {parent.id} at turn #2" in markdown
    assert markdown.count("· inherited") == 2 and "— #3\n" in markdown
    data = json.loads(await services.commands.export(parent, "json"))
    assert data["room"]["branches"] == [
        {"room": fork.id, "kind": "fork", "parent": parent.id, "at": 2}
    ]
    turns = json.loads(await services.commands.export(fork, "json"))["turns"]
    assert [t["inherited"] for t in turns] == [True, True, False]
