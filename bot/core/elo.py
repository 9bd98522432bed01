"""Elo ratings for compare mode: pure functions over a table of ratings.

A compare round has one winner and several losers; it counts as one game between the
winner and each loser, every pairwise update computed from the ratings before the round,
so the order of the losers does not matter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

DEFAULT_RATING = 1500.0
DEFAULT_K = 32.0


@dataclass(frozen=True)
class Rating:
    """A contestant's rating and record."""

    rating: float = DEFAULT_RATING
    wins: int = 0
    losses: int = 0
    draws: int = 0

    @property
    def games(self) -> int:
        """Return how many pairwise games this contestant has played."""
        return self.wins + self.losses + self.draws


@dataclass(frozen=True)
class Standing:
    """One leaderboard row."""

    rank: int
    name: str
    rating: float
    wins: int
    losses: int
    draws: int


Table = Mapping[str, Rating]


def expected_score(rating: float, opponent: float) -> float:
    """Return the chance that `rating` beats `opponent` (0–1)."""
    return 1.0 / (1.0 + 10 ** ((opponent - rating) / 400.0))


def rating_change(rating: float, opponent: float, score: float, k: float = DEFAULT_K) -> float:
    """Return the points a player gains for `score` (1 win, 0.5 draw, 0 loss)."""
    return k * (score - expected_score(rating, opponent))


def record_win(
    table: Table, winner: str, losers: Iterable[str], *, k: float = DEFAULT_K
) -> dict[str, Rating]:
    """Return a new table after `winner` beat each of `losers` (pairwise updates)."""
    before = dict(table)
    after = dict(table)
    for loser in dict.fromkeys(name for name in losers if name != winner):
        w, lo = before.get(winner, Rating()), before.get(loser, Rating())
        delta = rating_change(w.rating, lo.rating, 1.0, k)
        won = after.get(winner, Rating())
        after[winner] = replace(won, rating=won.rating + delta, wins=won.wins + 1)
        lost = after.get(loser, Rating())
        after[loser] = replace(lost, rating=lost.rating - delta, losses=lost.losses + 1)
    return after


def record_draw(table: Table, players: Iterable[str], *, k: float = DEFAULT_K) -> dict[str, Rating]:
    """Return a new table after all `players` tied with each other."""
    names = list(dict.fromkeys(players))
    before = dict(table)
    after = dict(table)
    for name in names:
        own = before.get(name, Rating())
        gain = sum(
            rating_change(own.rating, before.get(other, Rating()).rating, 0.5, k)
            for other in names
            if other != name
        )
        draws = own.draws + len(names) - 1
        after[name] = replace(own, rating=own.rating + gain, draws=draws)
    return after


def leaderboard(table: Table) -> list[Standing]:
    """Order contestants by rating, then wins, then name; ties in rating share a rank."""
    ordered = sorted(table.items(), key=lambda item: (-item[1].rating, -item[1].wins, item[0]))
    standings: list[Standing] = []
    for position, (name, entry) in enumerate(ordered, 1):
        tied = standings and round(standings[-1].rating, 6) == round(entry.rating, 6)
        rank = standings[-1].rank if tied else position
        standings.append(Standing(rank, name, entry.rating, entry.wins, entry.losses, entry.draws))
    return standings


def leaderboard_text(standings: Iterable[Standing], limit: int = 20) -> str:
    """Render a leaderboard as aligned plain-text lines."""
    rows = list(standings)[:limit]
    if not rows:
        return "No games yet."
    width = max(len(row.name) for row in rows)
    return "\n".join(
        f"{row.rank:>2}. {row.name:<{width}}  {row.rating:6.0f}  {row.wins}W {row.losses}L"
        + (f" {row.draws}D" if row.draws else "")
        for row in rows
    )
