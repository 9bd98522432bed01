"""Sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, off the event loop."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import onnxruntime as ort
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function
from tokenizers import Tokenizer

from bot.memory import model_files

log = logging.getLogger(__name__)
MAX_TOKENS = 256  # the model's max_seq_length
DIMENSION = 384
BACKGROUND_NICE = 10  # a background thread's CPU share beside the event loop's: about a tenth


@register_embedding_function
class MiniLMEmbedding(EmbeddingFunction[Documents]):
    """all-MiniLM-L6-v2 with int8 products: WordPiece, mean pooling, L2 normalisation.

    The files are verified against their pinned sha256 when the model first loads.
    `threads` = 0 lets onnxruntime use one thread per physical core. Texts are encoded one
    at a time by default: the products quantize their inputs per call, so a text padded
    beside a longer one would come out slightly different, and one at a time is as fast
    for turn-length texts and keeps the model's working memory small.
    """

    def __init__(
        self,
        model_path: str | None = None,
        tokenizer_path: str | None = None,
        threads: int = 0,
        batch_size: int = 1,
    ) -> None:
        self.model_path = model_path
        self.tokenizer_path = tokenizer_path
        self.threads = threads
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._session: ort.InferenceSession | None = None
        self._tokenizer: Tokenizer | None = None

    @staticmethod
    def name() -> str:
        """Return the name this function is registered under in Chroma."""
        return "chimera-minilm-l6-v2-int8"

    def get_config(self) -> dict[str, Any]:
        """Return the settings Chroma persists with a collection."""
        return {
            "model_path": self.model_path,
            "tokenizer_path": self.tokenizer_path,
            "threads": self.threads,
            "batch_size": self.batch_size,
        }

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbedding:
        """Rebuild the function from a persisted configuration."""
        return MiniLMEmbedding(**config)

    def default_space(self) -> Space:
        """Return cosine: the vectors are unit length and trained for cosine."""
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        """Return the distance spaces that make sense for unit vectors."""
        return ["cosine", "ip", "l2"]

    def __call__(self, input: Documents) -> Embeddings:
        """Embed texts, in length-sorted batches to keep padding small."""
        return list(self.encode(list(input)))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, 384) float32 array of unit vectors for `texts`."""
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._encode_batch([texts[i] for i in idx])
        return out

    def load(self) -> None:
        """Load and verify the tokenizer and the model, once."""
        with self._lock:
            if self._session is None:
                self._tokenizer = _load_tokenizer(self.tokenizer_path)
                self._session = _load_session(self.model_path, self.threads)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        self.load()
        assert self._tokenizer is not None and self._session is not None
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]
        return _mean_pool_normalise(hidden, mask)


def _mean_pool_normalise(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def _load_tokenizer(path: str | None) -> Tokenizer:
    file = Path(path) if path else model_files.default_tokenizer_path()
    tokenizer = Tokenizer.from_file(str(model_files.verify(file, model_files.TOKENIZER_SHA256)))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


def _load_session(path: str | None, threads: int) -> ort.InferenceSession:
    file = model_files.verify(Path(path), model_files.BUILT_SHA256) if path else None
    file = file or model_files.built_model_path()
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    # Idle workers sleep instead of spinning: the event loop, SQLite and Chroma share the cores.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return ort.InferenceSession(str(file), options, providers=["CPUExecutionProvider"])


class Embedder(Protocol):
    """What MemoryStore needs to turn text into vectors."""

    def function(self) -> EmbeddingFunction[Documents]:
        """Return the Chroma embedding function recorded with each collection."""
        ...

    async def embed(self, texts: Sequence[str], *, background: bool = False) -> np.ndarray:
        """Return an (n, d) array of unit vectors, computed off the event loop.

        `background` work (conversation memory) yields the cores to everything else.
        """
        ...

    def close(self) -> None:
        """Stop the worker threads."""
        ...


class LocalEmbedder:
    """Embeds with MiniLM in two worker threads of its own, so the event loop stays free.

    One thread serves what someone waits for (a query, a document); the other, at a lower
    CPU priority, serves background batches, so a backlog of conversation memory never
    slows the rooms' turns: it takes the cores they leave. One thread each also keeps the
    model's working memory to one run at a time per thread.

    Single texts (queries) are cached, most recently used first, `cache_size` of them: the
    model is deterministic, so a cached vector is exactly the one it would compute again
    (rooms ask about the same topic turn after turn; a repeated question costs no model run).
    """

    def __init__(self, model: MiniLMEmbedding | None = None, cache_size: int = 1024) -> None:
        self.model = model or MiniLMEmbedding()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._pools: dict[bool, ThreadPoolExecutor] = {}  # background or not: its thread

    def clear_cache(self) -> None:
        """Forget the cached query vectors."""
        self._cache.clear()

    def function(self) -> EmbeddingFunction[Documents]:
        """Return the MiniLM embedding function."""
        return self.model

    def close(self) -> None:
        """Stop the worker threads (a run in progress finishes first; a later call restarts)."""
        for pool in self._pools.values():
            pool.shutdown(wait=False, cancel_futures=True)
        self._pools.clear()

    async def embed(self, texts: Sequence[str], *, background: bool = False) -> np.ndarray:
        """Return unit vectors for `texts`."""
        if background or len(texts) != 1 or self._cache_size <= 0:
            return await self._encode(list(texts), background)
        text = texts[0]
        if (cached := self._cache.get(text)) is not None:
            self._cache.move_to_end(text)
            return cached[None, :]
        vector = (await self._encode([text], background))[0]
        vector.setflags(write=False)  # shared by every caller that asks again
        self._cache[text] = vector
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return vector[None, :]

    async def _encode(self, texts: list[str], background: bool) -> np.ndarray:
        pool = self._pools.get(background)
        if pool is None:
            name, start = ("embed-background", _lower_priority) if background else ("embed", None)
            pool = self._pools[background] = ThreadPoolExecutor(1, name, initializer=start)
        return await asyncio.get_running_loop().run_in_executor(pool, self.model.encode, texts)


def _lower_priority() -> None:
    """Lower this thread's CPU priority (Linux: a thread's nice value is its own)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)
    except (AttributeError, OSError) as exc:  # not Linux, or not allowed: run at full priority
        log.debug("background embedding keeps its priority: %s", exc)
