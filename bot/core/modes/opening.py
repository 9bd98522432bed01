"""What a paced room (chat, debate) starts with: its cast, its settings and its header."""

from __future__ import annotations

from collections.abc import Sequence

from bot.base.rooms import Room, RoomSettings
from bot.core.errors import UserError
from bot.core.host import RoomHost
from bot.core.lineage import lineage_fields
from bot.core.modes.base import StartRequest
from bot.core.platform import Notice
from bot.llm.types import OFFLINE_LABEL, is_offline
from personas.cards import Persona


def header_notice(room: Room, cast: dict[str, Persona], model: str) -> Notice:
    """Describe a room as it starts: topic, mode, cast and model."""
    names = ", ".join(f"{p.emoji} {p.name}" for p in cast.values())
    label = f"{model} ({OFFLINE_LABEL})" if is_offline(model) else model
    fields = (("Mode", room.mode.value), ("Cast", names), ("Model", label), *lineage_fields(room))
    return Notice(f"“{room.topic}”", title=f"Chimera {room.mode.value}", fields=fields)


async def resolve_cast(host: RoomHost, tenant_id: str, wanted: Sequence[str]) -> list[Persona]:
    """Return the personas named (ids or names), each once, or refuse naming the unknown one."""
    found = [await host.catalog.find(tenant_id, name) for name in wanted]
    unknown = [name for name, persona in zip(wanted, found, strict=True) if persona is None]
    if unknown:
        known = ", ".join(p.id for p in await host.catalog.all(tenant_id))
        raise UserError(f"unknown persona '{unknown[0]}'. Available: {known}")
    return list(dict.fromkeys(p for p in found if p is not None))


def paced_settings(defaults: RoomSettings, request: StartRequest) -> RoomSettings:
    """Return the room settings a start request asks for, over the defaults."""
    return defaults.with_changes(
        turns=request.turns or defaults.turns,
        rounds=request.rounds or defaults.rounds,
        pace_s=defaults.pace_s if request.pace_s is None else request.pace_s,
        selection=request.selection or defaults.selection,
        model=request.model or defaults.model,
    )
