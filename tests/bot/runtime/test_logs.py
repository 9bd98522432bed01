"""Logs: one JSON object per line with what a line is about, and no secret ever written."""

from __future__ import annotations

import io
import json
import logging

from bot.base.logcontext import about_room, bound
from bot.runtime.config import Settings
from bot.runtime.logs import REDACTED, JsonFormatter, Redacting, secrets_of


def _logger(formatter: logging.Formatter) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    logger = logging.getLogger("chimera.test.logs")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, out


def test_json_lines_carry_the_room_tenant_and_platform_where_known() -> None:
    logger, out = _logger(JsonFormatter())
    logger.info("before any room")
    with bound(**about_room(7, "slack:T1:C1")):
        logger.warning("turn %s failed", 3)
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("with a traceback")
    first, second, third = (json.loads(line) for line in out.getvalue().splitlines())
    assert set(first) == {"time", "level", "logger", "message"}
    assert second["message"] == "turn 3 failed" and second["level"] == "WARNING"
    assert (second["room"], second["tenant"], second["platform"]) == ("7", "slack:T1", "slack")
    assert second["logger"] == "chimera.test.logs" and second["time"].endswith("+00:00")
    assert "ValueError: boom" in third["exception"]


def test_secrets_are_redacted_whatever_logs_them(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, slack_bot_token="xoxb-secret-token", discord_token="short"
    )
    secrets = secrets_of(settings)
    assert "xoxb-secret-token" in secrets and "sk-test-0123456789" in secrets
    assert "short" not in secrets  # too short to tell from ordinary words
    logger, out = _logger(Redacting(JsonFormatter(), secrets))
    logger.info("calling with Bearer %s and key %s", "xoxb-secret-token", "sk-test-0123456789")
    line = json.loads(out.getvalue())
    assert line["message"] == f"calling with Bearer {REDACTED} and key {REDACTED}"
