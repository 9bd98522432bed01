"""Build a MemoryStore from settings: embedded Chroma by default, a Chroma server by URL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import chromadb
from chromadb.api import ClientAPI
from chromadb.config import Settings

from bot.memory.embedding import Embedder, LocalEmbedder, MiniLMEmbedding
from bot.memory.lexical import LexicalIndex
from bot.memory.store import MemoryStore
from storage.db import Database
from storage.passage_terms import PassageTerms


def open_memory(
    data_dir: Path,
    database: Database,
    chroma_url: str | None = None,
    embedder: Embedder | None = None,
    *,
    threads: int = 1,
) -> MemoryStore:
    """Return a store under `data_dir`, using the Chroma server at `chroma_url` if given.

    The keyword index's rows live in `database` (migrated), shared by every process on it.
    `threads` is how many cores embedding may use (the default leaves one to the event loop).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    client = chroma_client(data_dir / "chroma", chroma_url)
    embedder = embedder or LocalEmbedder(MiniLMEmbedding(threads=threads))
    return MemoryStore(client, LexicalIndex(PassageTerms(database)), embedder)


def chroma_client(path: Path, url: str | None = None) -> ClientAPI:
    """Return an embedded client at `path`, or an HTTP client for `url`; telemetry off."""
    settings = Settings(anonymized_telemetry=False)
    if not url:
        return chromadb.PersistentClient(path=str(path), settings=settings)
    parts = urlsplit(url if "://" in url else f"http://{url}")
    ssl = parts.scheme == "https"
    port = parts.port or (443 if ssl else 8000)
    return chromadb.HttpClient(
        host=parts.hostname or "localhost", port=port, ssl=ssl, settings=settings
    )
