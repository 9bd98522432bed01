"""Who an answer is posted as: a member's persona, or a generic identity for a bare model."""

from __future__ import annotations

from dataclasses import replace

from bot.llm.types import OFFLINE_LABEL, is_offline
from personas.cards import Persona

MODEL_EMOJI = "🧠"
NAME_LIMIT = 80  # Discord webhook usernames allow at most 80 characters


def model_persona(model: str, label: str = "") -> Persona:
    """Return the identity a model without a persona posts under."""
    return Persona(
        id=model,
        name=(label or model)[:NAME_LIMIT],
        bio=f"Answers as the model {model}.",
        prompt="You are {name}. Answer the question about {topic}.",
        emoji=MODEL_EMOJI,
        colour="cyan",
        builtin=False,
    )


def seat_persona(label: str, model: str, persona: Persona | None) -> Persona:
    """Return the identity of one seat, named by its label (e.g. `The Scientist #2`)."""
    if persona is None:
        return model_persona(model, label)
    return persona if persona.name == label else replace(persona, name=label[:NAME_LIMIT])


def model_footer(model: str, *parts: str) -> str:
    """Return a footer naming the model, saying openly when it is the offline demo model."""
    shown = f"{model} ({OFFLINE_LABEL})" if is_offline(model) else model
    return " · ".join([*[part for part in parts if part], shown])
