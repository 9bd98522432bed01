"""How a room's lineage reads: where it came from, its branches, and a fork's recap."""

from __future__ import annotations

from collections.abc import Sequence

from bot.base.rooms import BranchKind, Room, Turn
from bot.base.text import clip, plural
from bot.core.platform import Notice

RECAP_TURNS = 3  # a fork reposts none of its inherited turns, only the last few as a recap
RECAP_CHARS = 160


def lineage_fields(room: Room) -> tuple[tuple[str, str], ...]:
    """Return the field saying where a room came from (none for a room started afresh)."""
    lineage = room.lineage
    if lineage is None:
        return ()
    if lineage.kind is BranchKind.FORK:
        return (("Forked from", f"room {lineage.parent_id} at turn #{lineage.at}"),)
    return (("Replay of", f"room {lineage.parent_id}"),)


def branch_fields(branches: Sequence[Room]) -> tuple[tuple[str, str], ...]:
    """Return the fields listing a room's forks and replays."""
    forks = [b for b in branches if b.lineage and b.lineage.kind is BranchKind.FORK]
    replays = [b for b in branches if b.lineage and b.lineage.kind is BranchKind.REPLAY]
    fields = []
    if forks:
        fields.append(("Forks", ", ".join(f"room {b.id} (at #{_at(b)})" for b in forks)))
    if replays:
        fields.append(("Replays", ", ".join(f"room {b.id}" for b in replays)))
    return tuple(fields)


def _at(room: Room) -> int | None:
    return room.lineage.at if room.lineage else None


def recap_notice(room: Room, last_turns: Sequence[Turn]) -> Notice:
    """Sum up what a fork inherited: how many turns, and the last few of them."""
    inherited = room.own_from - 1
    parent = room.lineage.parent_id if room.lineage else "?"
    lines = [
        f"#{turn.seq} {turn.speaker_name}: {clip(turn.content, RECAP_CHARS, flat=True)}"
        for turn in last_turns[-RECAP_TURNS:]
    ]
    head = (
        f"This room goes on from room {parent} after turn #{inherited} "
        f"({plural(inherited, 'inherited turn')}). It left off with:"
    )
    return Notice("\n".join([head, *lines]), title="Recap")
