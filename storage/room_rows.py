"""Rooms and turns as rows: the conversions between table rows and the room model."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bot.base.rooms import (
    Mode,
    Room,
    RoomKey,
    RoomSettings,
    RoomState,
    Selection,
    SpeakerKind,
    Turn,
)


def settings_json(settings: RoomSettings) -> dict[str, Any]:
    """Return room settings as stored (JSON)."""
    data = asdict(settings)
    data["selection"] = settings.selection.value
    return data


def to_room(row: Any) -> Room:
    """Convert a rooms row (an ORM object or a Core row) to the domain room."""
    raw = dict(row.settings)
    raw["selection"] = Selection(raw.get("selection", Selection.NATURAL.value))
    return Room(
        id=row.id,
        key=RoomKey.parse(row.key),
        mode=Mode(row.mode),
        topic=row.topic,
        cast=tuple(row.cast),
        state=RoomState(row.state),
        settings=RoomSettings(**raw),
        next_seq=row.next_seq,
        persona_turns=row.persona_turns,
        summary=row.summary,
        summary_upto=row.summary_upto,
        failed_turns=row.failed_turns or 0,
        skipped_turns=row.skipped_turns or 0,
        skipped_speaker=row.skipped_speaker,
        failure_pauses=row.failure_pauses or 0,
    )


def to_turn(row: Any) -> Turn:
    """Convert a turns row (an ORM object or a Core row) to the domain turn."""
    return Turn(
        seq=row.seq,
        kind=SpeakerKind(row.kind),
        speaker_id=row.speaker_id,
        speaker_name=row.speaker_name,
        content=row.content,
        role=row.role,
    )
