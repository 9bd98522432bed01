"""Memory fixtures for any test: one embedding model per session, a fresh store per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from chromadb.api.shared_system_client import SharedSystemClient

from bot.memory.embedding import LocalEmbedder, MiniLMEmbedding
from bot.memory.factory import open_memory
from bot.memory.store import MemoryStore


@pytest.fixture(scope="session")
def model() -> MiniLMEmbedding:
    """Load and verify the MiniLM model once for the whole session."""
    model = MiniLMEmbedding()
    model.load()
    return model


@pytest.fixture
def embedder(model: MiniLMEmbedding) -> LocalEmbedder:
    return LocalEmbedder(model)


@pytest.fixture
async def store(tmp_path: Path, embedder: LocalEmbedder) -> AsyncIterator[MemoryStore]:
    memory = open_memory(tmp_path / "memory", embedder=embedder)
    yield memory
    await memory.close()
    SharedSystemClient.clear_system_cache()
