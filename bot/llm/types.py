"""Platform- and provider-neutral types for talking to a language model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

OFFLINE_MODEL = "chimera/offline-demo"
OFFLINE_LABEL = "offline demo model"


@dataclass(frozen=True)
class Message:
    """One chat message sent to a model."""

    role: str  # "system" | "user" | "assistant"
    content: str

    def as_dict(self) -> dict[str, str]:
        """Return the OpenAI-style wire form."""
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class ChatRequest:
    """A request for one completion.

    `hints` carries structured context (persona card fields, topic, memory hits) that the
    offline model uses to write a persona-flavoured turn; real models ignore it because the
    same facts are already in the messages.
    """

    model: str
    messages: tuple[Message, ...]
    temperature: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    api_base: str | None = None
    timeout_s: float | None = None
    hints: Mapping[str, Any] = field(default_factory=dict)
    # Lines that end the reply (another speaker's `\nName:`), sent where the provider takes them.
    stop: tuple[str, ...] = ()
    # A JSON schema the reply should follow ({"name": ..., "schema": {...}}), sent as
    # `response_format` only to models litellm says can follow one; the prompt asks for the
    # same JSON in words, so other models are read by the tolerant parsers.
    schema: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Usage:
    """Token usage, cost and latency of one model call; cost is None when unknown."""

    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None
    latency_ms: float


@dataclass(frozen=True)
class Completion:
    """The text a model returned and what it cost."""

    text: str
    usage: Usage


class LLM(Protocol):
    """What the core needs from a model gateway."""

    async def complete(self, request: ChatRequest) -> Completion:
        """Return the whole completion."""
        ...

    def stream(self, request: ChatRequest) -> AsyncIterator[str | Completion]:
        """Yield text deltas as they arrive, then one final Completion with the usage."""
        ...


class LLMError(Exception):
    """A model call failed after the gateway's retries and fallbacks."""

    def __init__(self, model: str, reason: str) -> None:
        super().__init__(f"model {model!r} failed: {reason}")
        self.model = model
        self.reason = reason


def is_offline(model: str) -> bool:
    """Tell whether a model name is the built-in offline demo model."""
    return model.startswith("chimera/")
