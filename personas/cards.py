"""Persona cards: the YAML schema, validation with file-and-field errors, and loading."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

BUILTIN_DIR = Path(__file__).parent
ID_PATTERN = r"^[a-z][a-z0-9_-]{1,31}$"


class Style(BaseModel):
    """Style traits, each 0–1."""

    model_config = ConfigDict(extra="forbid")
    humour: float = Field(0.3, ge=0, le=1)
    formality: float = Field(0.5, ge=0, le=1)
    verbosity: float = Field(0.5, ge=0, le=1)


class CardSchema(BaseModel):
    """The wire form of a persona card, as written in YAML or stored for a tenant."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=80)
    avatar_url: str = ""
    emoji: str = "🤖"
    bio: str = Field(min_length=1, max_length=200)
    prompt: str = Field(min_length=1)
    style: Style = Field(default_factory=Style)
    talkativeness: float = Field(0.5, ge=0, le=1)
    model: str | None = None
    temperature: float | None = Field(None, ge=0, le=2)
    roles: list[str] = Field(default_factory=list)
    colour: str = "white"
    phrases: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("prompt")
    @classmethod
    def _known_variables(cls, value: str) -> str:
        try:
            value.format(topic="", side="", others="", name="", bio="")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"unknown or malformed template variable {exc}; "
                "use {topic}, {side}, {others}, {name} or {bio}"
            ) from None
        return value

    @field_validator("avatar_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value


@dataclass(frozen=True)
class Persona:
    """A persona the core can cast: identity, voice, and how often it speaks."""

    id: str
    name: str
    bio: str
    prompt: str
    emoji: str = "🤖"
    avatar_url: str = ""
    humour: float = 0.3
    formality: float = 0.5
    verbosity: float = 0.5
    talkativeness: float = 0.5
    model: str | None = None
    temperature: float | None = None
    roles: tuple[str, ...] = ()
    colour: str = "white"
    phrases: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    builtin: bool = True

    def system_prompt(self, *, topic: str, side: str = "", others: str = "") -> str:
        """Fill the card's prompt template."""
        return self.prompt.format(
            topic=topic, side=side, others=others, name=self.name, bio=self.bio
        )

    def has_role(self, role: str) -> bool:
        """Tell whether the card declares a decision role (moderator, judge, …)."""
        return role in self.roles

    def to_card(self) -> dict[str, Any]:
        """Return the card as a plain dict (the YAML / database form)."""
        return {
            "id": self.id,
            "name": self.name,
            "avatar_url": self.avatar_url,
            "emoji": self.emoji,
            "bio": self.bio,
            "prompt": self.prompt,
            "style": {
                "humour": self.humour,
                "formality": self.formality,
                "verbosity": self.verbosity,
            },
            "talkativeness": self.talkativeness,
            "model": self.model,
            "temperature": self.temperature,
            "roles": list(self.roles),
            "colour": self.colour,
            "phrases": {k: list(v) for k, v in self.phrases.items()},
        }


class CardError(ValueError):
    """A persona card that does not validate; names the source and the field."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(problems))
        self.source = source
        self.problems = problems


def parse_card(data: Any, source: str, *, builtin: bool = True) -> Persona:
    """Validate one card's data and return the persona, or raise CardError."""
    if not isinstance(data, Mapping):
        raise CardError(source, ["the card must be a mapping of fields"])
    try:
        card = CardSchema.model_validate(data)
    except ValidationError as exc:
        raise CardError(source, [_describe(err) for err in exc.errors()]) from None
    return Persona(
        id=card.id,
        name=card.name,
        bio=card.bio,
        prompt=card.prompt,
        emoji=card.emoji,
        avatar_url=card.avatar_url,
        humour=card.style.humour,
        formality=card.style.formality,
        verbosity=card.style.verbosity,
        talkativeness=card.talkativeness,
        model=card.model,
        temperature=card.temperature,
        roles=tuple(card.roles),
        colour=card.colour,
        phrases={k: tuple(v) for k, v in card.phrases.items()},
        builtin=builtin,
    )


def _describe(err: Any) -> str:
    where = ".".join(str(part) for part in err["loc"]) or "(card)"
    message = err["msg"].removeprefix("Value error, ")
    return f"field '{where}': {message}"


def load_file(path: Path) -> Persona:
    """Load and validate one YAML card."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CardError(str(path), [f"not valid YAML: {exc}"]) from None
    return parse_card(data, str(path))


def load_dir(directory: Path = BUILTIN_DIR) -> dict[str, Persona]:
    """Load every `*.yaml` card in a directory; a duplicate id is an error."""
    personas: dict[str, Persona] = {}
    for path in sorted(directory.glob("*.yaml")):
        persona = load_file(path)
        if persona.id in personas:
            raise CardError(str(path), [f"field 'id': duplicate id {persona.id!r}"])
        personas[persona.id] = persona
    return personas


def by_name(personas: Iterable[Persona], text: str) -> Persona | None:
    """Find a persona by id or display name, case-insensitively."""
    wanted = text.strip().lower()
    for persona in personas:
        if wanted in (persona.id, persona.name.lower()):
            return persona
    return None
