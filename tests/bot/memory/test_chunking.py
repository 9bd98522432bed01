from __future__ import annotations

import itertools

import pytest

from bot.memory.chunking import chunk_sentences, chunk_text, split_sentences


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
