"""PNG charts (matplotlib, Agg canvas, imported on first use) returned as bytes."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date
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


def votes_chart(
    names: Sequence[str], up: Sequence[int], down: Sequence[int], *, title: str = ""
) -> bytes:
    """Draw 👍 and 👎 votes per persona as paired horizontal bars (most voted at the top)."""
    figure, axes = _figure()
    rows = list(range(len(names)))[::-1]
    axes.barh([r + 0.2 for r in rows], list(up), height=0.4, color="#389826", label="up")
    axes.barh([r - 0.2 for r in rows], list(down), height=0.4, color="#cb3c33", label="down")
    axes.set_yticks(rows or [0], list(names) or [""])
    axes.set_xlabel("votes")
    axes.legend(loc="lower right")
    axes.set_title(title or "Votes per persona")
    return _png(figure)


def cost_chart(cost_by_day: Mapping[str, Mapping[date, float]], *, title: str = "") -> bytes:
    """Draw each model's known cost per day (USD) as lines over the days that had any."""
    figure, axes = _figure()
    days = sorted({day for by_day in cost_by_day.values() for day in by_day})
    places = range(len(days))  # one place per day: a lone day is not stretched over years
    for model, by_day in sorted(cost_by_day.items()):
        spent = [by_day.get(day, 0.0) for day in days]
        axes.plot(places, spent, marker="o", linewidth=2, label=model)
    axes.set_xticks(list(places), [day.isoformat() for day in days])
    if cost_by_day:
        axes.legend(loc="upper left", fontsize="small")
    axes.set_ylim(bottom=0)
    axes.set_ylabel("cost (USD)")
    axes.set_title(title or "Cost per model per day")
    figure.autofmt_xdate()
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
