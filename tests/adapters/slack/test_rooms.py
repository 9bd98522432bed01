"""Rooms on Slack end to end: header and persona posts, splitting, 429s, buttons, channel mode."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.adapters.slack.conftest import CHANNEL, Chimera, running_chimera
from tests.fakes.slack_api import FakeSlack, Message
from tests.support import distinct_sentences


def replies(chimera: Chimera, header: Message) -> list[Message]:
    """Return the posts in the room's thread."""
    return chimera.slack.thread(header.channel, header.ts)


def persona_posts(chimera: Chimera, header: Message) -> list[Message]:
    """Return the thread's posts made under a persona's name."""
    return [m for m in replies(chimera, header) if m.username]


async def test_start_posts_a_header_then_personas_in_its_thread(chimera: Chimera) -> None:
    reply = await chimera.sender.command(
        "start Should we migrate to Postgres? personas=philosopher,comedian,scientist turns=3"
    )
    assert reply.status == 200 and reply.elapsed_s < 3
    header = await chimera.header()
    assert header.thread_ts is None and header.username is None
    assert "Should we migrate to Postgres?" in str(header.blocks)
    assert "Mode" in str(header.blocks) and "Cast" in str(header.blocks)
    await chimera.step(3)
    posts = persona_posts(chimera, header)
    assert len(posts) == 3
    assert len({p.username for p in posts}) >= 2
    assert all(p.icon_emoji or p.icon_url for p in posts)
    # Each turn is a poll: the bot seeds the vote reactions on it.
    seeded = {(c.params["timestamp"], c.params["name"]) for c in chimera.posts("reactions.add")}
    assert {(posts[0].ts, "+1"), (posts[0].ts, "-1")} <= seeded


async def test_public_reply_goes_to_the_channel(chimera: Chimera) -> None:
    await chimera.sender.command("start Tea or coffee?")
    await chimera.header()
    (answer,) = await chimera.slack.wait_for(lambda: chimera.slack.responses, what="a response")
    assert answer["response_type"] == "in_channel" and "Starting a chat" in answer["text"]


@pytest.mark.usefixtures("oversized_turns")
async def test_a_long_turn_is_split_under_3000_characters(chimera: Chimera) -> None:
    words = distinct_sentences(100)
    assert len(words) > 5000
    chimera.llm.script = [words]
    await chimera.sender.command("start Long answers personas=philosopher,comedian turns=1")
    header = await chimera.header()
    await chimera.step()
    posts = persona_posts(chimera, header)
    assert len(posts) == 2
    assert all(len(p.text) <= 3000 for p in posts)
    assert len({p.username for p in posts}) == 1
    assert " ".join(p.text for p in posts).split() == words.split()


async def test_a_rate_limited_post_is_retried(chimera: Chimera) -> None:
    chimera.slack.fail("chat.postMessage", retry_after=2)
    await chimera.sender.command("start Rate limits")
    await chimera.header()
    statuses = [c.status for c in chimera.posts()]
    assert statuses[:2] == [429, 200]
    # The retry waited for Retry-After on the adapter's (fake) clock, not in real time.
    assert any(s >= 2 for s in chimera.adapter_clock.slept)


async def test_posts_in_one_channel_are_paced_one_per_second(chimera: Chimera) -> None:
    await chimera.sender.command("start Pacing turns=3")
    await chimera.header()
    await chimera.step(3)
    assert len(chimera.posts()) == 4
    waits = [s for s in chimera.adapter_clock.slept if s > 0]
    assert len(waits) >= 3 and all(0 < s <= 1.0 for s in waits)


async def test_model_text_cannot_ping_the_channel(chimera: Chimera) -> None:
    chimera.llm.script = ["Hey <!channel> and <@UADMIN>, look: a < b & c"]
    await chimera.sender.command("start Pings turns=1")
    header = await chimera.header()
    await chimera.step()
    (post,) = persona_posts(chimera, header)
    assert "<!channel>" not in post.text and "&lt;!channel&gt;" in post.text
    assert "a &lt; b &amp; c" in post.text


async def test_pause_button_pauses_the_room_and_redraws_the_header(chimera: Chimera) -> None:
    await chimera.sender.command("start Buttons pace=30")
    header = await chimera.header()
    reply = await chimera.sender.press("chimera_pause", header)
    assert reply.status == 200 and reply.elapsed_s < 3
    await chimera.slack.wait_for(lambda: header.edits, what="the header update")
    assert (await chimera.room()).state.value == "paused"
    action_ids = [
        e["action_id"] for b in header.blocks if b["type"] == "actions" for e in b["elements"]
    ]
    assert action_ids == ["chimera_resume", "chimera_next", "chimera_stop"]
    (note,) = chimera.slack.ephemerals
    assert note.user == "UADMIN" and "Paused" in note.text


async def test_resume_and_stop_buttons(chimera: Chimera) -> None:
    await chimera.sender.command("start Buttons again pace=30")
    header = await chimera.header()
    await chimera.sender.press("chimera_pause", header)
    await chimera.slack.wait_for(lambda: header.edits == 1, what="paused header")
    await chimera.sender.press("chimera_resume", header)
    await chimera.slack.wait_for(lambda: header.edits == 2, what="resumed header")
    await chimera.sender.press("chimera_stop", header)
    await chimera.slack.wait_for(lambda: header.edits == 3, what="finished header")
    assert (await chimera.room()).state.value == "finished"
    assert not [b for b in header.blocks if b["type"] == "actions"]
    assert any("Results" in str(m.blocks) for m in replies(chimera, header))


async def test_a_non_admin_button_press_is_refused(chimera: Chimera) -> None:
    await chimera.sender.command("start Not yours pace=30")
    header = await chimera.header()
    await chimera.sender.press("chimera_stop", header, user="UMEMBER")
    note = await chimera.slack.wait_for(lambda: chimera.slack.ephemerals, what="an ephemeral")
    assert note[0].user == "UMEMBER" and "needs permission" in note[0].text
    assert (await chimera.room()).state.value == "running"


async def test_channel_mode_posts_without_a_thread(slack: FakeSlack, tmp_path: Path) -> None:
    async with running_chimera(slack, tmp_path, slack_thread_mode=False) as chimera:
        await chimera.sender.command("start In the open turns=2")
        await chimera.header()
        await chimera.step(2)
        posts = [m for m in slack.messages if m.channel == CHANNEL]
        assert len(posts) == 3 and all(m.thread_ts is None for m in posts)


async def test_after_a_restart_the_room_keeps_its_thread(slack: FakeSlack, tmp_path: Path) -> None:
    async with running_chimera(slack, tmp_path) as first:
        await first.sender.command("start Keep the thread turns=4")
        header = await first.header()
        await first.step(1)
    async with running_chimera(slack, tmp_path) as second:  # same database, new process
        said = second.sender.message("Bring up costs please", "UMEMBER", thread_ts=header.ts)
        assert (await second.sender.event(said)).status == 200
        await second.step(2)
        headers = [m for m in slack.messages if m.channel == CHANNEL and not m.thread_ts]
        assert headers == [header]  # no second header: the room went on in its thread
        assert len(persona_posts(second, header)) == 3
        turns = await second.services.store.rooms.transcript((await second.room()).id)
        assert any(t.content == "Bring up costs please" for t in turns)


CRASHES = {  # where the process dies while posting turn 1: (method, its call, stored first)
    "before-slack-stored": ("chat.postMessage", 1, False),
    "after-slack-stored": ("chat.postMessage", 1, True),
    "between-pieces": ("chat.postMessage", 2, False),
    "between-reactions": ("reactions.add", 2, False),
}


@pytest.mark.usefixtures("oversized_turns")
@pytest.mark.parametrize("crash", CRASHES)
async def test_a_turn_cut_off_by_a_crash_appears_once_after_restart(
    slack: FakeSlack, tmp_path: Path, crash: str
) -> None:
    method, call, stored = CRASHES[crash]
    long_turn = distinct_sentences(100)
    async with running_chimera(slack, tmp_path) as first:
        first.llm.script = [long_turn]  # two pieces
        await first.sender.command("start Crash mid-post personas=philosopher,comedian turns=3")
        header = await first.header()
        held = slack.hold(method, after_storing=stored, at_call=call)
        posting = asyncio.create_task(first.step())
        await asyncio.wait_for(held.wait(), 5)
        posting.cancel()  # the process dies here
    async with running_chimera(slack, tmp_path) as second:  # same database, new process
        await second.step(2)
        posts = persona_posts(second, header)
        assert len(posts) == 4  # turn 1 once, in its two pieces, then turns 2 and 3
        assert " ".join(p.text for p in posts[:2]).split() == long_turn.split()
        seeded = slack.reactions[(CHANNEL, posts[0].ts)]
        assert seeded["+1"] == [slack.bot_user_id] and seeded["-1"] == [slack.bot_user_id]
        said = second.sender.reaction("+1", posts[0], "UMEMBER")
        assert (await second.sender.event(said)).status == 200
        ref = await second.services.store.polls.message("slack", f"{CHANNEL}:{posts[0].ts}")
        assert ref is not None and ref.poll_id is not None  # votes on turn 1 count
