"""The prompt gate: whether a search's hits are evidence enough to reach a prompt.

A fixed cosine threshold per hit either drops right answers that sit a little under it or
lets through near misses for questions the memory cannot answer. The gate looks at the query
as a whole instead: its hits pass only if the best of them is similar enough to the query
(`min_best`); then every hit of the fused top k passes, so a right answer ranked under a
closer-worded neighbour is kept. A hit that contains every distinctive word of the query
(an identifier, a name) passes whatever its cosine. `min_best` is calibrated on one half of
the recall set and reported on the other (bench/recall.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.memory.lexical import mentions_all
from bot.memory.records import Hit


def gate(hits: Sequence[Hit], terms: list[str], min_best: float, min_score: float) -> list[Hit]:
    """Return the hits that pass: all (over `min_score`) if the best cosine reaches `min_best`.

    `hits` are best first; `terms` are the query's distinctive words.
    """
    best = max((h.score for h in hits), default=0.0)
    open_ = best >= min_best
    return [h for h in hits if (open_ and h.score >= min_score) or mentions_all(h.text, terms)]
