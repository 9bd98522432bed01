"""The offline demo writer: persona-flavoured text from a persona card, a seed and the room.

This is not a language model. It stitches phrases from the persona card together with the
topic, the previous speaker's words and memory hits, choosing with a random generator seeded
from the request, so the same inputs and seed always give the same text. It lets the whole
pipeline run with no API key and no network; the core labels its output as coming from the
offline demo model.

Hints (every key optional):
    task        "turn" (default), "closing", "frame", "summary", "verdict", "pick_speaker",
                "consortium_member" or "arbiter"
    persona     the card as a dict (`Persona.to_card()`): name, bio, style{humour, formality,
                verbosity}, phrases
    topic       the topic, motion or question
    question    the consortium question (falls back to topic, then the last user message)
    side        "for" or "against" in a debate
    sides       {"for": [names], "against": [names]}, used by "frame" and "verdict"; without
                it a verdict takes each turn's "side", else assumes the debaters alternated
                for/against after the moderator's framing
    last        {"speaker": name, "text": str, "side": str}, the previous turn
    memory      [{"n": 1, "text": str, "source": str}], cited as [n]
    others      names of the other personas in the room
    candidates  names to choose from ("pick_speaker")
    turns       [{"speaker": name, "text": str, "side": "for"|"against"}] for "summary" and
                "verdict"; without it the non-system messages are used ("Name: text" parsed)
    summary     the rolling summary so far, which a "summary" carries forward
    answers     [{"name": str, "text": str, "confidence": float}] for "arbiter"
    iteration   consortium round, from 1; confidence rises with it so rounds converge
    threshold   the arbiter's confidence target (default 0.8)
    refinement_areas  what the previous synthesis asked members to refine

Card phrase keys (`phrases` in the card; the stock phrases of `phrases.yaml` fill any
that are missing):
    openers, claims, agree, disagree, jokes, questions, closers
Role phrase keys: frames (a moderator's framing of the motion) and verdicts (a judge's
"Verdict: …" lines; one leaning the winner's way, "in favour"/"proceed" or "against", is
quoted under the parseable first line).
Phrases may use the placeholders {topic}, {speaker} (the previous speaker), {side} and {name};
a question topic ("Should we migrate to Postgres?") fills {topic} as "migrating to Postgres".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.llm.offline import consortium, judging, talk
from bot.llm.offline.context import Context

_TASKS = {
    "turn": talk.turn,
    "closing": talk.closing,
    "frame": talk.frame,
    "summary": judging.summary,
    "verdict": judging.verdict,
    "pick_speaker": talk.pick_speaker,
    "consortium_member": consortium.member,
    "arbiter": consortium.arbiter,
}


def compose(
    hints: Mapping[str, Any], messages: Sequence[Mapping[str, Any]], seed: int | None
) -> str:
    """Write the text the hints ask for, deterministically from the seed."""
    task = str(hints.get("task") or "turn")
    writer = _TASKS.get(task, talk.turn)
    return writer(Context(hints, messages, seed))


def count_tokens(text: str) -> int:
    """Count tokens roughly, as words, so offline usage is never zero."""
    return max(1, len(text.split()))


def prompt_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    """Count the words of every message as the prompt's tokens."""
    return sum(count_tokens(str(m.get("content") or "")) for m in messages)
