"""Per-tenant memory: room turns, persona positions, summaries and documents, on Chroma."""

from bot.memory.documents import DocumentError
from bot.memory.embedding import (
    Embedder,
    HostedEmbedder,
    HostedEmbedding,
    LocalEmbedder,
    MiniLMEmbedding,
)
from bot.memory.factory import chroma_client, open_memory
from bot.memory.interface import Memory
from bot.memory.model_files import ModelFileError
from bot.memory.records import DocumentInfo, Hit, Kind, MemoryStats
from bot.memory.store import PROMPT_MIN_SCORE, MemoryStore, Progress

__all__ = [
    "PROMPT_MIN_SCORE",
    "DocumentError",
    "DocumentInfo",
    "Embedder",
    "Hit",
    "HostedEmbedder",
    "HostedEmbedding",
    "Kind",
    "LocalEmbedder",
    "Memory",
    "MemoryStats",
    "MemoryStore",
    "MiniLMEmbedding",
    "ModelFileError",
    "Progress",
    "chroma_client",
    "open_memory",
]
