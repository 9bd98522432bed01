from __future__ import annotations

import itertools

import pytest

from bot.memory.chunking import (
    CHUNK_TOKENS,
    PIECE_TOKENS,
    chunk_sentences,
    chunk_text,
    split_sentences,
)
from bot.memory.embedding import MAX_TOKENS
from bot.memory.tokens import WordPieceSpans


def _text(words: int, sentence_every: int = 13) -> str:
    return " ".join(f"w{i}" + ("." if i % sentence_every == 12 else "") for i in range(words))


def test_consecutive_chunks_share_exactly_the_overlap() -> None:
    chunks = chunk_text(_text(1000), size=200, overlap=40)
    assert len(chunks) > 4
    for before, after in itertools.pairwise(chunks):
        assert before.text.split()[-40:] == after.text.split()[:40]


def test_chunks_stay_within_size_and_end_on_sentences() -> None:
    chunks = chunk_text(_text(1000), size=200, overlap=40)
    assert all(len(c.text.split()) <= 200 for c in chunks)
    assert all(c.text.endswith(".") for c in chunks[:-1])
    assert [c.index for c in chunks] == list(range(len(chunks)))


def test_every_word_is_kept_in_order() -> None:
    chunks = chunk_text(_text(777), size=100, overlap=20)
    words = chunks[0].text.split()
    for c in chunks[1:]:
        words += c.text.split()[20:]
    assert words == _text(777).split()


def test_a_sentence_longer_than_a_chunk_is_split() -> None:
    chunks = chunk_text(" ".join(f"x{i}" for i in range(500)), size=100, overlap=10)
    assert all(len(c.text.split()) <= 100 for c in chunks)
    assert chunks[-1].text.split()[-1] == "x499"


def test_short_text_is_one_chunk_and_empty_text_none() -> None:
    assert [c.text for c in chunk_text("One sentence. Two sentences.")] == [
        "One sentence. Two sentences."
    ]
    assert chunk_text("   \n ") == []


def test_pages_are_tracked_when_numbered() -> None:
    sentences = split_sentences(["alpha beta. gamma.", "delta epsilon."], numbered=True)
    chunks = chunk_sentences(sentences, size=3, overlap=1)
    assert [c.page for c in chunks] == [1, 2]  # the second starts with "gamma." repeated


def test_overlap_must_be_smaller_than_size() -> None:
    with pytest.raises(ValueError):
        chunk_text("a b c", size=10, overlap=10)


SPANS = WordPieceSpans()
CJK = "记忆系统把文档切成小块，每块都必须放进模型的窗口里。" * 100  # 2,600 characters
URLS = "\n".join(
    f"https://docs.example.com/guides/section-{i}/page-{i * 7}.html" for i in range(140)
)


@pytest.mark.parametrize("text", [CJK, URLS], ids=["cjk", "urls"])
def test_chunks_fit_the_model_window_by_tokens(text: str) -> None:
    chunks = chunk_text(text, spans=SPANS)
    assert len(chunks) > 1
    assert all(SPANS.count(c.text) <= CHUNK_TOKENS for c in chunks)
    assert CHUNK_TOKENS + 2 <= MAX_TOKENS  # with [CLS] and [SEP]
    assert max(SPANS.count(c.text) for c in chunks) > CHUNK_TOKENS - PIECE_TOKENS  # packed


def test_no_text_is_lost_when_chunking_by_tokens() -> None:
    for text in (CJK, URLS):
        chunks = chunk_text(text, overlap=0, spans=SPANS)
        assert "".join(c.text for c in chunks).replace(" ", "") == "".join(text.split())


def test_a_long_word_is_cut_between_tokens_and_rejoined_without_spaces() -> None:
    url = "https://example.com/" + "/".join(f"segment{i}" for i in range(60))
    assert SPANS.count(url) > 2 * PIECE_TOKENS  # cut in three pieces
    [chunk] = chunk_text(url, size=240, overlap=0, spans=SPANS)
    assert chunk.text == url


def test_token_overlap_repeats_whole_pieces() -> None:
    chunks = chunk_text(URLS, size=240, overlap=48, spans=SPANS)
    for before, after in itertools.pairwise(chunks):
        first = after.text.split()[0]
        assert first in before.text.split()
