"""Reactions as votes, people joining in, and exactly-once handling of redelivered events."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from bot.base.rooms import SpeakerKind
from tests.adapters.slack.conftest import Chimera, SlackSender, running_chimera
from tests.fakes.slack_api import FakeSlack, Message


async def started(chimera: Chimera, command: str, turns: int = 1) -> tuple[Message, list[Message]]:
    """Start a room, run `turns` steps, return the header and the persona posts."""
    await chimera.sender.command(command)
    header = await chimera.header()
    await chimera.step(turns)
    posts = [m for m in chimera.slack.thread(header.channel, header.ts) if m.username]
    return header, posts


async def tally_of(chimera: Chimera, message: Message) -> Counter[str]:
    """Return the tally of the poll attached to a posted message."""
    store = chimera.services.store
    ref = await store.polls.message("slack", f"{message.channel}:{message.ts}")
    assert ref is not None and ref.poll_id is not None
    return await store.polls.tally(ref.poll_id)


async def test_reaction_add_and_remove_change_the_tally(chimera: Chimera) -> None:
    _, (turn,) = await started(chimera, "start Votes turns=1 pace=30")
    sender = chimera.sender
    assert (await sender.event(sender.reaction("+1", turn, "UMEMBER"))).status == 200
    await sender.event(sender.reaction("+1::skin-tone-3", turn, "UADMIN"))
    assert await tally_of(chimera, turn) == Counter({"👍": 2})
    await sender.event(sender.reaction("+1", turn, "UMEMBER", added=False))
    assert await tally_of(chimera, turn) == Counter({"👍": 1})


async def test_one_vote_per_person_last_reaction_wins(chimera: Chimera) -> None:
    _, (turn,) = await started(chimera, "start One vote each turns=1 pace=30")
    sender = chimera.sender
    await sender.event(sender.reaction("+1", turn, "UMEMBER"))
    await sender.event(sender.reaction("-1", turn, "UMEMBER"))
    assert await tally_of(chimera, turn) == Counter({"👎": 1})


async def test_our_own_seeded_reactions_are_not_votes(chimera: Chimera) -> None:
    _, (turn,) = await started(chimera, "start Seeds turns=1 pace=30")
    await chimera.sender.event(chimera.sender.reaction("+1", turn, "UBOT"))
    assert await tally_of(chimera, turn) == Counter()


async def test_a_retried_event_is_not_counted_twice(chimera: Chimera) -> None:
    _, (turn,) = await started(chimera, "start Retries turns=1 pace=30")
    sender = chimera.sender
    added = sender.reaction("+1", turn, "UMEMBER")
    await sender.event(added, event_id="EvVOTE1")
    await sender.event(sender.reaction("+1", turn, "UMEMBER", added=False), event_id="EvVOTE2")
    # Slack redelivers the first event (it thought we timed out): it must not bring the vote back.
    retry = await sender.event(added, event_id="EvVOTE1", retry=1)
    assert retry.status == 200
    assert await tally_of(chimera, turn) == Counter()


async def test_a_vote_lost_to_a_crash_is_counted_when_slack_retries(
    chimera: Chimera, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, (turn,) = await started(chimera, "start Crash turns=1 pace=30")
    sender, polls = chimera.sender, chimera.services.store.polls
    real_cast = polls.cast

    async def dies(*args: object, **kwargs: object) -> None:
        raise ConnectionError("the process died before the vote was stored")

    monkeypatch.setattr(polls, "cast", dies)
    added = sender.reaction("+1", turn, "UMEMBER")
    await sender.event(added, event_id="EvCRASH1")  # received, never stored
    monkeypatch.setattr(polls, "cast", real_cast)
    assert (await sender.event(added, event_id="EvCRASH1", retry=1)).status == 200
    assert await tally_of(chimera, turn) == Counter({"👍": 1})
    await sender.event(added, event_id="EvCRASH1", retry=2)  # and once only
    assert await tally_of(chimera, turn) == Counter({"👍": 1})


async def test_a_message_delivered_twice_at_once_joins_the_room_once(chimera: Chimera) -> None:
    header, _ = await started(chimera, "start Twice turns=3 pace=30")
    sender = chimera.sender
    said = sender.message("Count me once.", "UMEMBER", thread_ts=header.ts)
    await asyncio.gather(
        sender.event(said, event_id="EvTWICE"), sender.event(said, event_id="EvTWICE", retry=1)
    )
    turns = await chimera.services.store.rooms.transcript((await chimera.room()).id)
    assert [t.content for t in turns if t.kind is SpeakerKind.HUMAN] == ["Count me once."]
    assert await chimera.services.store.events.seen("slack", "EvTWICE")


async def test_a_first_delivery_marked_retry_zero_is_handled(chimera: Chimera) -> None:
    _, (turn,) = await started(chimera, "start Retry zero turns=1 pace=30")
    await chimera.sender.event(chimera.sender.reaction("+1", turn, "UMEMBER"), retry=0)
    assert await tally_of(chimera, turn) == Counter({"👍": 1})


async def test_a_person_joins_the_conversation_in_the_thread(chimera: Chimera) -> None:
    header, _ = await started(chimera, "start Join in turns=3 pace=30")
    sender = chimera.sender
    text = "What about <@UBOT|chimera> &amp; replicas?"
    event = sender.message(text, "UMEMBER", thread_ts=header.ts)
    await sender.event(event, event_id="EvMSG1")
    await sender.event(event, event_id="EvMSG1", retry=2)  # redelivered: not a second message
    await sender.event(sender.message("side chat", "UMEMBER", thread_ts="1.000001"))
    await sender.event({**sender.message("a bot", "UMEMBER"), "bot_id": "BOTHER"})
    turns = await chimera.services.store.rooms.transcript((await chimera.room()).id)
    human = [t for t in turns if t.kind is SpeakerKind.HUMAN]
    assert [(t.speaker_name, t.content) for t in human] == [
        ("Mo", "What about @chimera & replicas?")
    ]


async def test_debate_outcome_vote_and_decision_record(chimera: Chimera) -> None:
    header, posts = await started(
        chimera, "start Should we adopt Postgres? mode=debate rounds=1", 7
    )
    assert len({p.username for p in posts}) >= 3
    verdict = next(
        m
        for m in chimera.slack.thread(header.channel, header.ts)
        if "Your verdict" in str(m.blocks)
    )
    seeded = {
        c.params["name"]
        for c in chimera.posts("reactions.add")
        if c.params["timestamp"] == verdict.ts
    }
    assert seeded == {"+1", "-1"}
    sender = chimera.sender
    await sender.event(sender.reaction("+1", verdict, "UMEMBER"))
    await sender.event(sender.reaction("+1", verdict, "UADMIN"))
    await sender.event(sender.reaction("-1", verdict, "UOWNER"))
    assert await tally_of(chimera, verdict) == Counter({"👍": 2, "👎": 1})
    await chimera.sender.command("stop")
    await chimera.settle()
    results = chimera.slack.thread(header.channel, header.ts)[-1]
    text = str(results.blocks)
    assert "Results" in text and "outcome" in text
    assert results.blocks[0]["type"] == "header"
    assert any(b.get("fields") for b in results.blocks)
    decision = await chimera.services.store.records.decision((await chimera.room()).id)
    assert decision is not None and decision.question == "Should we adopt Postgres?"
    assert decision.audience == {"for": 2, "against": 1}


async def test_reactions_missed_while_down_are_counted_when_the_room_ends(
    slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_chimera(slack, tmp_path) as first:
        _, (turn,) = await started(first, "start Offline votes turns=2 pace=30")
        await first.sender.event(first.sender.reaction("-1", turn, "UADMIN"))
    # While Chimera is down (no events reach it), UMEMBER adds a 👍 with a skin tone and
    # UADMIN takes the 👎 back.
    slack.react(SlackSender.reaction("+1::skin-tone-2", turn, "UMEMBER"))
    slack.react(SlackSender.reaction("-1", turn, "UADMIN", added=False))
    async with running_chimera(slack, tmp_path) as second:
        assert (await second.sender.command("stop")).status == 200
        await second.settle()
        assert await tally_of(second, turn) == Counter({"👍": 1})  # the bot's seeds are not votes
        assert second.posts("reactions.get")


async def test_polls_opened_since_the_start_cost_no_reaction_reads(chimera: Chimera) -> None:
    _, (turn,) = await started(chimera, "start Live votes turns=2 pace=30")
    await chimera.sender.event(chimera.sender.reaction("+1", turn, "UMEMBER"))
    assert (await chimera.sender.command("stop")).status == 200
    await chimera.settle()
    assert await tally_of(chimera, turn) == Counter({"👍": 1})
    assert chimera.posts("reactions.get") == []
