"""What a log line is about (room, tenant, platform), carried by the task that logs it.

The fields live in a context variable, so a background task spawned while they are bound
keeps them, and the JSON log formatter adds them to every line without each call passing them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

FIELDS = ("room", "tenant", "platform")
_current: ContextVar[dict[str, str]] = ContextVar("chimera_log_fields", default={})  # noqa: B039


def log_fields() -> dict[str, str]:
    """Return the fields bound in the current context."""
    return _current.get()


@contextmanager
def bound(**fields: object) -> Iterator[None]:
    """Add fields (None values are left out) to every log line written inside the block."""
    extra = {name: str(value) for name, value in fields.items() if value is not None}
    token = _current.set({**_current.get(), **extra})
    try:
        yield
    finally:
        _current.reset(token)


def about_room(room_id: int, key: object) -> dict[str, object]:
    """Return the fields of a room whose key reads `platform:tenant:channel[:thread]`."""
    platform, tenant, *_ = str(key).split(":")
    return {"room": room_id, "tenant": f"{platform}:{tenant}", "platform": platform}
