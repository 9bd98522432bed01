"""Usage and audience statistics of a tenant: per persona, per model, and in all.

Turns, tokens, cost (None when no call had a known price), latency p50/p95, 👍/👎 votes and
the share of all 👍, compare wins/losses/draws with the Elo rating, and debate sides won.
Compare ratings are all-time (they are kept as running ratings); the rest counts from `since`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from bot.core.errors import UserError
from storage.records import StoredRating
from storage.stats import Call, Side, StatsScope, TurnVotes
from storage.store import Store

DEFAULT_SINCE = "7d"
KINDS = ("persona", "model")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SPAN = re.compile(r"^(\d{1,4})\s*([mhdw])$")


def parse_since(text: str | None, now: datetime) -> tuple[datetime, str]:
    """Return the start of a span like 30m, 12h, 7d, 4w or all, and how to say it."""
    wanted = (text or DEFAULT_SINCE).strip().lower()
    if wanted == "all":
        return datetime(1970, 1, 1, tzinfo=now.tzinfo), "all time"
    match = _SPAN.match(wanted)
    if match is None:
        raise UserError(f"since must look like 30m, 12h, 7d, 4w or all (got '{text}')")
    amount, unit = int(match.group(1)), match.group(2)
    names = {"m": "minute", "h": "hour", "d": "day", "w": "week"}
    label = f"the last {amount} {names[unit]}{'s' if amount != 1 else ''}"
    return now - timedelta(seconds=amount * _UNITS[unit]), label


@dataclass(frozen=True)
class Figures:
    """The statistics of one persona or one model."""

    name: str
    turns: int = 0
    calls: int = 0
    tokens: int = 0
    cost_usd: float | None = None
    unpriced_calls: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    up: int = 0
    down: int = 0
    share: float = 0.0  # of every 👍 in scope
    wins: int = 0
    losses: int = 0
    draws: int = 0
    elo: float | None = None
    debates: int = 0
    sides_won: int = 0


@dataclass(frozen=True)
class Totals:
    """A tenant's figures in all."""

    rooms: Counter[str]  # per mode
    turns: int
    calls: int
    tokens: int
    cost_usd: float | None
    unpriced_calls: int
    busiest: list[tuple[str, int]]  # room keys with the most turns


@dataclass(frozen=True)
class Stats:
    """Everything `stats` and the dashboard show for a scope."""

    label: str  # "the last 7 days"
    totals: Totals
    personas: list[Figures]
    models: list[Figures]
    cost_by_day: dict[str, dict[date, float]] = field(default_factory=dict)  # model -> day


async def collect(store: Store, scope: StatsScope, label: str) -> Stats:
    """Read and add up the statistics of a scope."""
    stats = store.stats
    calls = await stats.calls(scope)
    turns = await stats.persona_turns(scope)
    votes = await stats.turn_votes(scope)
    sides = await stats.debate_sides(scope)
    ratings = {kind: await store.records.ratings(scope.tenant_id, kind) for kind in KINDS}
    all_up = sum(v.up for v in votes)
    personas = _per_persona(calls, turns, votes, sides, ratings["persona"], all_up)
    models = _per_model(calls, votes, ratings["model"], all_up)
    totals = Totals(
        await stats.rooms_by_mode(scope),
        sum(turns.values()),
        len(calls),
        sum(c.tokens for c in calls),
        _known_cost(calls),
        sum(1 for c in calls if c.cost_usd is None),
        await stats.busiest(scope),
    )
    return Stats(label, totals, personas, models, _cost_by_day(calls))


def _per_persona(
    calls: Sequence[Call],
    turns: Counter[str],
    votes: Sequence[TurnVotes],
    sides: Sequence[Side],
    ratings: Sequence[StoredRating],
    all_up: int,
) -> list[Figures]:
    by_persona = _group(calls, lambda c: c.speaker_id if c.purpose == "turn" else None)
    voted = _votes_by(votes, lambda v: v.persona_id)
    debates = Counter(s.persona_id for s in sides)
    won = Counter(s.persona_id for s in sides if s.side == s.outcome)
    rated = {r.subject: r for r in ratings}
    # A bare model answering in a consortium or compare posts under its model name: a model.
    names = {
        name
        for name in set(turns) | set(by_persona) | set(voted) | set(rated) | set(debates)
        if "/" not in name
    }
    figures = [
        _figures(
            name, by_persona.get(name, []), voted.get(name), rated.get(name), all_up, turns[name]
        )
        for name in names
    ]
    figures = [_with_debates(f, debates[f.name], won[f.name]) for f in figures]
    return sorted(figures, key=lambda f: (-f.turns, -f.up, f.name))


def _per_model(
    calls: Sequence[Call], votes: Sequence[TurnVotes], ratings: Sequence[StoredRating], all_up: int
) -> list[Figures]:
    by_model = _group(calls, lambda c: c.model)
    writer = {(c.room_id, c.seq): c.model for c in calls if c.seq is not None}
    voted = _votes_by(votes, lambda v: writer.get((v.room_id, v.seq)))
    rated = {r.subject: r for r in ratings}
    figures = [
        _figures(
            name,
            by_model.get(name, []),
            voted.get(name),
            rated.get(name),
            all_up,
            sum(1 for c in by_model.get(name, []) if c.seq is not None),
        )
        for name in set(by_model) | set(rated)
    ]
    return sorted(figures, key=lambda f: (-f.calls, f.name))


def _figures(
    name: str,
    calls: Sequence[Call],
    votes: tuple[int, int] | None,
    rating: StoredRating | None,
    all_up: int,
    turns: int,
) -> Figures:
    up, down = votes or (0, 0)
    latencies = sorted(c.latency_ms for c in calls)
    return Figures(
        name=name,
        turns=turns,
        calls=len(calls),
        tokens=sum(c.tokens for c in calls),
        cost_usd=_known_cost(calls),
        unpriced_calls=sum(1 for c in calls if c.cost_usd is None),
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
        up=up,
        down=down,
        share=up / all_up if all_up else 0.0,
        wins=rating.wins if rating else 0,
        losses=rating.losses if rating else 0,
        draws=rating.draws if rating else 0,
        elo=rating.rating if rating else None,
    )


def _with_debates(figures: Figures, debates: int, won: int) -> Figures:
    return replace(figures, debates=debates, sides_won=won)


def percentile(ordered: Sequence[float], pct: float) -> float | None:
    """Return the nearest-rank percentile of sorted values (None for no values)."""
    if not ordered:
        return None
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def _known_cost(calls: Iterable[Call]) -> float | None:
    known = [c.cost_usd for c in calls if c.cost_usd is not None]
    return sum(known) if known else None


def _group(calls: Iterable[Call], key: Callable[[Call], str | None]) -> dict[str, list[Call]]:
    groups: dict[str, list[Call]] = defaultdict(list)
    for call in calls:
        if (name := key(call)) is not None:
            groups[name].append(call)
    return groups


def _votes_by(
    votes: Iterable[TurnVotes], key: Callable[[TurnVotes], str | None]
) -> dict[str, tuple[int, int]]:
    totals: dict[str, tuple[int, int]] = {}
    for vote in votes:
        if (name := key(vote)) is not None:
            up, down = totals.get(name, (0, 0))
            totals[name] = (up + vote.up, down + vote.down)
    return totals


def _cost_by_day(calls: Iterable[Call]) -> dict[str, dict[date, float]]:
    days: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for call in calls:
        if call.cost_usd is not None:
            days[call.model][call.at.date()] += call.cost_usd
    return {model: dict(by_day) for model, by_day in days.items()}
