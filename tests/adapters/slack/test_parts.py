"""The Slack adapter's small parts: pacing, emoji, rendering, dedupe, keys, text cleanup."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adapters.slack.buttons import pressed_key
from adapters.slack.client import retry_after_s
from adapters.slack.dedupe import EventDedupe, retry_number
from adapters.slack.emoji import from_slack, icon_emoji, slack_name
from adapters.slack.events import is_human_post, plain_text
from adapters.slack.identity import DEFAULT_ICON, persona_identity, split_message_id
from adapters.slack.pacing import ChannelPacer, wait_s
from adapters.slack.render import controls, notice_message, turn_messages
from adapters.slack.users import member_from
from bot.base.rooms import Mode, Room, RoomKey, RoomSettings, RoomState
from bot.core.platform import Notice, TurnPost
from personas.cards import Persona, load_dir
from tests.doubles import FakeClock

SAGE = Persona(id="sage", name="Sage", bio="b", prompt="p", emoji="🦉")
KEY = RoomKey("slack", "T1", "C1")


def room(state: RoomState = RoomState.RUNNING) -> Room:
    return Room(1, KEY, Mode.CHAT, "Topic", ("sage",), state, RoomSettings())


def test_wait_is_a_pure_function_of_now() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert wait_s(None, now) == 0
    assert wait_s(now + timedelta(seconds=0.4), now) == pytest.approx(0.4)
    assert wait_s(now - timedelta(seconds=3), now) == 0


async def test_pacer_spaces_posts_per_channel_only() -> None:
    clock = FakeClock()
    pacer = ChannelPacer(clock)
    for channel in ("C1", "C1", "C2", "C1"):
        await pacer.slot(channel)
    assert clock.slept == [1.0, 1.0]  # the second and fourth C1 posts waited; C2 did not


async def test_pacer_keeps_a_channel_in_order() -> None:
    pacer, order = ChannelPacer(FakeClock()), []

    async def post(name: str) -> None:
        async with pacer.channel("C1"):
            for part in (1, 2):
                await pacer.slot("C1")
                order.append(f"{name}{part}")

    await asyncio.gather(post("a"), post("b"))
    assert order == ["a1", "a2", "b1", "b2"]


def test_emoji_round_trip() -> None:
    assert slack_name("👍") == "+1" and slack_name("👎") == "-1"
    assert from_slack("+1") == "👍" and from_slack("thumbsup") == "👍"
    assert from_slack("+1::skin-tone-4") == "👍"
    assert from_slack("partyparrot") == ":partyparrot:"
    assert slack_name(":partyparrot:") == "partyparrot" and slack_name("no emoji") is None
    assert icon_emoji("🦉") == ":owl:"


def test_every_emoji_has_its_slack_name() -> None:
    # The built-in personas' icons, beyond any hand-written table.
    assert icon_emoji("🦜") == ":parrot:"
    assert icon_emoji("🎙️") == ":studio_microphone:" and icon_emoji("🎙") == ":studio_microphone:"
    assert icon_emoji("🛠️") == ":hammer_and_wrench:"
    assert slack_name("🫠") == "melting_face" and from_slack("melting_face") == "🫠"
    # Where Slack's names differ from the emoji package's, Slack's win, both ways.
    assert slack_name("🥇") == "first_place_medal" and from_slack("first_place_medal") == "🥇"
    assert slack_name("🤔") == "thinking_face" and from_slack("thinking") == "🤔"
    assert from_slack("heart") == "❤️" and from_slack("white_check_mark") == "✅"


def test_built_in_personas_get_their_own_icon() -> None:
    for persona in load_dir().values():
        assert persona_identity(replace(persona, avatar_url=None))["icon_emoji"] != DEFAULT_ICON


def test_identity_prefers_an_avatar_url() -> None:
    assert persona_identity(SAGE) == {"username": "Sage", "icon_emoji": ":owl:"}
    with_url = Persona(id="x", name="X" * 90, bio="b", prompt="p", avatar_url="https://a/x.png")
    assert persona_identity(with_url) == {"username": "X" * 80, "icon_url": "https://a/x.png"}
    assert split_message_id("C1:1700000001.000001") == ("C1", "1700000001.000001")


def test_turn_split_and_footer() -> None:
    messages = turn_messages(TurnPost(SAGE, "word " * 1300, 1, footer="offline demo model"))
    assert len(messages) == 3 and all(len(m.text) <= 3000 for m in messages)
    assert messages[-1].blocks[-1]["type"] == "context"
    assert all(b["type"] != "context" for m in messages[:-1] for b in m.blocks)


def test_notice_blocks_escape_and_fields() -> None:
    notice = Notice("<!here> results", title="Results", fields=(("A & B", "1"),) * 12)
    message = notice_message(notice)
    assert message.blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Results"},
    }
    assert "&lt;!here&gt;" in message.blocks[1]["text"]["text"]
    fields = [b for b in message.blocks if "fields" in b]
    assert [len(b["fields"]) for b in fields] == [10, 2]
    assert fields[0]["fields"][0]["text"] == "*A &amp; B*\n1"


@pytest.mark.parametrize(
    ("state", "buttons"),
    [
        (RoomState.RUNNING, ["chimera_pause", "chimera_next", "chimera_stop"]),
        (RoomState.PAUSED, ["chimera_resume", "chimera_next", "chimera_stop"]),
        (RoomState.VOTING, ["chimera_stop"]),
        (RoomState.FINISHED, []),
    ],
)
def test_controls_follow_the_state(state: RoomState, buttons: list[str]) -> None:
    blocks = controls(room(state))
    found = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert found == buttons
    assert all(
        e["value"] == "slack:T1:C1" for b in blocks if b["type"] == "actions" for e in b["elements"]
    )


class MemoryLog:
    """A durable log in memory, counting its reads."""

    def __init__(self) -> None:
        self.handled: set[str] = set()
        self.reads = 0

    async def seen(self, platform: str, event_id: str) -> bool:
        self.reads += 1
        return event_id in self.handled


async def test_dedupe_front_and_durable_log() -> None:
    durable = MemoryLog()
    dedupe = EventDedupe(durable, front_size=2)
    assert not await dedupe.handled("E1")  # nothing stored its effect yet
    durable.handled |= {"E1", "E2", "E3"}  # the effects commit with their events
    assert await dedupe.handled("E1") and await dedupe.handled("E1")
    assert durable.reads == 2  # the in-memory front answered the repeat
    await dedupe.handled("E2")
    await dedupe.handled("E3")  # pushes E1 out of the front
    assert await dedupe.handled("E1")  # …but the durable log still knows it
    assert await EventDedupe(durable).handled("E2")  # and so does a restarted process


def test_retry_number_reads_socket_modes_zero() -> None:
    assert retry_number({}) == 0
    assert retry_number({"x-slack-retry-num": ["0"]}) == 0
    assert retry_number({"x-slack-retry-num": ["2"]}) == 2
    assert retry_number({"x-slack-retry-num": ["x"]}) == 0


def test_retry_after_header() -> None:
    assert retry_after_s({"retry-after": ["3"]}) == 3
    assert retry_after_s({"Retry-After": "2"}) == 2
    assert retry_after_s({}) == 1


def test_member_admin_flags_and_names() -> None:
    owner = member_from({"id": "U1", "is_owner": True, "profile": {"real_name": "Olu"}})
    plain = member_from({"id": "U2", "name": "mo", "profile": {}})
    assert owner.admin and owner.name == "Olu" and not plain.admin and plain.name == "mo"


def test_message_text_cleanup_and_filters() -> None:
    assert plain_text("hi <@U1|ada>, see <https://x.io|docs> &amp; <#C1|general>") == (
        "hi @ada, see docs & @general"
    )
    person = {"type": "message", "user": "U1", "text": "hello"}
    assert is_human_post(person, "UBOT")
    assert not is_human_post({**person, "subtype": "message_changed"}, "UBOT")
    assert not is_human_post({**person, "bot_id": "B1"}, "UBOT")
    assert not is_human_post({**person, "user": "UBOT"}, "UBOT")


def test_button_key_must_match_where_it_was_pressed() -> None:
    body = {"team": {"id": "T1"}, "channel": {"id": "C1"}}
    assert pressed_key(body, {"value": "slack:T1:C1:171.1"}) == RoomKey(
        "slack", "T1", "C1", "171.1"
    )
    assert pressed_key(body, {"value": "slack:T9:C9"}) == KEY
    assert pressed_key(body, {"value": "garbage"}) == KEY


def test_settings_must_name_a_way_to_receive_events() -> None:
    from adapters.slack.adapter import check_settings
    from bot.runtime.config import ConfigError, Settings

    with pytest.raises(ConfigError, match="CHIMERA_SLACK_BOT_TOKEN"):
        check_settings(Settings(slack_bot_token=None))
    with pytest.raises(ConfigError, match="CHIMERA_SLACK_SIGNING_SECRET"):
        check_settings(Settings(slack_bot_token="xoxb-1", slack_signing_secret=None))
    assert check_settings(Settings(slack_bot_token="xoxb-1", slack_app_token="xapp-1")) == "xoxb-1"
