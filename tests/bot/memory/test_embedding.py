from __future__ import annotations

import os
import shutil
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from chromadb.utils.embedding_functions import config_to_embedding_function
from tokenizers import Tokenizer

from bot.memory.embedding import LocalEmbedder, MiniLMEmbedding
from bot.memory.model_build import build
from bot.memory.model_files import (
    BUILT_SHA256,
    MODEL_SHA256,
    TOKENIZER_SHA256,
    ModelFileError,
    built_model_path,
    default_model_path,
    default_tokenizer_path,
    sha256_of,
)


def test_vectors_are_unit_length_and_semantic(model: MiniLMEmbedding) -> None:
    a, b, c = model.encode(
        [
            "A man is eating food.",
            "A man is eating a piece of bread.",
            "The girl is carrying a baby.",
        ]
    )
    assert a.shape == (384,)
    assert np.linalg.norm(a) == pytest.approx(1.0, abs=1e-5)
    assert float(a @ b) > 0.7 > 0.1 > float(a @ c)


def test_batching_does_not_change_vectors(model: MiniLMEmbedding) -> None:
    texts = ["short", "a somewhat longer sentence about databases and migrations", "mid length"]
    together = model.encode(texts)
    alone = np.vstack([model.encode([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-4)


def test_shipped_files_match_pinned_checksums() -> None:
    assert sha256_of(default_model_path()) == MODEL_SHA256
    assert sha256_of(default_tokenizer_path()) == TOKENIZER_SHA256


def test_the_running_model_is_built_reproducibly_and_agrees_with_the_shipped_one(
    tmp_path: Path, model: MiniLMEmbedding
) -> None:
    built = build(default_model_path(), tmp_path / "again.onnx")
    assert sha256_of(built) == BUILT_SHA256
    texts = ["A man is eating food.", "Deploys happen on Tuesdays.", "Tabs or spaces?"]
    shipped = _encode_with(default_model_path(), texts)
    assert (shipped * model.encode(texts)).sum(axis=1).min() > 0.98  # int8 products


def test_a_damaged_built_model_is_rebuilt(tmp_path: Path) -> None:
    first = built_model_path(tmp_path)
    first.write_bytes(b"not a model")
    assert sha256_of(built_model_path(tmp_path)) == BUILT_SHA256


def _encode_with(path: Path, texts: list[str]) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(default_tokenizer_path()))
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    encodings = tokenizer.encode_batch(texts)
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    hidden = session.run(None, feeds)[0]
    pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def test_tampered_model_is_refused_with_both_hashes(tmp_path: Path) -> None:
    copy = tmp_path / "model.onnx"
    shutil.copyfile(built_model_path(), copy)
    with copy.open("r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelFileError) as error:
        MiniLMEmbedding(model_path=str(copy))(["hello"])
    message = str(error.value)
    assert str(copy) in message and BUILT_SHA256 in message
    assert sha256_of(copy) in message


def test_tampered_tokenizer_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "tokenizer.json"
    copy.write_text(default_tokenizer_path().read_text().replace("[UNK]", "[UNKNOWN]"))
    with pytest.raises(ModelFileError, match=r"tokenizer\.json"):
        MiniLMEmbedding(tokenizer_path=str(copy)).load()


def test_missing_model_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="not found"):
        MiniLMEmbedding(model_path=str(tmp_path / "absent.onnx")).load()


def test_functions_rebuild_from_their_chroma_config() -> None:
    model = MiniLMEmbedding(threads=1, batch_size=8)
    rebuilt = config_to_embedding_function({"name": model.name(), "config": model.get_config()})
    assert isinstance(rebuilt, MiniLMEmbedding) and rebuilt.batch_size == 8


class WhereItRuns:
    """A model that records the nice value of the thread that encodes."""

    def __init__(self) -> None:
        self.nice: list[int] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.nice.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return np.ones((len(texts), 4), dtype=np.float32)


@pytest.mark.skipif(sys.platform != "linux", reason="a thread's own nice value is Linux's")
async def test_background_batches_run_at_a_lower_priority_than_queries() -> None:
    model = WhereItRuns()
    embedder = LocalEmbedder(model)  # type: ignore[arg-type]
    try:
        await embedder.embed(["a query"])
        await embedder.embed(["a turn", "another"], background=True)
    finally:
        embedder.close()
    query, batch = model.nice
    assert batch > query == os.getpriority(os.PRIO_PROCESS, 0)
