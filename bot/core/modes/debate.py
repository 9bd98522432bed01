"""Debate mode: the moderator frames the motion, the sides alternate, the judge gives a verdict.

Then the audience votes 👍 for or 👎 against; the result (judge and audience) is posted and
kept as a decision record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.base.rooms import Mode, Room, Turn
from bot.core.errors import CastError
from bot.core.host import message_refs
from bot.core.modes.base import RoomPlan, StartRequest
from bot.core.modes.opening import paced_settings, resolve_cast
from bot.core.modes.turns import TurnRunner
from bot.core.platform import Notice
from bot.core.prompts import Step
from bot.core.results import SIDES, Results
from personas.cards import Persona

DEFAULT_CAST = ("moderator", "advocate", "critic", "judge")


class DebateRunner(TurnRunner):
    """Runs debate rooms."""

    mode = Mode.DEBATE

    async def plan(self, request: StartRequest) -> RoomPlan:
        """Split the cast into moderator, sides and judge; the length follows the rounds."""
        wanted = request.personas or DEFAULT_CAST
        cast = await resolve_cast(self.host, request.key.tenant_id, wanted)
        debate = assign_debate(cast, self.host.catalog.builtins)
        settings = paced_settings(self.host.defaults, request)
        settings = settings.with_changes(
            extra={"debate": debate.as_extra()}, turns=debate_length(settings.rounds)
        )
        return RoomPlan(debate.order, settings)

    def plan_turn(
        self, room: Room, cast: dict[str, Persona], recent: Sequence[Turn]
    ) -> Step | None:
        """Return the debate's next turn, or None after the judge's verdict."""
        return plan_debate(room, cast)

    async def open_vote(self, room: Room) -> None:
        """Open the audience's for/against poll; the result follows when it closes."""
        window = room.settings.vote_window_s
        if window > 0:  # an unattended room (no window) asks nobody to vote
            options = {emoji: side for side, emoji in SIDES.items()}
            text = (
                f"Audience vote on “{room.topic}”: react {SIDES['for']} for the motion or "
                f"{SIDES['against']} against. Voting closes in {window:.0f} s."
            )
            notice = Notice(text, title="Your verdict", vote_emoji=tuple(options))
            posted = await self.host.post_notice(room, notice)
            refs = message_refs(room, posted, None, None)
            await self.host.store.polls.open_on(room.id, "outcome", "", options, refs)
        await self.close_vote_at(room, window)

    async def conclude(self, room: Room, results: Results) -> None:
        """Keep the decision record: question, arguments, verdict and audience."""
        if results.decision is not None:
            await self.host.store.records.save_decision(results.decision)


@dataclass(frozen=True)
class DebateCast:
    """Who frames, who argues each side, and who judges."""

    moderator: str
    judge: str
    pro: tuple[str, ...]
    con: tuple[str, ...]

    @property
    def order(self) -> tuple[str, ...]:
        """Return the cast in speaking order: moderator, the sides, then the judge."""
        return tuple(dict.fromkeys([self.moderator, *self.pro, *self.con, self.judge]))

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
    # Skipped turns (a model error) count as taken: the debate goes on to the next part.
    index, rounds = room.persona_turns + room.skipped_turns, room.settings.rounds
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
