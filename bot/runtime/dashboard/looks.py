"""How a speaker looks on the dashboard: name, emoji, avatar and colour."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rich.color import Color, ColorParseError

from bot.base.rooms import SpeakerKind, Turn
from bot.core.modes.identity import model_persona
from personas.cards import Persona

DEFAULT_COLOUR = "#6b7280"
PERSON_COLOUR = "#0f766e"
SYSTEM_COLOUR = "#4b5563"


@dataclass(frozen=True)
class Look:
    """A speaker's face on the page; `css` names the class that carries its colour."""

    name: str
    emoji: str
    avatar_url: str
    colour: str
    css: str


def look_of(persona: Persona) -> Look:
    """Return how a persona looks (avatars only over https: the page is private)."""
    avatar = persona.avatar_url if persona.avatar_url.startswith("https://") else ""
    return Look(persona.name, persona.emoji, avatar, hex_colour(persona.colour), css_id(persona.id))


def looks_for(turns: Iterable[Turn], personas: Mapping[str, Persona]) -> dict[str, Look]:
    """Return the look of every speaker of a transcript, by speaker id."""
    looks: dict[str, Look] = {}
    for turn in turns:
        if turn.speaker_id in looks:
            continue
        looks[turn.speaker_id] = _speaker(turn, personas)
    return looks


def _speaker(turn: Turn, personas: Mapping[str, Persona]) -> Look:
    if turn.kind is SpeakerKind.PERSONA:
        persona = personas.get(turn.speaker_id) or model_persona(turn.speaker_id, turn.speaker_name)
        return look_of(persona)
    human = turn.kind is SpeakerKind.HUMAN
    colour = PERSON_COLOUR if human else SYSTEM_COLOUR
    return Look(turn.speaker_name, "🙂" if human else "⚖️", "", colour, css_id(turn.speaker_id))


def hex_colour(name: str) -> str:
    """Return a terminal colour name from a persona card (rich's names) as CSS hex."""
    try:
        return Color.parse(name).get_truecolor().hex
    except ColorParseError:
        return DEFAULT_COLOUR


def css_id(speaker_id: str) -> str:
    """Return a CSS class for a speaker: only letters, digits and dashes."""
    return "s-" + re.sub(r"[^a-z0-9-]", "-", speaker_id.lower())
