"""Logging set-up for the command line and the service: text for people, JSON for shipping.

`CHIMERA_LOG_FORMAT=json` writes one JSON object per line: time, level, logger, message,
the room, tenant and platform where the code logging knows them (bot/base/logcontext.py),
and the traceback when there is one. Whatever the format, every secret Chimera was given
is replaced by "[redacted]" before a line is written, whichever library logs it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from bot.base.logcontext import log_fields

REDACTED = "[redacted]"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET = (
    "alembic",
    "apscheduler",
    "aiosqlite",
    "httpx",
    "chromadb",
    "discord",
    "slack_bolt",
    "saq",  # a line per job enqueued, started and finished
)
SECRET_SETTINGS = (
    "discord_token",
    "slack_bot_token",
    "slack_signing_secret",
    "slack_app_token",
    "dashboard_secret",
    "metrics_token",
)
MIN_SECRET = 6  # shorter values would redact ordinary words


def setup_logging(level: str, fmt: str = "text", secrets: Iterable[str] = ()) -> None:
    """Log to stderr at `level` as text or JSON, secrets redacted, chatty libraries quieter."""
    handler = logging.StreamHandler()
    base: logging.Formatter = JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(Redacting(base, secrets))
    logging.basicConfig(level=level, handlers=[handler])
    for name in QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def secrets_of(settings: Any) -> list[str]:
    """Return the secret values in the settings and the provider keys in the environment."""
    values = [getattr(settings, name, None) for name in SECRET_SETTINGS]
    values += [value for key, value in os.environ.items() if key.endswith("_API_KEY")]
    return [value for value in values if value and len(value) >= MIN_SECRET]


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object on one line."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as JSON: time, level, logger, message and what it is about."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **log_fields(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class Redacting(logging.Formatter):
    """Wraps a formatter and blanks out secrets in what it writes."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self.inner = inner
        # Longest first: a secret that contains another is blanked out whole.
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        """Format with the wrapped formatter, then redact."""
        line = self.inner.format(record)
        for secret in self.secrets:
            line = line.replace(secret, REDACTED)
        return line
