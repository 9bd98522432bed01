"""What the core reports as it runs, for whoever measures it (Prometheus in the runtime)."""

from __future__ import annotations

from typing import Protocol


class Telemetry(Protocol):
    """Hears about the events an operator counts; implementations must never raise."""

    def turn_posted(self, platform: str, mode: str) -> None:
        """A persona's turn reached the room's platform."""
        ...

    def platform_error(self, platform: str, kind: str) -> None:
        """A platform refused or throttled us (kind: rate_limited, dead_webhook, refused …)."""
        ...

    def parse_failed(self, kind: str) -> None:
        """A model's structured reply could not be read (kind: pick, verdict, arbiter)."""
        ...


class NoTelemetry:
    """Telemetry that counts nothing (tests, one-off commands)."""

    def turn_posted(self, platform: str, mode: str) -> None:
        """Ignore a posted turn."""

    def platform_error(self, platform: str, kind: str) -> None:
        """Ignore a platform error."""

    def parse_failed(self, kind: str) -> None:
        """Ignore a reply that could not be read."""
