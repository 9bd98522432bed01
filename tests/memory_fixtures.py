"""Memory fixtures for any test: one embedding model per session, a fresh store per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from chromadb.api.shared_system_client import SharedSystemClient

from bot.memory.embedding import LocalEmbedder, MiniLMEmbedding
from bot.memory.factory import open_memory
from bot.memory.store import MemoryStore
from storage.db import Database


@pytest.fixture(scope="session")
def model() -> MiniLMEmbedding:
    """Load and verify the MiniLM model once for the whole session."""
    model = MiniLMEmbedding()
    model.load()
    return model


@pytest.fixture
def embedder(model: MiniLMEmbedding) -> LocalEmbedder:
    return LocalEmbedder(model)


async def migrated(path: Path) -> Database:
    """Return a migrated SQLite database at `path` (memory's keyword rows live there)."""
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    return db


@pytest.fixture
async def memory_db(tmp_path: Path) -> AsyncIterator[Database]:
    db = await migrated(tmp_path / "memory.db")
    yield db
    await db.close()


@pytest.fixture
async def store(
    tmp_path: Path, embedder: LocalEmbedder, memory_db: Database
) -> AsyncIterator[MemoryStore]:
    memory = open_memory(tmp_path / "memory", memory_db, embedder=embedder)
    yield memory
    await memory.close()
    SharedSystemClient.clear_system_cache()
