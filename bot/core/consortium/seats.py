"""Seats: the concrete answerers a consortium or a compare asks, one per member instance."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.core.consortium.config import MemberSpec
from personas.cards import Persona


@dataclass(frozen=True)
class Seat:
    """One answerer: a display label, the model it runs on, and its persona if any."""

    label: str
    model: str
    persona: Persona | None = None
    instance: int = 1

    @property
    def key(self) -> str:
        """Return the id this seat is rated under (persona id, else model name)."""
        return self.persona.id if self.persona else self.model


def seats_for(
    members: Iterable[MemberSpec], personas: Mapping[str, Persona], default_model: str
) -> tuple[Seat, ...]:
    """Expand member specs into seats; a target that is a persona id gets that persona."""
    return tuple(
        _seat(member, index, personas, default_model)
        for member in members
        for index in range(1, member.count + 1)
    )


def _seat(
    member: MemberSpec, index: int, personas: Mapping[str, Persona], default_model: str
) -> Seat:
    persona = personas.get(member.target)
    base = persona.name if persona else member.target
    label = f"{base} #{index}" if member.count > 1 else base
    model = (persona.model or default_model) if persona else member.target
    return Seat(label=label, model=model, persona=persona, instance=index)
