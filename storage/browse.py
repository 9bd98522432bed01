"""Browsing a tenant's history: rooms by search and filters, a room's votes and usage per
turn, decision records and consortium runs, a page at a time."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, exists, func, or_, select

from storage.db import Database
from storage.models import (
    ConsortiumRunRow,
    DecisionRow,
    PollRow,
    RoomRow,
    TurnRow,
    UsageRow,
    VoteRow,
)
from storage.search import MARK_END, MARK_START, fts_query, matches, snippet_statement
from storage.stats import aware

T = TypeVar("T")
SNIPPETS_PER_ROOM = 2


@dataclass(frozen=True)
class RoomFilter:
    """Which of a tenant's rooms to list: words in their messages, mode, who, when, cost."""

    tenant_id: str
    words: str = ""
    mode: str | None = None
    persona: str | None = None
    model: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    min_cost: float | None = None
    max_cost: float | None = None


@dataclass(frozen=True)
class RoomLine:
    """One room in a listing, with the snippets of its messages that matched the search."""

    id: int
    key: str
    mode: str
    topic: str
    state: str
    created_at: datetime
    persona_turns: int
    cost_usd: float | None
    snippets: tuple[str, ...] = ()  # hits wrapped in MARK_START … MARK_END


@dataclass(frozen=True)
class CallUsage:
    """The usage of one model call of a room."""

    seq: int | None
    purpose: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None
    latency_ms: float


@dataclass(frozen=True)
class DecisionLine:
    """A decision record as listed."""

    room_id: int
    question: str
    verdict: str
    outcome: str
    audience: dict[str, int]
    created_at: datetime


@dataclass(frozen=True)
class RunLine:
    """A consortium run as listed, with its whole record."""

    id: int
    room_id: int | None
    created_at: datetime
    record: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing and how many there are in all."""

    items: list[T]
    total: int
    number: int
    size: int

    @property
    def pages(self) -> int:
        """Return how many pages the listing has (at least one)."""
        return max(1, -(-self.total // self.size))


class BrowseStore:
    """Read-only queries for the dashboard, each scoped to one tenant."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @property
    def _dialect(self) -> str:
        return self.db.engine.dialect.name

    async def rooms(self, wanted: RoomFilter, number: int = 1, size: int = 20) -> Page[RoomLine]:
        """Return one page of the tenant's rooms that pass the filter, newest first."""
        query = self._filtered(wanted)
        async with self.db.sessions() as session:
            total = (
                await session.execute(select(func.count()).select_from(query.subquery()))
            ).scalar_one()
            paged = query.order_by(RoomRow.id.desc()).offset((number - 1) * size).limit(size)
            rows = (await session.execute(paged)).all()
            hits = await self._snippets(session, wanted.words, [row.id for row in rows])
        lines = [_room_line(row, hits.get(row.id, ())) for row in rows]
        return Page(lines, int(total), number, size)

    def _filtered(self, wanted: RoomFilter) -> Select[*tuple[Any, ...]]:
        cost = (
            select(func.sum(UsageRow.cost_usd))
            .where(UsageRow.room_id == RoomRow.id)
            .correlate(RoomRow)
            .scalar_subquery()
        )
        query = select(
            RoomRow.id,
            RoomRow.key,
            RoomRow.mode,
            RoomRow.topic,
            RoomRow.state,
            RoomRow.created_at,
            RoomRow.persona_turns,
            cost.label("cost"),
        ).where(RoomRow.tenant_id == wanted.tenant_id, *self._conditions(wanted))
        if wanted.min_cost is not None:
            query = query.where(func.coalesce(cost, 0) >= wanted.min_cost)
        if wanted.max_cost is not None:
            query = query.where(func.coalesce(cost, 0) <= wanted.max_cost)
        return query

    def _conditions(self, wanted: RoomFilter) -> list[Any]:
        found: list[Any] = []
        if wanted.mode:
            found.append(RoomRow.mode == wanted.mode)
        if wanted.persona:
            spoke = TurnRow.room_id == RoomRow.id, TurnRow.speaker_id == wanted.persona
            found.append(exists().where(*spoke))
        if wanted.model:
            found.append(
                exists().where(UsageRow.room_id == RoomRow.id, UsageRow.model == wanted.model)
            )
        if wanted.since:
            found.append(RoomRow.created_at >= wanted.since)
        if wanted.until:
            found.append(RoomRow.created_at < wanted.until)
        if wanted.words.strip():
            found.append(self._searched(wanted.words))
        return found

    def _searched(self, words: str) -> Any:
        said = exists().where(
            TurnRow.room_id == RoomRow.id,
            matches(self._dialect, self._search_terms(words)),
        )
        return or_(RoomRow.topic.icontains(words.strip(), autoescape=True), said)

    def _search_terms(self, words: str) -> str:
        return fts_query(words) if self._dialect == "sqlite" else words

    async def _snippets(
        self, session: Any, words: str, room_ids: list[int]
    ) -> dict[int, tuple[str, ...]]:
        terms = self._search_terms(words)
        if not terms.strip() or not room_ids:
            return {}
        found: dict[int, list[str]] = {}
        params = {"q": terms, "rooms": room_ids}
        for room_id, _seq, snippet in await session.execute(
            snippet_statement(self._dialect), params
        ):
            kept = found.setdefault(room_id, [])
            if len(kept) < SNIPPETS_PER_ROOM and MARK_START in snippet:
                kept.append(snippet)
        return {room_id: tuple(snippets) for room_id, snippets in found.items()}

    async def models(self, tenant_id: str) -> list[str]:
        """Return every model the tenant's rooms have called, by name."""
        query = (
            select(UsageRow.model)
            .distinct()
            .join(RoomRow, RoomRow.id == UsageRow.room_id)
            .where(RoomRow.tenant_id == tenant_id)
            .order_by(UsageRow.model)
        )
        async with self.db.sessions() as session:
            return list((await session.execute(query)).scalars())

    async def tallies(self, room_id: int) -> dict[str, Counter[str]]:
        """Return the votes of each of a room's polls, by the poll's subject."""
        query = (
            select(PollRow.subject, VoteRow.choice, func.count())
            .join(VoteRow, VoteRow.poll_id == PollRow.id)
            .where(PollRow.room_id == room_id)
            .group_by(PollRow.subject, VoteRow.choice)
        )
        tallies: dict[str, Counter[str]] = {}
        async with self.db.sessions() as session:
            for subject, choice, n in await session.execute(query):
                tallies.setdefault(subject, Counter())[choice] += int(n)
        return tallies

    async def usage(self, room_id: int) -> list[CallUsage]:
        """Return every model call of a room, with the seq of the turn it wrote."""
        query = (
            select(UsageRow, TurnRow.seq)
            .outerjoin(TurnRow, TurnRow.id == UsageRow.turn_id)
            .where(UsageRow.room_id == room_id)
            .order_by(UsageRow.id)
        )
        async with self.db.sessions() as session:
            rows = (await session.execute(query)).all()
        return [_call_usage(usage, seq) for usage, seq in rows]

    async def decisions(
        self, tenant_id: str, number: int = 1, size: int = 20
    ) -> Page[DecisionLine]:
        """Return one page of the tenant's decision records, newest first."""
        query = select(DecisionRow).where(DecisionRow.tenant_id == tenant_id)
        total, rows = await self._page(query, DecisionRow.id, number, size)
        lines = [
            DecisionLine(
                r.room_id, r.question, r.verdict, r.outcome, dict(r.audience), aware(r.created_at)
            )
            for r in rows
        ]
        return Page(lines, total, number, size)

    async def runs(self, tenant_id: str, number: int = 1, size: int = 20) -> Page[RunLine]:
        """Return one page of the tenant's consortium runs, newest first."""
        query = select(ConsortiumRunRow).where(ConsortiumRunRow.tenant_id == tenant_id)
        total, rows = await self._page(query, ConsortiumRunRow.id, number, size)
        lines = [RunLine(r.id, r.room_id, aware(r.created_at), dict(r.record)) for r in rows]
        return Page(lines, total, number, size)

    async def runs_of_room(self, room_id: int) -> list[int]:
        """Return the ids of the consortium runs a room made."""
        query = select(ConsortiumRunRow.id).where(ConsortiumRunRow.room_id == room_id)
        async with self.db.sessions() as session:
            return list((await session.execute(query.order_by(ConsortiumRunRow.id))).scalars())

    async def _page(
        self, query: Select[*tuple[Any, ...]], order: Any, number: int, size: int
    ) -> Any:
        async with self.db.sessions() as session:
            count = select(func.count()).select_from(query.subquery())
            total = int((await session.execute(count)).scalar_one())
            paged = query.order_by(order.desc()).offset((number - 1) * size).limit(size)
            return total, list((await session.execute(paged)).scalars())


def _room_line(row: Any, snippets: tuple[str, ...]) -> RoomLine:
    return RoomLine(
        id=row.id,
        key=row.key,
        mode=row.mode,
        topic=row.topic,
        state=row.state,
        created_at=aware(row.created_at),
        persona_turns=row.persona_turns,
        cost_usd=row.cost,
        snippets=snippets,
    )


def _call_usage(usage: UsageRow, seq: int | None) -> CallUsage:
    return CallUsage(
        seq=seq,
        purpose=usage.purpose,
        model=usage.model,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        cost_usd=usage.cost_usd,
        latency_ms=usage.latency_ms,
    )


__all__ = ["MARK_END", "MARK_START", "BrowseStore", "Page", "RoomFilter", "RoomLine"]
