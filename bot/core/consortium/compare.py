"""Compare mode: several personas or models answer the same prompt side by side."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.consortium.asking import ask
from bot.core.consortium.seats import Seat
from bot.llm.types import LLM, ChatRequest, Message, Usage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CompareAnswer:
    """One contestant's answer, or why it has none."""

    seat: Seat
    text: str = ""
    usage: Usage | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Tell whether the contestant answered."""
        return self.error is None


AnswerCallback = Callable[[CompareAnswer], Awaitable[None]]


async def compare(
    llm: LLM,
    prompt: str,
    seats: Sequence[Seat],
    *,
    system_prompt: str = "",
    timeout_s: float = 60.0,
    on_answer: AnswerCallback | None = None,
) -> list[CompareAnswer]:
    """Ask every seat the same prompt at once; return the answers in seat order."""
    async with asyncio.TaskGroup() as group:
        tasks = [
            group.create_task(
                _contest(llm, prompt, seat, system_prompt, timeout_s, on_answer),
                name=f"compare-{seat.label}",
            )
            for seat in seats
        ]
    return [task.result() for task in tasks]


async def _contest(
    llm: LLM,
    prompt: str,
    seat: Seat,
    system_prompt: str,
    timeout_s: float,
    on_answer: AnswerCallback | None,
) -> CompareAnswer:
    request = ChatRequest(
        model=seat.model,
        messages=_messages(prompt, seat, system_prompt),
        timeout_s=timeout_s,
        temperature=seat.persona.temperature if seat.persona else None,
        hints=_hints(prompt, seat),
    )
    outcome = await ask(llm, request, timeout_s)
    if isinstance(outcome, str):
        answer = CompareAnswer(seat, error=outcome)
    else:
        answer = CompareAnswer(seat, outcome.text, outcome.usage)
    await _notify(on_answer, answer)
    return answer


async def _notify(on_answer: AnswerCallback | None, answer: CompareAnswer) -> None:
    if on_answer is None:
        return
    try:
        await on_answer(answer)
    except Exception:
        log.exception("compare answer callback failed for %s", answer.seat.label)


def _messages(prompt: str, seat: Seat, system_prompt: str) -> tuple[Message, ...]:
    system = [seat.persona.system_prompt(topic=prompt)] if seat.persona else []
    system.append(system_prompt)
    text = "\n\n".join(part for part in system if part)
    user = Message("user", prompt)
    return (Message("system", text), user) if text else (user,)


def _hints(prompt: str, seat: Seat) -> dict[str, Any]:
    hints: dict[str, Any] = {"task": "turn", "topic": prompt, "question": prompt}
    if seat.persona:
        hints["persona"] = seat.persona.to_card()
    return hints
