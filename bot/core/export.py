"""Transcript export as Markdown or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from bot.base.rooms import Lineage, Room, Turn
from bot.core.lineage import branch_fields, lineage_fields
from bot.core.results import Results


def to_markdown(
    room: Room,
    turns: list[Turn],
    results: Results,
    usage: dict[str, Any],
    branches: Sequence[Room] = (),
) -> str:
    """Render a transcript as Markdown (inherited turns marked, lineage listed)."""
    lineage = [f"- {label}: {value}" for label, value in lineage_fields(room)]
    lineage += [f"- {label}: {value}" for label, value in branch_fields(branches)]
    lines = [
        f"# {room.topic}",
        "",
        f"- Room: {room.id} ({room.key})",
        f"- Mode: {room.mode.value}",
        f"- State: {room.state.value}",
        f"- Cast: {', '.join(room.cast)}",
        *lineage,
        f"- Usage: {_usage_text(usage)}",
        "",
    ]
    for turn in turns:
        role = f" ({turn.role})" if turn.role else ""
        mark = " · inherited" if turn.inherited else ""
        lines += [f"**{turn.speaker_name}**{role} — #{turn.seq}{mark}", "", turn.content, ""]
        if turn.sources:
            lines += ["Sources: " + " · ".join(turn.sources), ""]
    lines += ["## Results", ""] + [f"- {label}: {value}" for label, value in results.lines()]
    return "\n".join(lines).rstrip() + "\n"


def to_json(
    room: Room,
    turns: list[Turn],
    results: Results,
    usage: dict[str, Any],
    branches: Sequence[Room] = (),
) -> str:
    """Render a transcript as JSON (with where the room came from and its branches)."""
    data = {
        "room": {
            "id": room.id,
            "key": str(room.key),
            "mode": room.mode.value,
            "topic": room.topic,
            "state": room.state.value,
            "cast": list(room.cast),
            "lineage": _lineage(room.lineage),
            "branches": [{"room": b.id} | (_lineage(b.lineage) or {}) for b in branches],
        },
        "turns": [asdict(turn) | {"kind": turn.kind.value} for turn in turns],
        "results": [{"label": label, "value": value} for label, value in results.lines()],
        "decision": asdict(results.decision) if results.decision else None,
        "usage": usage,
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def _lineage(lineage: Lineage | None) -> dict[str, Any] | None:
    if lineage is None:
        return None
    return {"kind": lineage.kind.value, "parent": lineage.parent_id, "at": lineage.at}


def _usage_text(usage: dict[str, Any]) -> str:
    cost = usage.get("cost_usd")
    cost_text = f"${cost:.4f}" if cost is not None else "cost unknown"
    return (
        f"{usage.get('calls', 0)} model calls, {usage.get('prompt_tokens', 0)} prompt + "
        f"{usage.get('completion_tokens', 0)} completion tokens, {cost_text}"
    )
