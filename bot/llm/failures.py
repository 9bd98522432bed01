"""Why a model call failed, in a few words a person can act on."""

from __future__ import annotations

import re

# How long the Router says a model rests after repeated rate limits (or a dead key).
_WAIT = re.compile(r"Try again in (\d+) seconds")

# litellm reports these as a 500 or a 400; their message says what actually went wrong.
_MESSAGE_REASONS = (
    ("Connection error", "could not connect to the model server"),
    ("Missing credentials", "no API key configured"),
    ("LLM Provider NOT provided", "unknown provider; use a litellm name like openai/gpt-4o-mini"),
)
_STATUS_REASONS = {
    401: "authentication failed (401)",
    403: "permission denied (403)",
    404: "model not found (404)",
    429: "rate limited (429)",
}


def reason_for(exc: Exception, timeout_s: float) -> str:
    """Say in a few words why a litellm call failed."""
    status = getattr(exc, "status_code", None)
    if type(exc).__name__ == "Timeout" or status == 408:
        return f"timed out after {timeout_s:g}s"
    text = str(exc)
    if "All deployments for selected model are in cooldown" in text:
        wait = _WAIT.search(text)
        after = f"; try again in {wait[1]} s" if wait else ""
        return f"resting after repeated failures such as rate limits{after}"
    for needle, reason in _MESSAGE_REASONS:
        if needle in text:
            return reason
    if status in _STATUS_REASONS:
        return _STATUS_REASONS[status]
    if isinstance(status, int) and status >= 500:
        return f"server error {status}"
    message = str(getattr(exc, "message", "") or text).strip().splitlines()
    detail = message[0][:200] if message else type(exc).__name__
    return f"error {status}: {detail}" if status else detail
