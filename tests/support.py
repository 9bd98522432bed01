"""Test doubles for our own interfaces: a recording platform and a scripted model."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from bot.base.rooms import Room
from bot.core.platform import Notice, Posted, TurnPost
from bot.llm.offline.writer import compose
from bot.llm.types import ChatRequest, Completion, LLMError, Usage
from bot.runtime.app import Services
from personas.cards import Persona
from tests.doubles import FakeClock, ManualScheduler


@dataclass
class RecordingPlatform:
    """A platform that records what the core asked it to show."""

    name: str = "test"
    turns: list[TurnPost] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    typing_for: list[str] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    async def typing(self, room: Room, persona: Persona) -> None:
        self.typing_for.append(persona.id)

    async def post_turn(self, room: Room, post: TurnPost) -> Posted:
        self.turns.append(post)
        return Posted((f"m{next(self._ids)}",))

    async def post_notice(self, room: Room, notice: Notice) -> Posted:
        self.notices.append(notice)
        return Posted((f"m{next(self._ids)}",))


Script = Callable[[ChatRequest], str]


class ScriptedLLM:
    """A model that answers from a function of the request and records every request."""

    def __init__(self, script: Script | None = None) -> None:
        self.script = script or _default_script
        self.requests: list[ChatRequest] = []
        self.fail_next: list[str] = []

    async def complete(self, request: ChatRequest) -> Completion:
        self.requests.append(request)
        if self.fail_next:
            raise LLMError(request.model, self.fail_next.pop(0))
        text = self.script(request)
        return Completion(text, Usage(request.model, 10, len(text.split()), None, 0.0))

    async def stream(self, request: ChatRequest) -> AsyncIterator[str | Completion]:
        completion = await self.complete(request)
        for word in completion.text.split(" "):
            yield word + " "
        yield completion


def _default_script(request: ChatRequest) -> str:
    hints = request.hints
    persona = (hints.get("persona") or {}).get("name", "someone")
    if hints.get("task") == "verdict":
        return "Verdict: for. The case for was better argued."
    if hints.get("task") == "summary":
        return "Summary of earlier turns."
    return f"{persona} on turn {hints.get('turn')}."


async def run_until_quiet(services: Services, clock: FakeClock, max_steps: int = 200) -> int:
    """Advance the fake clock from one scheduled step to the next until nothing is pending."""
    scheduler = services.scheduler
    assert isinstance(scheduler, ManualScheduler)
    steps = 0
    while scheduler.jobs and steps < max_steps:
        due = min(job.due for job in scheduler.jobs.values())
        if due > clock.now():
            clock.advance((due - clock.now()).total_seconds())
        steps += await scheduler.run_due(clock.now())
    return steps


class LinesThenOfflineLLM:
    """A model for adapter tests: scripted lines first, then the offline demo writer."""

    def __init__(self) -> None:
        self.script: list[str] = []

    async def complete(self, request: ChatRequest) -> Completion:
        """Return the next scripted line, or what the offline model would write."""
        if self.script and request.hints.get("task") != "summary":
            text = self.script.pop(0)
        else:
            messages = [m.as_dict() for m in request.messages]
            text = compose(request.hints, messages, request.seed)
        return Completion(text, Usage(request.model, 1, 1, None, 0.0))

    async def stream(self, request: ChatRequest) -> AsyncIterator[str | Completion]:
        """Yield the whole completion at once."""
        yield await self.complete(request)


def distinct_sentences(count: int, paragraphs: int = 1) -> str:
    """Return a long text of different sentences of about fifty characters, in paragraphs.

    Hygiene keeps a sentence repeated within a reply once, so long test turns vary theirs.
    """
    per = count // paragraphs
    sentences = [f"Sentence {n} is one of about fifty characters in all." for n in range(count)]
    return "\n\n".join(" ".join(sentences[p * per : (p + 1) * per]) for p in range(paragraphs))
