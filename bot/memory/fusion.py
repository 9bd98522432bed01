"""Fuse a vector ranking with a lexical one by a convex combination of scaled scores."""

from __future__ import annotations

from collections.abc import Mapping

# Weight of the vector side; recall@1 on tests/bot/memory/recall_set.yaml is flat for
# 0.5-0.8 (see bench/recall.py), and this sits in the middle of that plateau.
ALPHA = 0.7


def convex_fusion(
    cosine: Mapping[str, float], bm25: Mapping[str, float], alpha: float = ALPHA
) -> dict[str, float]:
    """Return alpha * cosine + (1 - alpha) * BM25 for each candidate in `cosine`.

    Each score is divided by its best value and starts at its theoretical minimum (0), so a
    weak lexical match stays weak, unlike with rank-based fusion (Bruch, Gai & Ingber 2023,
    "An Analysis of Fusion Functions for Hybrid Retrieval").
    """
    top_cos = max((max(c, 0.0) for c in cosine.values()), default=0.0) or 1.0
    top_bm25 = max(bm25.values(), default=0.0) or 1.0
    return {
        i: alpha * max(cosine[i], 0.0) / top_cos + (1 - alpha) * bm25.get(i, 0.0) / top_bm25
        for i in cosine
    }
