"""Logging set-up for the command line and the service."""

from __future__ import annotations

import logging


def setup_logging(level: str) -> None:
    """Log to stderr at `level`, keeping chatty libraries at WARNING."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in (
        "alembic",
        "apscheduler",
        "aiosqlite",
        "httpx",
        "chromadb",
        "discord",
        "slack_bolt",
    ):
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
