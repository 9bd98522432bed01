"""The database: async engine, sessions, and Alembic migrations applied on start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x43484D52  # "CHMR": the advisory lock migrations hold on PostgreSQL


class Database:
    """One engine and session factory for the process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(url, **_engine_options(url))
        if url.startswith("sqlite"):
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def migrate(self) -> None:
        """Apply every pending Alembic migration.

        On SQLite a migration that alters a table rebuilds it (copy, drop, rename). With
        foreign keys on, dropping the old table would cascade to every row that points at
        it (a room's turns), so, as SQLite's own procedure for table rebuilds says, the
        checks are off while migrating; the pragma only takes effect outside a transaction.
        """
        sqlite = self.url.startswith("sqlite")
        async with self.engine.connect() as conn:
            if sqlite:
                await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                await conn.commit()
            try:
                async with conn.begin():
                    if self.url.startswith("postgresql"):
                        # Processes of a cluster start together: one migrates, the others
                        # wait here and then find nothing left to do.
                        await conn.exec_driver_sql(
                            f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"
                        )
                    await conn.run_sync(_upgrade)
            finally:
                if sqlite:
                    await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                    await conn.commit()

    async def close(self) -> None:
        """Dispose of the engine's connections."""
        await self.engine.dispose()


def _engine_options(url: str) -> dict[str, object]:
    if url.startswith("sqlite"):
        Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        # Sessions always end their own transaction, so the pool's extra rollback on check-in
        # is a wasted round trip to the SQLite thread on every read. One connection: SQLite
        # takes one writer at a time anyway, and writers on several connections wait for the
        # lock in sqlite's busy handler, which sleeps up to 100 ms a try. Queueing for the one
        # connection in the pool is fair and costs no sleeps (p99 turn lateness 0.7 s → 0.2 s
        # at 50 rooms in bench/load.py).
        return {
            "connect_args": {"timeout": 30},
            "pool_reset_on_return": None,
            "pool_size": 1,
            "max_overflow": 0,
        }
    return {"pool_pre_ping": True, "pool_size": 10}


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    # WAL lets the scheduler's job store and readers work while a turn is being written.
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config(connection: Connection | None = None) -> Config:
    """Return an Alembic config pointing at the shipped migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")
