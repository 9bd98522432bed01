"""Reciprocal-rank fusion of several rankings of the same candidates."""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60  # the constant from Cormack, Clarke & Büttcher (2009)


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> dict[str, float]:
    """Return each id's fused score in [0, 1]: the sum of 1/(k + rank), scaled by its maximum."""
    if not rankings:
        return {}
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    best = len(rankings) / (k + 1)
    return {item: score / best for item, score in scores.items()}
