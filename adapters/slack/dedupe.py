"""Exactly-once event handling: Slack redelivers events, Bolt does not dedupe them."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)

PLATFORM = "slack"


class EventLog(Protocol):
    """The durable record of handled event ids (the core's `store.events`)."""

    async def first_time(self, platform: str, event_id: str) -> bool:
        """Record an event id; tell whether it had not been seen before."""
        ...


def retry_number(headers: Mapping[str, Sequence[str]]) -> int:
    """Return Slack's retry number (0 on a first delivery; Socket Mode sends "0" too)."""
    values = headers.get("x-slack-retry-num") or ()
    try:
        return int(values[0]) if values else 0
    except ValueError:
        return 0


class EventDedupe:
    """Tells whether an event id is new: a small in-memory front over the durable log."""

    def __init__(self, events: EventLog, *, front_size: int = 4096) -> None:
        self._events = events
        self._front: OrderedDict[str, None] = OrderedDict()
        self._front_size = front_size

    async def first_time(self, event_id: str) -> bool:
        """Record the id and tell whether it was new."""
        if event_id in self._front:
            self._front.move_to_end(event_id)
            return False
        # Claim it in memory before awaiting, so a concurrent redelivery is dropped too.
        self._remember(event_id)
        return await self._events.first_time(PLATFORM, event_id)

    def _remember(self, event_id: str) -> None:
        self._front[event_id] = None
        while len(self._front) > self._front_size:
            self._front.popitem(last=False)


Next = Callable[[], Awaitable[Any]]


def dedupe_middleware(dedupe: EventDedupe) -> Callable[..., Awaitable[Any]]:
    """Return Bolt middleware that acks and drops an event id it has already handled."""

    async def middleware(body: dict[str, Any], req: Any, next: Next) -> Any:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not event_id:
            return await next()
        retry = retry_number(req.headers)
        if await dedupe.first_time(str(event_id)):
            if retry > 0:
                log.info("handling Slack event %s on redelivery %d", event_id, retry)
            return await next()
        log.info("dropping duplicate Slack event %s (retry %d)", event_id, retry)
        return BoltResponse(status=200, body="")

    return middleware
