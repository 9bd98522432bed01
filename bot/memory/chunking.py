"""Split long text into overlapping, sentence-aligned chunks of words."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# 180 words is about 240 WordPiece tokens: a chunk fits the model's 256-token window, so
# none of its text goes unembedded (the lexical index sees all of it either way).
CHUNK_WORDS = 180
OVERLAP_WORDS = 40

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n\s*\n")


@dataclass(frozen=True)
class Sentence:
    words: tuple[str, ...]
    page: int | None = None


@dataclass(frozen=True)
class Chunk:
    """A run of words from a document, and the page its new text starts on (PDFs only)."""

    index: int
    text: str
    page: int | None = None


def split_sentences(pages: Sequence[str], numbered: bool = False) -> list[Sentence]:
    """Return the sentences of some pages, each tagged with its 1-based page if `numbered`."""
    sentences = []
    for number, page in enumerate(pages, start=1):
        for piece in _SENTENCE_END.split(page):
            words = tuple(piece.split())
            if words:
                sentences.append(Sentence(words, number if numbered else None))
    return sentences


def chunk_sentences(
    sentences: Sequence[Sentence], size: int = CHUNK_WORDS, overlap: int = OVERLAP_WORDS
) -> list[Chunk]:
    """Pack sentences into chunks of at most `size` words, each repeating the last `overlap`."""
    if not 0 <= overlap < size:
        raise ValueError("need 0 <= overlap < size")
    groups: list[tuple[list[Sentence], int]] = []  # sentences, how many were carried over
    current: list[Sentence] = []
    carried = 0
    for sentence in _limit(sentences, size - overlap):
        if len(current) > carried and _count(current) + len(sentence.words) > size:
            groups.append((current, carried))
            current = _tail(current, overlap)
            carried = len(current)
        current.append(sentence)
    if len(current) > carried:
        groups.append((current, carried))
    return [_as_chunk(i, group, carried) for i, (group, carried) in enumerate(groups)]


def chunk_text(text: str, size: int = CHUNK_WORDS, overlap: int = OVERLAP_WORDS) -> list[Chunk]:
    """Chunk plain text."""
    return chunk_sentences(split_sentences([text]), size, overlap)


def _limit(sentences: Sequence[Sentence], most: int) -> list[Sentence]:
    """Cut sentences longer than `most` words into pieces, so overlap + piece fits a chunk."""
    out = []
    for s in sentences:
        for start in range(0, len(s.words), most):
            out.append(Sentence(s.words[start : start + most], s.page))
    return out


def _tail(group: list[Sentence], overlap: int) -> list[Sentence]:
    """Return the last `overlap` words of a chunk, to repeat at the start of the next one."""
    tail: list[Sentence] = []
    needed = overlap
    for s in reversed(group):
        if needed <= 0:
            break
        taken = s.words[-needed:]
        tail.insert(0, Sentence(taken, s.page))
        needed -= len(taken)
    return tail


def _count(group: Sequence[Sentence]) -> int:
    return sum(len(s.words) for s in group)


def _as_chunk(index: int, group: list[Sentence], carried: int) -> Chunk:
    """Join a chunk's words; its page is where its new (not repeated) text starts."""
    text = " ".join(" ".join(s.words) for s in group)
    return Chunk(index, text, group[carried].page)
