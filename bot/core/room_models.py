"""Every model a room would call: its own, its personas', and a compare's or consortium's."""

from __future__ import annotations

from collections.abc import Mapping

from bot.base.rooms import RoomSettings
from personas.cards import Persona


def models_in(settings: RoomSettings, cast: Mapping[str, Persona], default: str) -> list[str]:
    """Return the distinct model names a room with these settings and cast would call."""
    found = [settings.model or default]
    found += [persona.model for persona in cast.values() if persona.model]
    found += [str(seat["model"]) for seat in settings.extra.get("compare", ())]
    config = settings.extra.get("consortium")
    if config:
        members = (str(member["target"]) for member in config.get("members", ()))
        found += [target for target in members if target not in cast]
        if config.get("arbiter"):
            found.append(str(config["arbiter"]))
    return list(dict.fromkeys(found))
