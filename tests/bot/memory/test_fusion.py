from __future__ import annotations

import pytest

from bot.memory.fusion import convex_fusion, worth_fetching


def test_weak_lexical_match_does_not_outrank_a_clear_vector_win() -> None:
    cosine = {"right": 0.5, "other": 0.22}
    bm25 = {"other": 1.0, "right": 0.9}
    fused = convex_fusion(cosine, bm25, alpha=0.7)
    assert fused["right"] > fused["other"]
    assert fused["right"] == pytest.approx(0.7 + 0.3 * 0.9)


def test_strong_keyword_match_lifts_a_close_vector_second() -> None:
    fused = convex_fusion({"a": 0.40, "b": 0.38}, {"b": 12.0, "a": 1.0}, alpha=0.7)
    assert max(fused, key=fused.__getitem__) == "b"


def test_only_lexical_candidates_that_could_reach_the_top_k_are_fetched() -> None:
    cosine = {f"v{i}": 0.9 - i * 0.02 for i in range(20)}  # the least similar is 0.52
    bm25 = {"strong": 10.0, "weak": 0.1, "v0": 2.0}
    assert worth_fetching(cosine, bm25, k=5, alpha=0.7) == ["strong"]
    assert worth_fetching({}, bm25, k=5) == ["strong", "weak", "v0"]
