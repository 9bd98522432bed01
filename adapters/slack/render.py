"""Block Kit rendering of the core's output: turns, notices, the room header, replies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.base.rooms import Room, RoomState
from bot.base.text import clip
from bot.core.platform import Notice, TurnPost, split_text

TURN_LIMIT = 3000  # Slack truncates long messages and refuses sections over 3000 characters
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
FIELDS_PER_SECTION = 10
HEADER_LIMIT = 150
MAX_BLOCKS = 50

Block = dict[str, Any]

# The header's buttons: action id → (label, command, style). Values carry the room key.
CONTROLS: dict[str, tuple[str, str, str | None]] = {
    "chimera_pause": ("⏸ Pause", "pause", None),
    "chimera_resume": ("▶️ Resume", "resume", "primary"),
    "chimera_next": ("⏭ Next", "next", None),
    "chimera_stop": ("⏹ Stop", "stop", "danger"),
}
_BUTTONS_BY_STATE: dict[RoomState, tuple[str, ...]] = {
    RoomState.IDLE: ("chimera_stop",),
    RoomState.RUNNING: ("chimera_pause", "chimera_next", "chimera_stop"),
    RoomState.PAUSED: ("chimera_resume", "chimera_next", "chimera_stop"),
    RoomState.VOTING: ("chimera_stop",),
    RoomState.FINISHED: (),
}


@dataclass(frozen=True)
class Message:
    """What one `chat.postMessage` carries: fallback text and blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        """Return the Web API arguments."""
        return {"text": self.text, "blocks": self.blocks} if self.blocks else {"text": self.text}


def escape(text: str) -> str:
    """Escape Slack's control characters so model or user text cannot ping or link people."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _header(title: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(title, HEADER_LIMIT)}}


def _sections(text: str) -> list[Block]:
    return [_section(chunk) for chunk in split_text(text, SECTION_LIMIT) if chunk]


def _field_sections(fields: Sequence[tuple[str, str]]) -> list[Block]:
    rendered = [
        {"type": "mrkdwn", "text": clip(f"*{escape(k)}*\n{escape(v)}", FIELD_LIMIT)}
        for k, v in fields
    ]
    return [
        {"type": "section", "fields": rendered[i : i + FIELDS_PER_SECTION]}
        for i in range(0, len(rendered), FIELDS_PER_SECTION)
    ]


def turn_messages(post: TurnPost) -> list[Message]:
    """Render a persona's turn as one message per chunk of at most TURN_LIMIT characters."""
    chunks = split_text(escape(post.text), TURN_LIMIT)
    messages = [Message(chunk, [_section(chunk)]) for chunk in chunks]
    if post.footer:
        last = messages[-1]
        messages[-1] = Message(last.text, [*last.blocks, _context(f"_{escape(post.footer)}_")])
    return messages


def notice_blocks(notice: Notice) -> list[Block]:
    """Render a notice (results, warnings, a decision record) as blocks."""
    blocks: list[Block] = [_header(notice.title)] if notice.title else []
    blocks += _sections(escape(notice.text))
    blocks += _field_sections(notice.fields)
    return blocks[:MAX_BLOCKS]


def notice_message(notice: Notice) -> Message:
    """Render a notice as one message."""
    fallback = f"{notice.title}: {notice.text}" if notice.title else notice.text
    return Message(clip(escape(fallback), TURN_LIMIT), notice_blocks(notice))


def controls(room: Room) -> list[Block]:
    """Return the header's control buttons for the room's state (none once finished)."""
    buttons = [_button(action_id, str(room.key)) for action_id in _BUTTONS_BY_STATE[room.state]]
    state = _context(f"State: *{room.state.value}*")
    if not buttons:
        return [state]
    return [state, {"type": "actions", "block_id": "chimera_controls", "elements": buttons}]


def _button(action_id: str, value: str) -> Block:
    label, _command, style = CONTROLS[action_id]
    button: Block = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label},
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def header_message(notice: Notice, room: Room, link: str | None = None) -> Message:
    """Render the room's header: the opening notice, the link to the room it came from (a
    fork or replay; mrkdwn, already escaped), then state and control buttons."""
    base = notice_message(notice)
    lineage = [_context(link)] if link else []
    return Message(base.text, [*base.blocks, *lineage, *controls(room)][:MAX_BLOCKS])


def reply_message(
    text: str, *, title: str | None, fields: Sequence[tuple[str, str]], error: bool
) -> Message:
    """Render a command's reply (help, status, errors) for a response URL or an ephemeral."""
    body = escape(text)
    body = f"⚠️ {body}" if error else body
    blocks: list[Block] = [_header(title)] if title else []
    blocks += _sections(body) + _field_sections(fields)
    return Message(clip(body, TURN_LIMIT), blocks[:MAX_BLOCKS])
