"""Forks, replays and recurring rooms through `/chimera` against the fake Slack."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.adapters.slack.conftest import CHANNEL, Chimera
from tests.fakes.slack_api import Message


def headers(chimera: Chimera) -> list[Message]:
    """Return the rooms' headers: top-level messages with the room's state line."""
    return [m for m in chimera.slack.messages if m.thread_ts is None and "State:" in str(m.blocks)]


def thread(chimera: Chimera, header: Message) -> list[Message]:
    return chimera.slack.thread(header.channel, header.ts)


async def answered(chimera: Chimera, count: int) -> list[dict[str, object]]:
    return await chimera.slack.wait_for(
        lambda: chimera.slack.responses if len(chimera.slack.responses) >= count else None,
        what=f"{count} responses",
    )


async def finished_room(chimera: Chimera) -> Message:
    await chimera.sender.command("start Tabs or spaces? personas=philosopher,comedian turns=2")
    header = await chimera.header()
    await chimera.step(2)
    await chimera.sender.command("stop")
    await answered(chimera, 2)
    await chimera.settle()
    return header


async def test_a_fork_gets_its_own_thread_under_a_header_linking_the_parent_turn(
    chimera: Chimera,
) -> None:
    parent = await finished_room(chimera)
    second_turn = [m for m in thread(chimera, parent) if m.username][1]
    await chimera.sender.command("fork 1 at=2 personas=poet,skeptic turns=2")
    (answer,) = (await answered(chimera, 3))[2:]
    assert "Forked room 1 after turn #2 as room 2" in str(answer["text"])
    old, fork = await chimera.slack.wait_for(
        lambda: headers(chimera) if len(headers(chimera)) == 2 else None, what="the fork's header"
    )
    assert old.ts == parent.ts and fork.ts != parent.ts
    link = f"<https://fake.slack.com/archives/{CHANNEL}/p{second_turn.ts.replace('.', '')}|"
    assert f"↳ Forked from {link}room 1 at turn #2>" in str(fork.blocks)
    assert "Forked from" in str(fork.blocks) and "Recap" in str(thread(chimera, fork)[0].blocks)
    assert not [m for m in thread(chimera, fork) if m.username]  # nothing inherited re-posted

    await chimera.step(2)
    own = [m for m in thread(chimera, fork) if m.username]
    assert len(own) == 2 and {m.username for m in own} <= {"The Poet", "The Skeptic"}
    assert len([m for m in thread(chimera, parent) if m.username]) == 2  # the parent is as it was


async def test_a_replay_summary_is_posted_in_the_replay_thread(chimera: Chimera) -> None:
    await finished_room(chimera)
    await chimera.sender.command("replay 1 personas=scientist,skeptic")
    await answered(chimera, 3)
    await chimera.step(2)
    await chimera.sender.command("stop")
    await answered(chimera, 4)
    await chimera.settle()
    replay = headers(chimera)[1]
    summary = [m for m in thread(chimera, replay) if "Replay beside the original" in str(m.blocks)]
    assert len(summary) == 1
    assert "Tokens" in str(summary[0].blocks) and "│" in str(summary[0].blocks)


async def test_a_scheduled_room_skips_a_busy_channel_then_starts_in_a_free_one(
    chimera: Chimera,
) -> None:
    await chimera.sender.command(
        'schedule add "Question of the day" every=daily@09:00 tz=Europe/Paris turns=1'
    )
    (added,) = await answered(chimera, 1)
    assert "Scheduled #1" in str(added["text"])
    await chimera.sender.command("start Still going personas=philosopher,comedian turns=5")
    busy = await chimera.header()
    recurring = chimera.services.recurring
    chimera.clock.advance(
        (datetime(2026, 1, 1, 8, tzinfo=UTC) - chimera.clock.now()).total_seconds()
    )
    await recurring.fire(1, chimera.clock.now())
    notes = [m for m in thread(chimera, busy) if "Skipped this time of schedule #1" in m.text]
    assert len(notes) == 1

    await chimera.sender.command("stop")
    await answered(chimera, 3)
    chimera.clock.advance(86400)
    await recurring.fire(1, chimera.clock.now())
    await chimera.step()
    scheduled = headers(chimera)[-1]
    assert "Question of the day" in str(scheduled.blocks) and scheduled.ts != busy.ts
    assert len([m for m in thread(chimera, scheduled) if m.username]) == 1
