"""Results of a room: vote tallies per persona, the best line, and a debate's decision."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from bot.base.rooms import Mode, Room, Turn
from bot.base.text import clip, plural
from bot.core.platform import Notice
from personas.cards import Persona
from storage.records import Decision
from storage.store import Store

VOTE_UP = "👍"
VOTE_DOWN = "👎"
SIDES = {"for": VOTE_UP, "against": VOTE_DOWN}  # a debate's audience poll


@dataclass(frozen=True)
class PersonaScore:
    """How the audience rated one persona's turns."""

    persona: Persona
    turns: int
    up: int
    down: int

    @property
    def score(self) -> int:
        """Return up-votes minus down-votes."""
        return self.up - self.down


@dataclass(frozen=True)
class Results:
    """Everything `results` shows about a room."""

    room: Room
    scores: list[PersonaScore]
    best_line: tuple[Turn, int] | None = None
    decision: Decision | None = None
    audience: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[tuple[str, str]]:
        """Return (label, value) pairs for a table or embed."""
        rows = [
            (
                f"{s.persona.emoji} {s.persona.name}",
                f"{VOTE_UP} {s.up}  {VOTE_DOWN} {s.down}  ({plural(s.turns, 'turn')})",
            )
            for s in self.scores
        ]
        if self.best_line:
            turn, ups = self.best_line
            rows.append(
                (
                    "Best line",
                    f"{turn.speaker_name} (#{turn.seq}, {ups} {VOTE_UP}): "
                    + clip(turn.content, 120, flat=True),
                )
            )
        if self.decision:
            rows += _decision_rows(self.decision)
        return rows

    def notice(self, reason: str = "") -> Notice:
        """Return the results as a notice for the room."""
        headline = f"Results for “{self.room.topic}”"
        if self.decision:
            headline += f" — outcome: {self.decision.outcome}"
        elif self.scores and self.scores[0].score > 0:
            headline += f" — audience favourite: {self.scores[0].persona.name}"
        text = f"{headline}" + (f" ({reason})" if reason else "")
        return Notice(text, title="Results", fields=tuple(self.lines()))

    def as_text(self) -> str:
        """Return the results as plain text."""
        body = "\n".join(f"{label}: {value}" for label, value in self.lines())
        return f"{self.notice().text}\n{body}".strip()


async def collect_results(store: Store, room: Room, cast: dict[str, Persona]) -> Results:
    """Tally a room's polls and, for a debate, build its decision record."""
    per_persona: dict[str, Counter[str]] = {pid: Counter() for pid in cast}
    turns_by = Counter[str]()
    best: tuple[Turn, int] | None = None
    transcript = await store.rooms.transcript(room.id)
    by_seq = {turn.seq: turn for turn in transcript}
    for turn in transcript:
        if turn.by_persona and not turn.inherited:  # a fork's inherited turns are its parent's
            turns_by[turn.speaker_id] += 1
    audience: dict[str, int] = {}
    for poll in await store.polls.of_room(room.id):
        tally = await store.polls.tally(poll.id)
        if poll.kind == "outcome":
            audience = {side: tally.get(emoji, 0) for side, emoji in SIDES.items()}
            continue
        persona_id, _, seq = poll.subject.partition("#")
        per_persona.setdefault(persona_id, Counter()).update(tally)
        best = _better(best, by_seq.get(int(seq or 0)), tally)
    scores = _scores(cast, per_persona, turns_by)
    decision = _decision(room, transcript, audience) if room.mode is Mode.DEBATE else None
    return Results(room, scores, best, decision, audience)


def _better(
    best: tuple[Turn, int] | None, turn: Turn | None, tally: Counter[str]
) -> tuple[Turn, int] | None:
    ups = tally.get(VOTE_UP, 0)
    if turn is None or ups == 0 or (best and best[1] >= ups):
        return best
    return turn, ups


def _scores(
    cast: dict[str, Persona], votes: dict[str, Counter[str]], turns: Counter[str]
) -> list[PersonaScore]:
    scores = [
        PersonaScore(p, turns[p.id], votes[p.id].get(VOTE_UP, 0), votes[p.id].get(VOTE_DOWN, 0))
        for p in cast.values()
    ]
    return sorted(scores, key=lambda s: (-s.score, -s.up, s.persona.name))


def _decision(room: Room, transcript: list[Turn], audience: dict[str, int]) -> Decision | None:
    verdict_turn = next((t for t in reversed(transcript) if t.role == "judge"), None)
    if verdict_turn is None:
        return None
    verdict, reasons = parse_judgement(verdict_turn.content)
    return Decision(
        room_id=room.id,
        tenant_id=room.tenant_id,
        question=room.topic,
        arguments_summary=_arguments(transcript),
        verdict=verdict,
        reasons=reasons,
        audience=audience,
        outcome=_outcome(verdict, audience),
    )


def _arguments(transcript: list[Turn]) -> str:
    lines = [
        f"{t.role}: {t.speaker_name} — {clip(t.content, 140, flat=True)}"
        for t in transcript
        if t.role in SIDES
    ]
    return "\n".join(lines)


def _outcome(verdict: str, audience: dict[str, int]) -> str:
    crowd = "for" if audience.get("for", 0) > audience.get("against", 0) else "against"
    if audience.get("for", 0) == audience.get("against", 0):
        crowd = "tied"
    if verdict == crowd or crowd == "tied":
        return verdict if verdict != "undecided" else "undecided"
    if verdict == "undecided":
        return crowd
    return f"split (judge {verdict}, audience {crowd})"


def _decision_rows(decision: Decision) -> list[tuple[str, str]]:
    tally = ", ".join(f"{side} {n}" for side, n in decision.audience.items()) or "no votes"
    return [
        ("Judge", f"{decision.verdict}: {clip(decision.reasons, 300, flat=True)}"),
        ("Audience", tally),
        ("Outcome", decision.outcome),
    ]


_VERDICT = re.compile(
    r"verdict\W{0,6}(?:is\W{0,3}|goes\s+)?(?:the\s+motion\s+)?"
    r"(in\s+favou?r|for|against|pro|con|carried|passes|fails|defeated)\b",
    re.IGNORECASE,
)
_SIDE_WORDS = {"for": "for", "pro": "for", "carried": "for", "passes": "for"}
_SIDE_PHRASES = {
    "for": re.compile(r"\b(?:for|in\s+favou?r\s+of)\s+the\s+motion\b", re.IGNORECASE),
    "against": re.compile(r"\bagainst\s+the\s+motion\b", re.IGNORECASE),
}


def parse_judgement(text: str) -> tuple[str, str]:
    """Return (side, reasons) from a debate judge's reply; side is 'undecided' if not stated.

    Real judges write `**Verdict:** For`, `Verdict: in favour of the motion` or only "I find
    for the motion"; a stated verdict wins, else a side named alone in the motion's words.
    """
    match = _VERDICT.search(text)
    if match:
        word = re.sub(r"\s+", " ", match.group(1).lower())
        side = "for" if word.startswith("in ") else _SIDE_WORDS.get(word, "against")
        reasons = (text[: match.start()] + text[match.end() :]).strip(" .:*\n")
        return side, reasons
    named = [side for side, phrase in _SIDE_PHRASES.items() if phrase.search(text)]
    if len(named) == 1:
        return named[0], text.strip()
    return "undecided", text.strip()
