"""Each tenant's spend caps, and what its model calls have cost since a given time."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from storage.db import Database
from storage.models import BudgetRow, RoomRow, UsageRow
from storage.rooms import ensure_tenant
from storage.upsert import upsert


@dataclass(frozen=True)
class Caps:
    """A tenant's limits; None: no limit. Tokens count calls to models without a price."""

    daily_usd: float | None = None
    monthly_usd: float | None = None
    daily_tokens: int | None = None
    monthly_tokens: int | None = None

    @property
    def any(self) -> bool:
        """Tell whether any cap is set."""
        return any(value is not None for value in asdict(self).values())


@dataclass(frozen=True)
class Spend:
    """What a tenant's model calls cost over a period: priced calls in dollars, others in tokens."""

    usd: float = 0.0
    priced_calls: int = 0
    unpriced_tokens: int = 0
    unpriced_calls: int = 0


class BudgetStore:
    """The caps per tenant, and spend summed from the stored usage of its rooms' calls."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def caps(self, tenant_id: str) -> Caps:
        """Return a tenant's caps (none set: no limits)."""
        async with self.db.sessions() as session:
            row = await session.get(BudgetRow, tenant_id)
        if row is None:
            return Caps()
        return Caps(row.daily_usd, row.monthly_usd, row.daily_tokens, row.monthly_tokens)

    async def set_caps(self, tenant_id: str, caps: Caps, by: str) -> None:
        """Store a tenant's caps, replacing the old ones, in one statement."""
        values = {"tenant_id": tenant_id, **asdict(caps), "updated_by": by}
        columns = [*asdict(caps), "updated_by"]
        async with self.db.sessions.begin() as session:
            await ensure_tenant(session, tenant_id, tenant_id.split(":", 1)[0])
            statement = upsert(session, BudgetRow, values, keys=["tenant_id"], update=columns)
            await session.execute(statement)

    async def spend(self, tenant_id: str, since: datetime) -> Spend:
        """Return what the tenant's calls since `since` cost."""
        tokens = UsageRow.prompt_tokens + UsageRow.completion_tokens
        unpriced = UsageRow.cost_usd.is_(None)
        query = (
            select(
                func.coalesce(func.sum(UsageRow.cost_usd), 0.0),
                func.count(UsageRow.cost_usd),
                func.coalesce(func.sum(case((unpriced, tokens), else_=0)), 0),
                func.coalesce(func.sum(case((unpriced, 1), else_=0)), 0),
            )
            .join(RoomRow, RoomRow.id == UsageRow.room_id)
            .where(RoomRow.tenant_id == tenant_id, UsageRow.created_at >= since)
        )
        async with self.db.sessions() as session:
            usd, priced, unpriced_tokens, unpriced_calls = (await session.execute(query)).one()
        return Spend(float(usd), int(priced), int(unpriced_tokens), int(unpriced_calls))
