"""A scripted in-memory LLM for consortium tests: canned member answers and verdicts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from bot.llm.types import ChatRequest, Completion, LLMError, Usage

MemberReply = Callable[[ChatRequest], str]


def default_member(request: ChatRequest) -> str:
    """Answer as the model, with a fixed confidence."""
    return f"{request.model} thinks the answer is 42.\nConfidence: 0.7"


def verdict(confidence: float, *, areas: Sequence[str] = (), synthesis: str = "") -> str:
    """Return an arbiter reply as a JSON object."""
    return json.dumps(
        {
            "synthesis": synthesis or f"Synthesis at {confidence:.2f}",
            "confidence": confidence,
            "analysis": "they mostly agree",
            "dissent": "one doubts it",
            "refinement_areas": list(areas),
            "needs_iteration": confidence < 0.8,
            "ranking": [],
        }
    )


class ScriptedLLM:
    """Implements the LLM protocol from scripts; records every request it receives.

    Arbiter calls (hint task "arbiter") take the next verdict; the last one repeats. A model
    named in `errors` raises that exception; one named in `hang` waits until cancelled.
    """

    def __init__(
        self,
        *,
        member: MemberReply = default_member,
        verdicts: Sequence[str | Exception] = (verdict(0.9),),
        errors: Mapping[str, Exception] | None = None,
        hang: Sequence[str] = (),
        gates: Mapping[str, asyncio.Event] | None = None,
    ) -> None:
        self.member = member
        self.verdicts = list(verdicts)
        self.errors = dict(errors or {})
        self.hang = set(hang)
        self.gates = dict(gates or {})
        self.requests: list[ChatRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0

    @property
    def member_requests(self) -> list[ChatRequest]:
        """Return the requests made to members, in arrival order."""
        return [r for r in self.requests if r.hints.get("task") != "arbiter"]

    @property
    def arbiter_requests(self) -> list[ChatRequest]:
        """Return the requests made to the arbiter."""
        return [r for r in self.requests if r.hints.get("task") == "arbiter"]

    async def complete(self, request: ChatRequest) -> Completion:
        """Answer from the script."""
        self.requests.append(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: ChatRequest) -> Completion:
        await asyncio.sleep(0)  # let the other members start before anyone answers
        if request.model in self.gates:
            await self.gates[request.model].wait()
        if request.model in self.hang:
            await asyncio.Event().wait()
        if request.model in self.errors:
            raise self.errors[request.model]
        text = self._arbiter_text() if request.hints.get("task") == "arbiter" else None
        text = self.member(request) if text is None else text
        return Completion(text, Usage(request.model, 12, len(text.split()), 0.001, 5.0))

    def _arbiter_text(self) -> str:
        item = self.verdicts.pop(0) if len(self.verdicts) > 1 else self.verdicts[0]
        if isinstance(item, Exception):
            raise item
        return item

    async def stream(self, request: ChatRequest) -> AsyncIterator[str | Completion]:
        """Yield the whole answer as one delta, then the completion."""
        completion = await self.complete(request)
        yield completion.text
        yield completion


def failing(model: str, reason: str = "server error 500") -> dict[str, Any]:
    """Return an `errors` mapping that makes one model fail."""
    return {model: LLMError(model, reason)}
