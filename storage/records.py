"""Outcomes worth keeping: decision records, consortium runs and ratings."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select

from storage.db import Database
from storage.models import ConsortiumRunRow, DecisionRow, RatingRow
from storage.rooms import ensure_tenant
from storage.upsert import upsert


@dataclass(frozen=True)
class Decision:
    """A debate's result: the judge's verdict and the audience's tally."""

    room_id: int
    tenant_id: str
    question: str
    arguments_summary: str
    verdict: str
    reasons: str
    audience: dict[str, int]
    outcome: str


@dataclass(frozen=True)
class StoredRating:
    """An Elo rating of a model or persona within a tenant."""

    kind: str
    subject: str
    rating: float
    wins: int
    losses: int
    draws: int = 0


class RecordStore:
    """Decision records, consortium runs and ratings."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def save_decision(self, decision: Decision) -> int:
        """Store a decision record and return its id."""
        async with self.db.sessions.begin() as session:
            row = DecisionRow(**decision.__dict__)
            session.add(row)
            await session.flush()
            return row.id

    async def decision(self, room_id: int) -> Decision | None:
        """Return the decision record of a room, if any."""
        query = select(DecisionRow).where(DecisionRow.room_id == room_id).limit(1)
        async with self.db.sessions() as session:
            row = (await session.execute(query)).scalar_one_or_none()
        if row is None:
            return None
        return Decision(
            row.room_id,
            row.tenant_id,
            row.question,
            row.arguments_summary,
            row.verdict,
            row.reasons,
            dict(row.audience),
            row.outcome,
        )

    async def save_run(self, tenant_id: str, room_id: int | None, record: dict[str, Any]) -> int:
        """Store a consortium run record and return its id."""
        async with self.db.sessions.begin() as session:
            await ensure_tenant(session, tenant_id, tenant_id.split(":", 1)[0])
            row = ConsortiumRunRow(tenant_id=tenant_id, room_id=room_id, record=record)
            session.add(row)
            await session.flush()
            return row.id

    async def run(self, tenant_id: str, run_id: int) -> dict[str, Any] | None:
        """Return a tenant's consortium run record."""
        async with self.db.sessions() as session:
            row = await session.get(ConsortiumRunRow, run_id)
            return dict(row.record) if row and row.tenant_id == tenant_id else None

    async def ratings(self, tenant_id: str, kind: str) -> list[StoredRating]:
        """Return a tenant's ratings of one kind, best first."""
        query = (
            select(RatingRow)
            .where(RatingRow.tenant_id == tenant_id, RatingRow.kind == kind)
            .order_by(RatingRow.rating.desc())
        )
        async with self.db.sessions() as session:
            rows = (await session.execute(query)).scalars()
            return [
                StoredRating(r.kind, r.subject, r.rating, r.wins, r.losses, r.draws) for r in rows
            ]

    async def save_ratings(self, tenant_id: str, ratings: list[StoredRating]) -> None:
        """Create or update ratings."""
        async with self.db.sessions.begin() as session:
            await ensure_tenant(session, tenant_id, tenant_id.split(":", 1)[0])
            for rating in ratings:
                await self._upsert_rating(session, tenant_id, rating)

    @staticmethod
    async def _upsert_rating(session: Any, tenant_id: str, rating: StoredRating) -> None:
        values = {"tenant_id": tenant_id, **asdict(rating)}
        statement = upsert(
            session,
            RatingRow,
            values,
            keys=["tenant_id", "kind", "subject"],
            update=["rating", "wins", "losses", "draws"],
        )
        await session.execute(statement)
