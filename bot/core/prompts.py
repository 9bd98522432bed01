"""Prompt building: persona card + step instruction + summary + memory + recent turns."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.base.rooms import Room, Turn
from bot.core.hygiene import Voices, clean_reply, max_tokens, message_limit, stop_sequences
from bot.llm.types import ChatRequest, Message
from personas.cards import Persona

SIDES = ("for", "against")


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
    """Build the model request for one persona turn.

    The transcript goes into one user message as a script ("Name: text" lines) followed by
    the instruction, and the system message says who is speaking and who the others are. A
    small model shown the turns as a chat of its own continues the script instead (it writes
    "Name:" lines, the next speaker's turn and the cue); as a script to answer, it writes one
    line, and `stop` ends the reply at the next speaker's name where the model runs on.
    """
    persona = step.persona
    platform = room.key.platform
    voices = turn_voices(persona, others, recent)
    system = persona.system_prompt(
        topic=room.topic, side=_side(step.side), others=", ".join(others)
    )
    system += _room_rules(persona, others, _words_for(persona))
    system += _summary_block(room.summary) + _memory_block(passages)
    messages = (Message("system", system), Message("user", _script(persona, step, recent)))
    return ChatRequest(
        model=model,
        messages=messages,
        temperature=persona.temperature,
        max_tokens=max_tokens(persona.verbosity, platform),
        seed=room.seed * 100_003 + room.next_seq,
        stop=stop_sequences(voices),
        schema=JUDGE_SCHEMA if step.task == "verdict" else None,
        hints=_hints(room, step, recent, others, passages),
    )


JUDGE_SCHEMA = {
    "name": "verdict",
    "schema": {
        "type": "object",
        "properties": {
            "verdict": {"type": "string", "enum": ["for", "against"]},
            "reasons": {"type": "string"},
        },
        "required": ["verdict", "reasons"],
        "additionalProperties": False,
    },
}
AGAIN = " Say something new, in your own words, in one short paragraph."


def again(request: ChatRequest) -> ChatRequest:
    """Return the request for a second try: another seed, and a nudge not to repeat."""
    *head, last = request.messages
    seed = None if request.seed is None else request.seed + 7_919
    nudged = Message(last.role, last.content + AGAIN)
    return replace(request, messages=(*head, nudged), seed=seed)


def written_turn(text: str, step: Step, voices: Voices, platform: str) -> str:
    """Return the reply as it may be posted: a judge's JSON as prose, then cleaned."""
    if step.task == "verdict":
        text = _judgement_prose(text)
    return clean_reply(text, voices, limit=message_limit(platform))


def _judgement_prose(text: str) -> str:
    """Write a verdict given as JSON (models that follow a schema) as the judge's line."""
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if not isinstance(data, dict) or str(data.get("verdict", "")).lower() not in SIDES:
        return text
    reasons = str(data.get("reasons", "")).strip()
    return f"Verdict: {str(data['verdict']).lower()}. {reasons}".strip()


def turn_voices(persona: Persona, others: Sequence[str], recent: Sequence[Turn]) -> Voices:
    """Return the speaker and every other name in the room (cast and people who spoke)."""
    people = [t.speaker_name for t in reversed(recent) if t.speaker_name != persona.name]
    return Voices(persona.name, tuple(dict.fromkeys([*people, *others])))


def _words_for(persona: Persona) -> int:
    return 30 + round(max(0.0, min(1.0, persona.verbosity)) * 120)  # 0.5 -> 90 words


def _room_rules(persona: Persona, others: Sequence[str], words: int) -> str:
    company = ", ".join(others) if others else "the audience"
    return (
        f"\n\nYou are {persona.name}, in a group chat with {company}. "
        f"Write only {persona.name}'s next message: at most {words} words, plain text, "
        "complete sentences, in the first person, speaking to the others about the topic "
        "(not describing the conversation). Do not start with your name or anyone's name "
        "and a colon, do not write lines for anyone else, and do not repeat what was "
        "already said."
    )


def _script(persona: Persona, step: Step, recent: Sequence[Turn]) -> str:
    if recent:
        lines = "\n".join(f"{t.speaker_name}: {_one_line(t.content)}" for t in recent)
        head = f"The conversation so far:\n{lines}\n\n"
        task = step.instruction or "Reply to the conversation in character."
    else:
        head = ""
        task = step.instruction or "Open the conversation on the topic, in character."
    return f"{head}{task} Write {persona.name}'s next message only, without the name."


def _one_line(text: str) -> str:
    """Keep a turn on its own script line, so the script reads one speaker a line."""
    return " ".join(text.split())


def _side(side: str) -> str:
    return {"for": "for the motion", "against": "against the motion"}.get(side, "your own view")


def _summary_block(summary: str) -> str:
    return f"\n\nEarlier in this conversation (summary): {summary}" if summary else ""


def _memory_block(passages: Sequence[Passage]) -> str:
    if not passages:
        return ""
    lines = "\n".join(f"[{p.n}] {p.text} (source: {p.source})" for p in passages)
    return (
        "\n\nRelevant passages you may use; cite them as [1], [2] where you rely on them:\n" + lines
    )


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
    lines = "\n".join(f"{t.speaker_name}: {_one_line(t.content)}" for t in recent)
    script = f"The conversation so far:\n{lines}\n\n" if recent else ""
    ask = (
        f"{script}Who should speak next? Choose one of: {others}. "
        'Reply with JSON only, like {"speaker": "' + names[0] + '"}.'
    )
    last = recent[-1] if recent else None
    return ChatRequest(
        model=model,
        messages=(Message("system", system), Message("user", ask)),
        seed=room.seed * 100_003 + room.next_seq,
        max_tokens=40,
        schema=_pick_schema(names),
        hints={
            "persona": moderator.to_card(),
            "topic": room.topic,
            "task": "pick_speaker",
            "candidates": names,
            "last": {"speaker": last.speaker_name, "text": last.content} if last else None,
        },
    )


def _pick_schema(names: Sequence[str]) -> dict[str, Any]:
    speaker = {"type": "string", "enum": list(names)}
    return {
        "name": "next_speaker",
        "schema": {
            "type": "object",
            "properties": {"speaker": speaker},
            "required": ["speaker"],
            "additionalProperties": False,
        },
    }
