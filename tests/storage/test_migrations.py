"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from storage.db import Database
from storage.models import Base
from storage.search import include_name


def schema_differences(connection: Connection) -> list[Any]:
    """Return what the migrated database lacks or has beyond the models."""
    context = MigrationContext.configure(connection, opts={"include_name": include_name})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_match_the_models(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/chimera.db")
    try:
        await db.migrate()
        await db.migrate()  # a second start applies nothing and does not fail
        async with db.engine.connect() as conn:
            assert await conn.run_sync(schema_differences) == []
            tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        assert "room_threads" in tables
    finally:
        await db.close()
