"""Who speaks next: pure functions over the cast, the transcript and a seeded RNG."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence

from bot.base.rooms import Selection, Turn
from personas.cards import Persona


def mentioned(text: str, cast: Sequence[Persona], *, exclude: str = "") -> list[Persona]:
    """Return the personas a message names (display name, short name or @id), in order."""
    found: list[tuple[int, Persona]] = []
    for persona in cast:
        if persona.id == exclude:
            continue
        position = _first_mention(text, persona)
        if position is not None:
            found.append((position, persona))
    return [persona for _, persona in sorted(found, key=lambda item: item[0])]


def _first_mention(text: str, persona: Persona) -> int | None:
    names = {persona.name, persona.name.removeprefix("The ").strip(), persona.id}
    hits = [
        match.start()
        for name in names
        if (match := re.search(rf"(?<![\w@])@?{re.escape(name)}\b", text, re.IGNORECASE))
    ]
    return min(hits) if hits else None


def last_persona_speaker(transcript: Sequence[Turn]) -> str | None:
    """Return the id of the persona that spoke most recently."""
    for turn in reversed(transcript):
        if turn.by_persona:
            return turn.speaker_id
    return None


def choose_speaker(
    selection: Selection,
    cast: Sequence[Persona],
    transcript: Sequence[Turn],
    rng: random.Random,
    *,
    requested: str | None = None,
) -> Persona:
    """Pick the next speaker; a requested persona (mentioned by a person) goes first."""
    by_id = {persona.id: persona for persona in cast}
    if requested in by_id:
        return by_id[requested]
    last = last_persona_speaker(transcript)
    if selection is Selection.ROUND_ROBIN:
        return _round_robin(cast, last)
    if selection is Selection.RANDOM:
        return rng.choice(others(cast, last))
    return _natural(cast, transcript, last, rng)


def others(cast: Sequence[Persona], last: str | None) -> list[Persona]:
    """Return the cast minus the last speaker (the whole cast if that leaves no one)."""
    rest = [persona for persona in cast if persona.id != last]
    return rest or list(cast)


def _round_robin(cast: Sequence[Persona], last: str | None) -> Persona:
    ids = [persona.id for persona in cast]
    if last not in ids:
        return cast[0]
    return cast[(ids.index(last) + 1) % len(cast)]


def _natural(
    cast: Sequence[Persona], transcript: Sequence[Turn], last: str | None, rng: random.Random
) -> Persona:
    if transcript:
        # A line that answers the persona before it names them ("Fair point, Skeptic"); handing
        # the turn back on that alone makes two personas trade turns for the whole room. A name
        # passes the turn on only to someone outside the last exchange.
        exchange = {last, _speaker_before(transcript, last)}
        named = [p for p in mentioned(transcript[-1].content, cast) if p.id not in exchange]
        if named:
            return named[0]
    candidates = others(cast, last)
    weights = [max(persona.talkativeness, 0.05) for persona in candidates]
    return rng.choices(candidates, weights=weights, k=1)[0]


def _speaker_before(transcript: Sequence[Turn], last: str | None) -> str | None:
    for turn in reversed(transcript):
        if turn.by_persona and turn.speaker_id != last:
            return turn.speaker_id
    return None


def parse_pick(text: str, candidates: Sequence[Persona]) -> Persona | None:
    """Find which candidate a moderator's reply names: its JSON `speaker`, else the first named.

    A model may answer `{"speaker": "The Skeptic"}`, that JSON inside prose or a code fence,
    or prose ("I think the Skeptic should go next").
    """
    for found in re.finditer(r"\{[^{}]*\}", text or ""):
        try:
            data = json.loads(found.group(0))
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("speaker"), str):
            named = mentioned(data["speaker"], candidates)
            if named:
                return named[0]
    named = mentioned(text or "", candidates)
    return named[0] if named else None
