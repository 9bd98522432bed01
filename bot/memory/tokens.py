"""Token spans from the embedding model's own WordPiece tokenizer, for chunking by tokens."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from tokenizers import Tokenizer

from bot.memory import model_files


class WordPieceSpans:
    """Return the character spans of each word's tokens (no truncation, no special tokens).

    Loads (and checks the sha256 of) the tokenizer the model uses on first call.
    """

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._tokenizer: Tokenizer | None = None
        self._lock = threading.Lock()

    def __call__(self, words: Sequence[str]) -> list[list[tuple[int, int]]]:
        """Return, for each word, the (start, end) character span of each of its tokens."""
        encodings = self._load().encode_batch(list(words), add_special_tokens=False)
        return [list(e.offsets) for e in encodings]

    def count(self, text: str) -> int:
        """Return how many tokens the model sees in `text` (without [CLS] and [SEP])."""
        return len(self._load().encode(text, add_special_tokens=False).ids)

    def _load(self) -> Tokenizer:
        with self._lock:
            if self._tokenizer is None:
                path = self._path or model_files.default_tokenizer_path()
                file = model_files.verify(path, model_files.TOKENIZER_SHA256)
                tokenizer = Tokenizer.from_file(str(file))
                tokenizer.no_padding()  # the file pads to 128 and truncates: neither here
                tokenizer.no_truncation()
                self._tokenizer = tokenizer
            return self._tokenizer
