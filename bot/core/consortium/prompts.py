"""The messages and offline-model hints for consortium members and the arbiter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.core.consortium.parsing import ARBITER_KEYS
from bot.llm.types import Message

if TYPE_CHECKING:
    from bot.core.consortium.parsing import Verdict
    from bot.core.consortium.results import MemberAnswer
    from bot.core.consortium.seats import Seat

MEMBER_INSTRUCTIONS = (
    "You are one member of a consortium answering the same question independently. "
    "Answer directly and concisely. End with one line `Confidence: 0.xx` saying how sure "
    "you are of your answer, from 0 to 1."
)
ARBITER_INSTRUCTIONS = (
    "You are the arbiter of a consortium. Read the question and every member answer, "
    "then reply with ONE JSON object and nothing else, with these keys:\n"
    '  "synthesis": the best combined answer, written to the person who asked;\n'
    '  "confidence": your confidence in the synthesis, a number from 0 to 1;\n'
    '  "analysis": how the answers agree and differ, briefly;\n'
    '  "dissent": notable minority views not taken into the synthesis;\n'
    '  "refinement_areas": a list of specific points the members should improve;\n'
    '  "needs_iteration": true if another round would improve the synthesis;\n'
    '  "ranking": the member names from best answer to worst.'
)

_TEXT = {"type": "string"}
ARBITER_SCHEMA = {
    "name": "consortium_verdict",
    "schema": {
        "type": "object",
        "properties": {
            "synthesis": _TEXT,
            "confidence": {"type": "number"},
            "analysis": _TEXT,
            "dissent": _TEXT,
            "refinement_areas": {"type": "array", "items": _TEXT},
            "needs_iteration": {"type": "boolean"},
            "ranking": {"type": "array", "items": _TEXT},
        },
        "required": list(ARBITER_KEYS),
        "additionalProperties": False,
    },
}


def member_messages(
    question: str, seat: Seat, system_prompt: str, previous: PreviousRound | None
) -> tuple[Message, ...]:
    """Build a member's messages: its persona, the question, and any previous synthesis."""
    system = [seat.persona.system_prompt(topic=question)] if seat.persona else []
    system += [system_prompt, MEMBER_INSTRUCTIONS]
    user = question if previous is None else _refine_text(question, previous, seat)
    return (Message("system", "\n\n".join(p for p in system if p)), Message("user", user))


def member_hints(
    question: str, seat: Seat, iteration: int, previous: PreviousRound | None
) -> dict[str, Any]:
    """Return the structured hints the offline model writes a member answer from."""
    hints: dict[str, Any] = {
        "task": "consortium_member",
        "question": question,
        "topic": question,
        "iteration": iteration,
        "refinement_areas": list(previous.verdict.refinement_areas) if previous else [],
    }
    if seat.persona:
        hints["persona"] = seat.persona.to_card()
    return hints


def arbiter_messages(
    question: str,
    system_prompt: str,
    answers: Sequence[MemberAnswer],
    history: Sequence[Verdict],
) -> tuple[Message, ...]:
    """Build the arbiter's messages: question, every answer with confidence, past syntheses."""
    system = "\n\n".join(p for p in (ARBITER_INSTRUCTIONS, _user_rules(system_prompt)) if p)
    parts = [f"Question:\n{question}", "Member answers:", *map(_answer_block, answers)]
    if history:
        earlier = map(_history_block, enumerate(history, 1))
        parts += ["Syntheses from previous iterations:", *earlier]
    parts.append("Reply with the JSON object only.")
    return (Message("system", system), Message("user", "\n\n".join(parts)))


def arbiter_hints(
    question: str, answers: Sequence[MemberAnswer], iteration: int, threshold: float
) -> dict[str, Any]:
    """Return the structured hints the offline model writes a verdict from."""
    return {
        "task": "arbiter",
        "question": question,
        "topic": question,
        "iteration": iteration,
        "threshold": threshold,
        "answers": [{"name": a.label, "text": a.text, "confidence": a.confidence} for a in answers],
    }


@dataclass(frozen=True)
class PreviousRound:
    """What a member sees of the last iteration: the verdict and its own answer."""

    iteration: int
    verdict: Verdict
    own: Mapping[str, str]


def _refine_text(question: str, previous: PreviousRound, seat: Seat) -> str:
    parts = [
        f"Question:\n{question}",
        f"Synthesis after iteration {previous.iteration}:\n{previous.verdict.synthesis}",
    ]
    if previous.verdict.refinement_areas:
        areas = "\n".join(f"- {area}" for area in previous.verdict.refinement_areas)
        parts.append(f"Refine these areas:\n{areas}")
    if own := previous.own.get(seat.label):
        parts.append(f"Your previous answer:\n{own}")
    parts.append("Give your improved answer to the question.")
    return "\n\n".join(parts)


def _user_rules(system_prompt: str) -> str:
    return f"The person's instructions for the answer:\n{system_prompt}" if system_prompt else ""


def _answer_block(answer: MemberAnswer) -> str:
    stated = "not stated" if answer.confidence is None else f"{answer.confidence:.2f}"
    return f"[{answer.label}] (model {answer.model}, confidence {stated})\n{answer.text}"


def _history_block(item: tuple[int, Verdict]) -> str:
    number, verdict = item
    return f"Iteration {number} (confidence {verdict.confidence:.2f}):\n{verdict.synthesis}"
