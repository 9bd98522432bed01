"""Rooms and turns as rows: the conversions between table rows and the room model."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bot.base.rooms import (
    BranchKind,
    Lineage,
    Mode,
    Room,
    RoomKey,
    RoomSettings,
    RoomState,
    Selection,
    SpeakerKind,
    Turn,
)
from storage.models import RoomRow


def settings_json(settings: RoomSettings) -> dict[str, Any]:
    """Return room settings as stored (JSON)."""
    data = asdict(settings)
    data["selection"] = settings.selection.value
    return data


def new_room_row(
    key: RoomKey,
    mode: Mode,
    topic: str,
    cast: tuple[str, ...],
    settings: RoomSettings,
    created_by: str,
    **extra: Any,
) -> RoomRow:
    """Return the row of a room about to be created, in the idle state."""
    values: dict[str, Any] = {
        "next_seq": 1,
        "persona_turns": 0,
        "summary": "",
        "summary_upto": 0,
        **extra,
    }
    return RoomRow(
        key=str(key),
        tenant_id=key.tenant_id,
        mode=mode.value,
        topic=topic,
        cast=list(cast),
        state=RoomState.IDLE.value,
        settings=settings_json(settings),
        created_by=created_by,
        **values,
    )


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
        lineage=Lineage(BranchKind(row.branch), row.parent_id, row.fork_at) if row.branch else None,
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
        inherited=bool(row.inherited),
        sources=tuple(row.sources or ()),
    )
