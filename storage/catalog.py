"""Tenant-owned data: custom persona cards and saved configurations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from storage.db import Database
from storage.models import CustomPersonaRow, SavedConfigRow
from storage.rooms import ensure_tenant
from storage.upsert import upsert


class CatalogStore:
    """Custom personas and saved configurations, always scoped to one tenant."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def personas(self, tenant_id: str) -> list[dict[str, Any]]:
        """Return a tenant's persona cards."""
        query = select(CustomPersonaRow.card).where(CustomPersonaRow.tenant_id == tenant_id)
        async with self.db.sessions() as session:
            return [dict(card) for card in (await session.execute(query)).scalars()]

    async def save_persona(
        self, tenant_id: str, card: dict[str, Any], by: str, *, replace: bool = True
    ) -> bool:
        """Store a tenant's persona card; tell whether it was written.

        With `replace=False` an existing card of that id is kept and False is returned.
        """
        values = {"tenant_id": tenant_id, "persona_id": card["id"], "card": card, "created_by": by}
        async with self.db.sessions.begin() as session:
            await ensure_tenant(session, tenant_id, tenant_id.split(":", 1)[0])
            update = ["card", "updated_at"] if replace else []
            statement = upsert(
                session, CustomPersonaRow, values, keys=["tenant_id", "persona_id"], update=update
            )
            result = await session.execute(statement)
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def remove_persona(self, tenant_id: str, persona_id: str) -> bool:
        """Delete a tenant's persona card; tell whether one existed."""
        async with self.db.sessions.begin() as session:
            result = await session.execute(
                delete(CustomPersonaRow).where(
                    CustomPersonaRow.tenant_id == tenant_id,
                    CustomPersonaRow.persona_id == persona_id,
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def configs(self, tenant_id: str, kind: str) -> dict[str, dict[str, Any]]:
        """Return a tenant's saved configurations of one kind, by name."""
        query = (
            select(SavedConfigRow)
            .where(SavedConfigRow.tenant_id == tenant_id, SavedConfigRow.kind == kind)
            .order_by(SavedConfigRow.name)
        )
        async with self.db.sessions() as session:
            return {row.name: dict(row.config) for row in (await session.execute(query)).scalars()}

    async def save_config(
        self, tenant_id: str, kind: str, name: str, config: dict[str, Any], by: str
    ) -> None:
        """Create or replace a saved configuration."""
        async with self.db.sessions.begin() as session:
            await ensure_tenant(session, tenant_id, tenant_id.split(":", 1)[0])
            values = {
                "tenant_id": tenant_id,
                "kind": kind,
                "name": name,
                "config": config,
                "created_by": by,
            }
            keys = ["tenant_id", "kind", "name"]
            update = ["config", "updated_at"]
            await session.execute(upsert(session, SavedConfigRow, values, keys=keys, update=update))

    async def remove_config(self, tenant_id: str, kind: str, name: str) -> bool:
        """Delete a saved configuration; tell whether one existed."""
        async with self.db.sessions.begin() as session:
            result = await session.execute(
                delete(SavedConfigRow).where(
                    SavedConfigRow.tenant_id == tenant_id,
                    SavedConfigRow.kind == kind,
                    SavedConfigRow.name == name,
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]
