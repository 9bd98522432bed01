"""PNG charts (matplotlib, Agg canvas, imported on first use) returned as bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any


def confidence_chart(
    confidences: Sequence[float], *, threshold: float | None = None, title: str = ""
) -> bytes:
    """Draw the arbiter's confidence per iteration as a PNG."""
    figure, axes = _figure()
    rounds = list(range(1, len(confidences) + 1))
    axes.plot(rounds, [c * 100 for c in confidences], marker="o", linewidth=2, color="#4063d8")
    if threshold is not None:
        axes.axhline(threshold * 100, linestyle="--", color="#cb3c33", label="threshold")
        axes.legend(loc="lower right")
    axes.set_xticks(rounds or [1])
    axes.set_ylim(0, 100)
    axes.set_xlabel("iteration")
    axes.set_ylabel("confidence (%)")
    axes.set_title(title or "Consortium confidence per iteration")
    return _png(figure)


def ratings_chart(names: Sequence[str], ratings: Sequence[float], *, title: str = "") -> bytes:
    """Draw a horizontal bar chart of ratings (best at the top) as a PNG."""
    figure, axes = _figure()
    axes.barh(list(reversed(names)), list(reversed(ratings)), color="#389826")
    axes.set_xlabel("Elo rating")
    axes.set_title(title or "Leaderboard")
    if ratings:
        axes.set_xlim(min(ratings) - 50, max(ratings) + 50)
    return _png(figure)


def _figure() -> tuple[Any, Any]:
    # The Figure API with an Agg canvas needs no pyplot and no global backend switch.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 3.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.grid(alpha=0.3)
    return figure, axes


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
