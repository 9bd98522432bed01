"""Exactly-once event handling: Slack redelivers events, Bolt does not dedupe them.

An event is marked handled only together with its effect: the listeners pass the claim to the
core, which records it in the same transaction as the vote or the message. A process that
dies between receiving an event and storing its effect has recorded nothing, so Slack's retry
is handled, not dropped; two deliveries handled at once store the effect once (the second
finds the claim taken). Events with no effect record nothing: handling one again changes
nothing either. (Bolt runs listeners after the middleware chain returns, so the middleware
cannot wrap the effect itself.)
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from slack_bolt.response import BoltResponse

from storage.platform_state import EventClaim

log = logging.getLogger(__name__)

PLATFORM = "slack"
CLAIM = "event_claim"  # where listeners find the event to record with their effect


class EventLog(Protocol):
    """The durable record of handled event ids (the core's `store.events`)."""

    async def seen(self, platform: str, event_id: str) -> bool:
        """Tell whether an event id was handled already."""
        ...


def retry_number(headers: Mapping[str, Sequence[str]]) -> int:
    """Return Slack's retry number (0 on a first delivery; Socket Mode sends "0" too)."""
    values = headers.get("x-slack-retry-num") or ()
    try:
        return int(values[0]) if values else 0
    except ValueError:
        return 0


class EventDedupe:
    """Tells whether an event was handled: the durable log, with a small in-memory front."""

    def __init__(self, events: EventLog, *, front_size: int = 4096) -> None:
        self._events = events
        self._front: OrderedDict[str, None] = OrderedDict()
        self._front_size = front_size

    async def handled(self, event_id: str) -> bool:
        """Tell whether the event's effect is stored already."""
        if event_id in self._front:
            self._front.move_to_end(event_id)
            return True
        if not await self._events.seen(PLATFORM, event_id):
            return False
        self._front[event_id] = None
        while len(self._front) > self._front_size:
            self._front.popitem(last=False)
        return True


Next = Callable[[], Awaitable[Any]]


def dedupe_middleware(dedupe: EventDedupe) -> Callable[..., Awaitable[Any]]:
    """Return Bolt middleware that acks and drops an event id it has already handled."""

    async def middleware(body: dict[str, Any], req: Any, context: Any, next: Next) -> Any:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not event_id:
            return await next()
        retry = retry_number(req.headers)
        if await dedupe.handled(str(event_id)):
            log.info("dropping duplicate Slack event %s (retry %d)", event_id, retry)
            return BoltResponse(status=200, body="")
        if retry > 0:
            log.info("handling Slack event %s on redelivery %d", event_id, retry)
        context[CLAIM] = EventClaim(PLATFORM, str(event_id))
        return await next()

    return middleware
