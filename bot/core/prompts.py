"""Prompt building: persona card + step instruction + summary + memory + recent turns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.base.rooms import Room, Turn
from bot.llm.types import ChatRequest, Message
from personas.cards import Persona


@dataclass(frozen=True)
class Passage:
    """A memory hit offered to the speaker, cited as [n]."""

    n: int
    text: str
    source: str


@dataclass(frozen=True)
class Step:
    """What the next persona turn should do."""

    persona: Persona
    task: str = "turn"  # turn | frame | closing | verdict
    side: str = ""  # for | against
    instruction: str = ""
    role: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)  # more hints for the offline model


def build_request(
    room: Room,
    step: Step,
    recent: Sequence[Turn],
    *,
    model: str,
    others: Sequence[str],
    passages: Sequence[Passage] = (),
) -> ChatRequest:
    """Build the model request for one persona turn."""
    persona = step.persona
    system = persona.system_prompt(
        topic=room.topic, side=_side(step.side), others=", ".join(others)
    )
    system += _summary_block(room.summary) + _memory_block(passages)
    messages = [Message("system", system)]
    messages += [_as_message(turn, persona) for turn in recent]
    messages.append(Message("user", _cue(persona, step)))
    return ChatRequest(
        model=model,
        messages=tuple(messages),
        temperature=persona.temperature,
        seed=room.seed * 100_003 + room.next_seq,
        hints=_hints(room, step, recent, others, passages),
    )


def _side(side: str) -> str:
    return {"for": "for the motion", "against": "against the motion"}.get(side, "freely")


def _summary_block(summary: str) -> str:
    return f"\n\nEarlier in this conversation (summary): {summary}" if summary else ""


def _memory_block(passages: Sequence[Passage]) -> str:
    if not passages:
        return ""
    lines = "\n".join(f"[{p.n}] {p.text} (source: {p.source})" for p in passages)
    return (
        "\n\nRelevant passages you may use; cite them as [1], [2] where you rely on them:\n" + lines
    )


def _as_message(turn: Turn, speaker: Persona) -> Message:
    if turn.speaker_id == speaker.id:
        return Message("assistant", turn.content)
    return Message("user", f"{turn.speaker_name}: {turn.content}")


def _cue(persona: Persona, step: Step) -> str:
    cue = f"It is your turn, {persona.name}."
    return f"{cue} {step.instruction}" if step.instruction else cue


def _hints(
    room: Room,
    step: Step,
    recent: Sequence[Turn],
    others: Sequence[str],
    passages: Sequence[Passage],
) -> dict[str, Any]:
    last = recent[-1] if recent else None
    return {
        "persona": step.persona.to_card(),
        "topic": room.topic,
        "task": step.task,
        "side": step.side,
        "others": list(others),
        "last": {"speaker": last.speaker_name, "text": last.content} if last else None,
        "memory": [{"n": p.n, "text": p.text, "source": p.source} for p in passages],
        "turn": room.persona_turns + 1,
        **step.extra,
    }


def summary_request(room: Room, turns: Sequence[Turn], *, model: str) -> ChatRequest:
    """Build the request that condenses older turns into the rolling summary."""
    text = "\n".join(f"{turn.speaker_name}: {turn.content}" for turn in turns)
    previous = f"Summary so far: {room.summary}\n\n" if room.summary else ""
    return ChatRequest(
        model=model,
        messages=(
            Message("system", "You summarise conversations faithfully in under 120 words."),
            Message("user", f"{previous}Summarise these turns on '{room.topic}':\n{text}"),
        ),
        seed=room.seed,
        hints={
            "task": "summary",
            "topic": room.topic,
            "summary": room.summary,
            "turns": [{"speaker": t.speaker_name, "text": t.content} for t in turns],
        },
    )


def pick_request(
    room: Room,
    moderator: Persona,
    candidates: Sequence[Persona],
    recent: Sequence[Turn],
    *,
    model: str,
) -> ChatRequest:
    """Build the request in which the moderator names who should speak next."""
    names = [p.name for p in candidates]
    others = ", ".join(names)
    system = moderator.system_prompt(topic=room.topic, others=others)
    ask = f"Who should speak next? Answer with exactly one name from: {others}."
    messages = [Message("system", system)]
    messages += [Message("user", f"{t.speaker_name}: {t.content}") for t in recent]
    messages.append(Message("user", ask))
    last = recent[-1] if recent else None
    return ChatRequest(
        model=model,
        messages=tuple(messages),
        seed=room.seed * 100_003 + room.next_seq,
        hints={
            "persona": moderator.to_card(),
            "topic": room.topic,
            "task": "pick_speaker",
            "candidates": names,
            "last": {"speaker": last.speaker_name, "text": last.content} if last else None,
        },
    )
