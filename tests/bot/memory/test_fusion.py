from __future__ import annotations

import pytest

from bot.memory.fusion import convex_fusion


def test_weak_lexical_match_does_not_outrank_a_clear_vector_win() -> None:
    cosine = {"right": 0.5, "other": 0.22}
    bm25 = {"other": 1.0, "right": 0.9}
    fused = convex_fusion(cosine, bm25, alpha=0.7)
    assert fused["right"] > fused["other"]
    assert fused["right"] == pytest.approx(0.7 + 0.3 * 0.9)


def test_strong_keyword_match_lifts_a_close_vector_second() -> None:
    fused = convex_fusion({"a": 0.40, "b": 0.38}, {"b": 12.0, "a": 1.0}, alpha=0.7)
    assert max(fused, key=fused.__getitem__) == "b"
