"""Progress of a long command: status lines, throttled, sent to whoever ran the command.

`CommandHandler.run(progress=…)` installs the listener for the duration of one command (in a
context variable, so concurrent commands never see each other's listener); handlers call
`report(...)` without knowing which platform, if any, is listening.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from bot.base.clock import Clock

log = logging.getLogger(__name__)

ProgressListener = Callable[[str], Awaitable[None]]

_listener: ContextVar[ProgressListener | None] = ContextVar("chimera_progress", default=None)


class Status(str):
    """A human-readable progress line that also carries its numbers (for progress bars)."""

    done: int
    total: int

    def __new__(cls, text: str, done: int = 0, total: int = 0) -> Status:
        """Return the line `text` at `done` of `total`."""
        status = super().__new__(cls, text)
        status.done, status.total = done, total
        return status


@contextmanager
def reporting(progress: ProgressListener | None) -> Iterator[None]:
    """Send the progress reported inside this block to `progress` (None: to nobody)."""
    token = _listener.set(progress)
    try:
        yield
    finally:
        _listener.reset(token)


async def report(status: str) -> None:
    """Tell the listener how a command is getting on; a failing listener never fails it."""
    listener = _listener.get()
    if listener is None:
        return
    try:
        await listener(status)
    except Exception:
        log.warning("could not show progress %r", str(status), exc_info=True)


class Throttle:
    """Pass on the first report, then one only after `step` more progress and `interval_s`.

    The last report (done == total) is not passed on: the command's reply says it finished.
    """

    def __init__(self, clock: Clock, *, step: float = 0.1, interval_s: float = 1.0) -> None:
        self._clock = clock
        self._step = step
        self._interval_s = interval_s
        self._last: tuple[float, datetime] | None = None

    def due(self, done: int, total: int) -> bool:
        """Tell whether to show progress at `done` of `total`, and remember it if so."""
        if total <= 0 or done >= total:
            return False
        fraction, now = done / total, self._clock.now()
        if self._last is not None:
            last_fraction, last_time = self._last
            waited = (now - last_time).total_seconds()
            if fraction - last_fraction < self._step - 1e-9 or waited < self._interval_s:
                return False
        self._last = (fraction, now)
        return True
