"""Plain-text renderings of consensus, for any chat platform."""

from __future__ import annotations

FULL, EMPTY = "▰", "▱"


def consensus_meter(confidence: float, width: int = 10) -> str:
    """Render a confidence as a bar with a percentage, e.g. `▰▰▰▰▰▰▱▱▱▱ 62%`."""
    value = min(1.0, max(0.0, confidence))
    filled = int(value * width + 1e-9)
    return f"{FULL * filled}{EMPTY * (width - filled)} {round(value * 100)}%"


def iteration_label(iteration: int, max_iterations: int) -> str:
    """Render `iteration 2 of 3`."""
    return f"iteration {iteration} of {max_iterations}"
