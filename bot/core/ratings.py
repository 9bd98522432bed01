"""Compare-mode ratings: who took part, and the Elo update after each round's vote.

A round's winners are the contestants with the most votes (several on a tie, who draw with
each other); each winner beats every other contestant. Persona contestants are rated as
personas, and every contestant's model is rated as a model; a model never plays itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core import elo
from bot.core.consortium import Seat
from storage.records import RecordStore, StoredRating

KINDS = ("persona", "model")


@dataclass(frozen=True)
class Contestant:
    """One answerer in a compare round, as stored with the room."""

    label: str
    model: str
    persona_id: str | None = None

    @classmethod
    def of(cls, seat: Seat) -> Contestant:
        """Return the contestant for a seat."""
        return cls(seat.label, seat.model, seat.persona.id if seat.persona else None)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Contestant:
        """Build a contestant from its stored form."""
        return cls(str(data["label"]), str(data["model"]), data.get("persona_id"))

    def as_dict(self) -> dict[str, Any]:
        """Return the stored form."""
        return {"label": self.label, "model": self.model, "persona_id": self.persona_id}

    @property
    def key(self) -> str:
        """Return the id this contestant's poll is filed under (persona id, else model)."""
        return self.persona_id or self.model

    @property
    def rating_key(self) -> str:
        """Return the rating shown beside this contestant: its persona's, else its model's."""
        return f"persona:{self.persona_id}" if self.persona_id else f"model:{self.model}"

    def subject(self, kind: str) -> str | None:
        """Return what this contestant is rated as under `kind` (None: not rated there)."""
        return self.persona_id if kind == "persona" else self.model


@dataclass(frozen=True)
class RatingChange:
    """A rating before and after a round."""

    before: float
    after: float


def play_round(
    table: elo.Table, winners: Sequence[str], losers: Sequence[str]
) -> dict[str, elo.Rating]:
    """Return the table after tied winners draw and each winner beats every loser."""
    games = [elo.record_win(table, winner, losers) for winner in winners]
    if len(winners) > 1:
        games.append(elo.record_draw(table, winners))
    return _combine(table, games)


def _combine(before: elo.Table, games: Sequence[elo.Table]) -> dict[str, elo.Rating]:
    # Every game is scored from the ratings before the round, so the order does not matter.
    combined = dict(before)
    for game in games:
        for name, after in game.items():
            base, now = before.get(name, elo.Rating()), combined.get(name, elo.Rating())
            combined[name] = elo.Rating(
                now.rating + after.rating - base.rating,
                now.wins + after.wins - base.wins,
                now.losses + after.losses - base.losses,
                now.draws + after.draws - base.draws,
            )
    return combined


async def record_round(
    records: RecordStore, tenant_id: str, votes: Mapping[Contestant, int]
) -> dict[str, RatingChange]:
    """Update and store the ratings after a round; return the changes by `kind:subject`."""
    best = max(votes.values(), default=0)
    if best <= 0:
        return {}
    winners = [c for c, n in votes.items() if n == best]
    losers = [c for c, n in votes.items() if n < best]
    changes: dict[str, RatingChange] = {}
    for kind in KINDS:
        win = _subjects(winners, kind)
        lose = [name for name in _subjects(losers, kind) if name not in win]
        changes |= await _update(records, tenant_id, kind, win, lose)
    return changes


async def standings(records: RecordStore, tenant_id: str, kind: str) -> list[elo.Standing]:
    """Return the tenant's leaderboard of one kind."""
    stored = await records.ratings(tenant_id, kind)
    return elo.leaderboard({r.subject: _rating(r) for r in stored})


async def _update(
    records: RecordStore, tenant_id: str, kind: str, win: list[str], lose: list[str]
) -> dict[str, RatingChange]:
    if not lose and len(win) < 2:
        return {}
    stored = await records.ratings(tenant_id, kind)
    table = {r.subject: _rating(r) for r in stored}
    after = play_round(table, win, lose)
    names = [*win, *lose]
    rows = [
        StoredRating(kind, n, after[n].rating, after[n].wins, after[n].losses, after[n].draws)
        for n in names
    ]
    await records.save_ratings(tenant_id, rows)
    before = {n: table.get(n, elo.Rating()).rating for n in names}
    return {f"{kind}:{n}": RatingChange(before[n], after[n].rating) for n in names}


def _subjects(contestants: Sequence[Contestant], kind: str) -> list[str]:
    return list(dict.fromkeys(s for c in contestants if (s := c.subject(kind))))


def _rating(stored: StoredRating) -> elo.Rating:
    return elo.Rating(stored.rating, stored.wins, stored.losses, stored.draws)
