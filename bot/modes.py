"""Conversation modes as pure plans: which persona does what on the next turn."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.prompts import Step
from bot.rooms import Room, Turn
from bot.speakers import choose_speaker
from personas.cards import Persona

SIDES = {"for": "👍", "against": "👎"}


class CastError(ValueError):
    """A cast that cannot run the chosen mode."""


def plan_chat(
    room: Room,
    cast: Sequence[Persona],
    transcript: Sequence[Turn],
    rng: random.Random,
    requested: str | None = None,
) -> Step | None:
    """Return the next chat turn, or None once the room has had its turns."""
    if room.persona_turns >= room.settings.turns:
        return None
    speaker = choose_speaker(room.settings.selection, cast, transcript, rng, requested=requested)
    return Step(speaker, instruction="Reply to the conversation in character, briefly.")


@dataclass(frozen=True)
class DebateCast:
    """Who frames, who argues each side, and who judges."""

    moderator: str
    judge: str
    pro: tuple[str, ...]
    con: tuple[str, ...]

    def as_extra(self) -> dict[str, object]:
        """Return the form stored in the room's settings."""
        return {
            "moderator": self.moderator,
            "judge": self.judge,
            "pro": list(self.pro),
            "con": list(self.con),
        }


def assign_debate(chosen: Sequence[Persona], available: Mapping[str, Persona]) -> DebateCast:
    """Split a chosen cast into moderator, sides and judge, borrowing built-in roles if missing."""
    moderator = _with_role(chosen, "moderator") or _with_role(available.values(), "moderator")
    judge = _with_role(chosen, "judge") or _with_role(available.values(), "judge")
    debaters = [p for p in chosen if p not in (moderator, judge)]
    if len(debaters) < 2:
        debaters = _default_debaters(debaters, available)
    if moderator is None or judge is None:
        raise CastError("a debate needs a moderator and a judge persona")
    pro, con = debaters[0::2], debaters[1::2]
    return DebateCast(moderator.id, judge.id, tuple(p.id for p in pro), tuple(p.id for p in con))


def _with_role(personas: object, role: str) -> Persona | None:
    return next((p for p in personas if p.has_role(role)), None)  # type: ignore[attr-defined]


def _default_debaters(debaters: list[Persona], available: Mapping[str, Persona]) -> list[Persona]:
    """Fill the missing side(s) with the built-in advocate (for) and critic (against)."""
    merged = list(debaters)
    for side, default in enumerate(("advocate", "critic")):
        if len(merged) <= side and default in available and available[default] not in merged:
            merged.append(available[default])
    if len(merged) < 2:
        raise CastError("a debate needs at least two personas to argue for and against")
    return merged


def debate_length(rounds: int) -> int:
    """Return a debate's persona turns: framing, rounds, two closings, verdict."""
    return 2 * rounds + 4


def plan_debate(room: Room, personas: Mapping[str, Persona]) -> Step | None:
    """Return the debate's next turn, or None after the judge's verdict."""
    cast = DebateCast(**room.settings.extra["debate"])
    index, rounds = room.persona_turns, room.settings.rounds
    if index == 0:
        return Step(
            personas[cast.moderator],
            task="frame",
            role="moderator",
            instruction="Frame the motion for the room and introduce the two sides.",
        )
    if index <= 2 * rounds:
        return _argument(index - 1, cast, personas, closing=False)
    if index <= 2 * rounds + 2:
        return _argument(index - 1 - 2 * rounds, cast, personas, closing=True)
    if index == 2 * rounds + 3:
        sides = {personas[p].name: "for" for p in cast.pro if p in personas}
        sides |= {personas[p].name: "against" for p in cast.con if p in personas}
        return Step(
            personas[cast.judge],
            task="verdict",
            role="judge",
            extra={"sides": sides},
            instruction="Give your verdict. Start with 'Verdict: for' or "
            "'Verdict: against', then your reasons.",
        )
    return None


def _argument(i: int, cast: DebateCast, personas: Mapping[str, Persona], *, closing: bool) -> Step:
    side = "for" if i % 2 == 0 else "against"
    team = cast.pro if side == "for" else cast.con
    persona = personas[team[(i // 2) % len(team)]]
    if closing:
        return Step(
            persona,
            task="closing",
            side=side,
            role=side,
            instruction=f"Give your closing statement {side} the motion.",
        )
    return Step(
        persona,
        task="turn",
        side=side,
        role=side,
        instruction=f"Argue {side} the motion; answer the other side's last point.",
    )


def parse_verdict(text: str) -> tuple[str, str]:
    """Return (side, reasons) from a judge's reply; side is 'undecided' if not stated."""
    match = re.search(r"verdict\s*[:\-]\s*(for|against)\b", text, re.IGNORECASE)
    if match:
        reasons = (text[: match.start()] + text[match.end() :]).strip(" .:\n")
        return match.group(1).lower(), reasons
    return "undecided", text.strip()
