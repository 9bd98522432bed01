"""Tenant-owned data: custom persona cards and saved configurations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from storage.db import Database
from storage.models import CustomPersonaRow, SavedConfigRow
from storage.rooms import ensure_tenant


class CatalogStore:
    """Custom personas and saved configurations, always scoped to one tenant."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def personas(self, tenant_id: str) -> list[dict[str, Any]]:
        """Return a tenant's persona cards."""
        query = select(CustomPersonaRow.card).where(CustomPersonaRow.tenant_id == tenant_id)
        async with self.db.sessions() as session:
            return [dict(card) for card in (await session.execute(query)).scalars()]

    async def save_persona(self, tenant_id: str, card: dict[str, Any], by: str) -> None:
        """Create or replace a tenant's persona card."""
        async with self.db.sessions.begin() as session:
            await ensure_tenant(session, tenant_id, tenant_id.split(":", 1)[0])
            row = await self._persona_row(session, tenant_id, card["id"])
            if row is None:
                session.add(
                    CustomPersonaRow(
                        tenant_id=tenant_id, persona_id=card["id"], card=card, created_by=by
                    )
                )
            else:
                row.card = card

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

    @staticmethod
    async def _persona_row(
        session: Any, tenant_id: str, persona_id: str
    ) -> CustomPersonaRow | None:
        query = select(CustomPersonaRow).where(
            CustomPersonaRow.tenant_id == tenant_id, CustomPersonaRow.persona_id == persona_id
        )
        return (await session.execute(query)).scalar_one_or_none()

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
            query = select(SavedConfigRow).where(
                SavedConfigRow.tenant_id == tenant_id,
                SavedConfigRow.kind == kind,
                SavedConfigRow.name == name,
            )
            row = (await session.execute(query)).scalar_one_or_none()
            if row is None:
                session.add(
                    SavedConfigRow(
                        tenant_id=tenant_id, kind=kind, name=name, config=config, created_by=by
                    )
                )
            else:
                row.config = config

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
