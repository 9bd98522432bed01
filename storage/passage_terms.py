"""Memory's keyword rows in the database, versioned so every process can catch up on them.

Each write of a tenant's rows takes the next version number of that tenant, and writes of one
tenant are serialised (SQLite has one writer; PostgreSQL takes a per-tenant advisory lock
for the transaction), so versions become visible in order: a reader that has seen version v
has seen everything before it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, cast

from sqlalchemy import Table, func, select, update

from storage.db import AsyncSession, Database
from storage.models import PassageTermsRow
from storage.upsert import upsert

_TABLE = cast(Table, PassageTermsRow.__table__)
ROWS_PER_STATEMENT = 500  # 10 parameters a row: SQLite and asyncpg cap a statement's at 32766
_UPDATED = ("version", "terms", "length", "kind", "persona", "room", "doc", "deleted")


@dataclass(frozen=True)
class TermsRow:
    """One passage's analysed words and the fields a search scope filters on."""

    passage: str
    terms: str
    length: int
    kind: str
    persona: str = ""
    room: str = ""
    doc: str = ""
    version: int = 0
    deleted: bool = False


class PassageTerms:
    """The `passage_terms` table: written by any process, read back by version."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._postgres = db.url.startswith("postgresql")

    async def write(self, tenant: str, rows: Sequence[TermsRow]) -> int:
        """Store rows (replacing any with the same passage) at a new version; return it."""
        if not rows:
            return 0
        async with self.db.sessions.begin() as session:
            version = await self._next_version(session, tenant)
            values = [
                {
                    "tenant": tenant,
                    "passage": row.passage,
                    "version": version,
                    "terms": row.terms,
                    "length": row.length,
                    "kind": row.kind,
                    "persona": row.persona,
                    "room": row.room,
                    "doc": row.doc,
                    "deleted": False,
                }
                for row in {row.passage: row for row in rows}.values()  # the last of each id
            ]
            keys = ("tenant", "passage")
            for start in range(0, len(values), ROWS_PER_STATEMENT):  # under bound-parameter caps
                batch = values[start : start + ROWS_PER_STATEMENT]
                await session.execute(upsert(session, _TABLE, batch, keys=keys, update=_UPDATED))
        return version

    async def forget(
        self, tenant: str, field: Literal["doc", "room"] | None = None, value: str = ""
    ) -> int:
        """Turn the rows of one document, one room, or (no field) the tenant into tombstones.

        Returns how many rows were forgotten.
        """
        condition = [_TABLE.c.tenant == tenant, _TABLE.c.deleted.is_(False)]
        if field is not None:
            condition.append(_TABLE.c[field] == value)
        async with self.db.sessions.begin() as session:
            version = await self._next_version(session, tenant)
            result = await session.execute(
                update(_TABLE).where(*condition).values(deleted=True, terms="", version=version)
            )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def since(self, tenant: str, version: int) -> list[TermsRow]:
        """Return the tenant's rows written after `version`, oldest first.

        From version 0 (a first load) tombstones are left out: there is nothing to remove.
        """
        query = select(_TABLE).where(_TABLE.c.tenant == tenant, _TABLE.c.version > version)
        if version == 0:
            query = query.where(_TABLE.c.deleted.is_(False))
        async with self.db.sessions() as session:
            rows = (await session.execute(query.order_by(_TABLE.c.version))).all()
        return [
            TermsRow(
                r.passage, r.terms, r.length, r.kind, r.persona, r.room, r.doc, r.version, r.deleted
            )
            for r in rows
        ]

    async def _next_version(self, session: AsyncSession, tenant: str) -> int:
        """Return the tenant's next version, holding its write lock until the transaction ends."""
        if self._postgres:
            key = int(hashlib.sha256(tenant.encode()).hexdigest()[:15], 16)
            await session.execute(select(func.pg_advisory_xact_lock(key)))
        latest = await session.scalar(
            select(func.coalesce(func.max(_TABLE.c.version), 0)).where(_TABLE.c.tenant == tenant)
        )
        return int(latest or 0) + 1
