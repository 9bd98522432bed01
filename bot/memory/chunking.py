"""Split long text into overlapping, sentence-aligned chunks measured in model tokens.

A chunk must fit the embedding model's 256-token window, or the model silently reads only its
start. Words are a poor measure of that: a 2,600-character CJK text has no spaces (one
"word", over a thousand tokens) and a URL is one word of dozens of tokens. So every word is
measured by the model's own tokenizer (`tokens.WordPieceSpans`), a word longer than
`PIECE_TOKENS` is cut between two of its tokens, and chunks are packed by token count. With
no tokenizer given, each word counts as one (plain word chunking).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# 240 tokens plus [CLS] and [SEP] fit the model's 256-token window with room to spare.
CHUNK_TOKENS = 240
OVERLAP_TOKENS = 48
PIECE_TOKENS = 64  # the longest run of one word's tokens kept together

# The character spans of each token of each word (`tokens.WordPieceSpans` is one).
Spans = Callable[[Sequence[str]], list[list[tuple[int, int]]]]

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|(?<=[。！？])\s*|\n\s*\n")


@dataclass(frozen=True)
class Piece:
    """A word, or part of a long one, and how many tokens it costs."""

    text: str
    tokens: int = 1
    glued: bool = False  # continues the previous piece with no space (a word cut in parts)


@dataclass(frozen=True)
class Sentence:
    pieces: tuple[Piece, ...]
    page: int | None = None

    @property
    def tokens(self) -> int:
        """Return what the sentence costs."""
        return sum(p.tokens for p in self.pieces)


@dataclass(frozen=True)
class Chunk:
    """A run of text from a document, and the page its new text starts on (PDFs only)."""

    index: int
    text: str
    page: int | None = None


def split_sentences(
    pages: Sequence[str], numbered: bool = False, spans: Spans | None = None
) -> list[Sentence]:
    """Return the sentences of some pages, each tagged with its 1-based page if `numbered`."""
    sentences = []
    for number, page in enumerate(pages, start=1):
        for text in _SENTENCE_END.split(page):
            words = text.split()
            if words:
                sentences.append(Sentence(_pieces(words, spans), number if numbered else None))
    return sentences


def chunk_sentences(
    sentences: Sequence[Sentence], size: int = CHUNK_TOKENS, overlap: int = OVERLAP_TOKENS
) -> list[Chunk]:
    """Pack sentences into chunks of at most `size` tokens, each repeating about the last
    `overlap` tokens of the one before (whole pieces, never more than `overlap`)."""
    if not 0 <= overlap < size:
        raise ValueError("need 0 <= overlap < size")
    groups: list[tuple[list[Sentence], int]] = []  # sentences, how many were carried over
    current: list[Sentence] = []
    carried = 0
    for sentence in _limit(sentences, size - overlap):
        if len(current) > carried and _count(current) + sentence.tokens > size:
            groups.append((current, carried))
            current = _tail(current, overlap)
            carried = len(current)
        current.append(sentence)
    if len(current) > carried:
        groups.append((current, carried))
    return [_as_chunk(i, group, carried) for i, (group, carried) in enumerate(groups)]


def chunk_text(
    text: str,
    size: int = CHUNK_TOKENS,
    overlap: int = OVERLAP_TOKENS,
    spans: Spans | None = None,
) -> list[Chunk]:
    """Chunk plain text."""
    return chunk_sentences(split_sentences([text], spans=spans), size, overlap)


def _pieces(words: list[str], spans: Spans | None) -> tuple[Piece, ...]:
    if spans is None:
        return tuple(Piece(w) for w in words)
    return tuple(p for w, s in zip(words, spans(words), strict=True) for p in _cut(w, s))


def _cut(word: str, spans: list[tuple[int, int]]) -> list[Piece]:
    """Return a word as one piece, or as pieces of PIECE_TOKENS tokens cut between tokens."""
    if len(spans) <= PIECE_TOKENS:
        return [Piece(word, max(len(spans), 1))]
    starts = [0, *(spans[i][0] for i in range(PIECE_TOKENS, len(spans), PIECE_TOKENS))]
    ends = [*starts[1:], len(word)]
    counts = [min(PIECE_TOKENS, len(spans) - i) for i in range(0, len(spans), PIECE_TOKENS)]
    return [
        Piece(word[a:b], n, glued=i > 0)
        for i, (a, b, n) in enumerate(zip(starts, ends, counts, strict=True))
    ]


def _limit(sentences: Sequence[Sentence], most: int) -> list[Sentence]:
    """Cut sentences longer than `most` tokens, so overlap + part fits a chunk."""
    out = []
    for s in sentences:
        part: list[Piece] = []
        for piece in s.pieces:
            if part and sum(p.tokens for p in part) + piece.tokens > most:
                out.append(Sentence(tuple(part), s.page))
                part = []
            part.append(piece)
        out.append(Sentence(tuple(part), s.page))
    return out


def _tail(group: list[Sentence], overlap: int) -> list[Sentence]:
    """Return the last pieces of a chunk, at most `overlap` tokens, to repeat in the next."""
    tail: list[Sentence] = []
    needed = overlap
    for s in reversed(group):
        taken: list[Piece] = []
        for piece in reversed(s.pieces):
            if piece.tokens > needed:
                break
            taken.insert(0, piece)
            needed -= piece.tokens
        if taken:
            tail.insert(0, Sentence(tuple(taken), s.page))
        if len(taken) < len(s.pieces):
            break
    return tail


def _count(group: Sequence[Sentence]) -> int:
    return sum(s.tokens for s in group)


def _as_chunk(index: int, group: list[Sentence], carried: int) -> Chunk:
    """Join a chunk's pieces; its page is where its new (not repeated) text starts."""
    parts: list[str] = []
    for piece in (p for s in group for p in s.pieces):
        parts.append(piece.text if piece.glued or not parts else " " + piece.text)
    page = group[carried].page if carried < len(group) else group[-1].page
    return Chunk(index, "".join(parts), page)
