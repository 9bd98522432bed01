"""The raw figures `stats` and the dashboard add up: model calls, turns, votes, debate sides.

Every query is scoped to one tenant (and optionally one channel's rooms) and a start time;
the adding up (percentiles, shares) is the core's (`bot/core/stats.py`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, select

from bot.base.rooms import RoomState, SpeakerKind
from storage.db import Database
from storage.models import DecisionRow, PollRow, RoomRow, TurnRow, UsageRow, VoteRow

SIDES = ("for", "against")


@dataclass(frozen=True)
class StatsScope:
    """Whose figures: a tenant's since a time, optionally only one channel's rooms."""

    tenant_id: str
    since: datetime
    room_key: str | None = None  # `platform:tenant:channel[:thread]`


@dataclass(frozen=True)
class Call:
    """One model call: what it was for, whose turn it wrote, what it cost."""

    model: str
    purpose: str
    room_id: int
    seq: int | None  # the turn it wrote (None: a summary, a pick, an arbiter's synthesis)
    speaker_id: str | None
    tokens: int
    cost_usd: float | None
    latency_ms: float
    at: datetime


@dataclass(frozen=True)
class TurnVotes:
    """The votes on one persona turn."""

    room_id: int
    persona_id: str
    seq: int
    up: int = 0
    down: int = 0


@dataclass(frozen=True)
class Side:
    """A persona that argued a side in a debate that was decided."""

    room_id: int
    persona_id: str
    side: str
    outcome: str


class StatsStore:
    """Reads the facts behind usage and audience statistics."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def calls(self, scope: StatsScope) -> list[Call]:
        """Return every model call in scope, oldest first."""
        query = (
            select(UsageRow, TurnRow.seq, TurnRow.speaker_id)
            .join(RoomRow, RoomRow.id == UsageRow.room_id)
            .outerjoin(TurnRow, TurnRow.id == UsageRow.turn_id)
            .where(UsageRow.created_at >= scope.since)
            .order_by(UsageRow.id)
        )
        rows = await self._all(_scoped(query, scope))
        return [_call(usage, seq, speaker) for usage, seq, speaker in rows]

    async def persona_turns(self, scope: StatsScope) -> Counter[str]:
        """Count the persona turns in scope per persona."""
        query = (
            select(TurnRow.speaker_id, func.count())
            .join(RoomRow, RoomRow.id == TurnRow.room_id)
            .where(TurnRow.kind == SpeakerKind.PERSONA.value, TurnRow.created_at >= scope.since)
            .group_by(TurnRow.speaker_id)
        )
        return Counter({speaker: int(n) for speaker, n in await self._all(_scoped(query, scope))})

    async def turn_votes(self, scope: StatsScope) -> list[TurnVotes]:
        """Return the 👍/👎 votes on each persona turn opened in scope."""
        query = (
            select(PollRow.room_id, PollRow.subject, VoteRow.choice, func.count())
            .join(VoteRow, VoteRow.poll_id == PollRow.id)
            .join(RoomRow, RoomRow.id == PollRow.room_id)
            .where(PollRow.kind == "turn", PollRow.created_at >= scope.since)
            .group_by(PollRow.room_id, PollRow.subject, VoteRow.choice)
        )
        tallies: dict[tuple[int, str], Counter[str]] = {}
        for room_id, subject, choice, n in await self._all(_scoped(query, scope)):
            tallies.setdefault((room_id, subject), Counter())[choice] += int(n)
        return [
            _turn_votes(room_id, subject, tally) for (room_id, subject), tally in tallies.items()
        ]

    async def debate_sides(self, scope: StatsScope) -> list[Side]:
        """Return who argued which side in the debates decided in scope, and the outcome."""
        query = (
            select(TurnRow.speaker_id, TurnRow.room_id, TurnRow.role, DecisionRow.outcome)
            .distinct()
            .join(DecisionRow, DecisionRow.room_id == TurnRow.room_id)
            .join(RoomRow, RoomRow.id == TurnRow.room_id)
            .where(TurnRow.role.in_(SIDES), DecisionRow.created_at >= scope.since)
        )
        rows = await self._all(_scoped(query, scope))
        return [Side(room_id, speaker, role, outcome) for speaker, room_id, role, outcome in rows]

    async def rooms_by_mode(self, scope: StatsScope) -> Counter[str]:
        """Count the rooms started in scope per mode."""
        query = (
            select(RoomRow.mode, func.count())
            .where(RoomRow.created_at >= scope.since)
            .group_by(RoomRow.mode)
        )
        return Counter({mode: int(n) for mode, n in await self._all(_scoped(query, scope))})

    async def busiest(self, scope: StatsScope, limit: int = 5) -> list[tuple[str, int]]:
        """Return the room keys (channels, threads) with the most turns in scope."""
        turns = func.count(TurnRow.id).label("turns")
        query = (
            select(RoomRow.key, turns)
            .join(TurnRow, TurnRow.room_id == RoomRow.id)
            .where(TurnRow.created_at >= scope.since)
            .group_by(RoomRow.key)
            .order_by(turns.desc(), RoomRow.key)
            .limit(limit)
        )
        return [(str(key), int(n)) for key, n in await self._all(_scoped(query, scope))]

    async def live_by_mode(self) -> dict[str, int]:
        """Count the rooms of every tenant that are running, paused or voting, per mode."""
        live = [RoomState.RUNNING.value, RoomState.PAUSED.value, RoomState.VOTING.value]
        query = select(RoomRow.mode, func.count()).where(RoomRow.state.in_(live))
        return {mode: int(n) for mode, n in await self._all(query.group_by(RoomRow.mode))}

    async def _all(self, query: Select[*tuple[Any, ...]]) -> list[Any]:
        async with self.db.sessions() as session:
            return list((await session.execute(query)).all())


def _scoped(query: Select[*tuple[Any, ...]], scope: StatsScope) -> Select[*tuple[Any, ...]]:
    """Restrict a query that joins the rooms table to the scope's tenant (and room key)."""
    query = query.where(RoomRow.tenant_id == scope.tenant_id)
    return query.where(RoomRow.key == scope.room_key) if scope.room_key else query


def _call(usage: UsageRow, seq: int | None, speaker: str | None) -> Call:
    return Call(
        model=usage.model,
        purpose=usage.purpose,
        room_id=usage.room_id,
        seq=seq,
        speaker_id=speaker,
        tokens=usage.prompt_tokens + usage.completion_tokens,
        cost_usd=usage.cost_usd,
        latency_ms=usage.latency_ms,
        at=aware(usage.created_at),
    )


def _turn_votes(room_id: int, subject: str, tally: Counter[str]) -> TurnVotes:
    persona_id, _, seq = subject.partition("#")
    return TurnVotes(room_id, persona_id, int(seq or 0), tally.get("👍", 0), tally.get("👎", 0))


def aware(moment: datetime) -> datetime:
    """Return a stored time with its UTC zone (SQLite hands back naive datetimes)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
