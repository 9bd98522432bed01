"""Owned background tasks: named, tracked, cancellable, and their failures logged."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class TaskOwner:
    """Starts background tasks and cancels whatever is still running on close."""

    def __init__(self, name: str = "chimera") -> None:
        self.name = name
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(
        self, name: str, coro: Coroutine[Any, Any, Any], *, awaited: bool = False
    ) -> asyncio.Task[Any]:
        """Run a coroutine in the background under a name.

        A failure is logged here unless the task is `awaited`: then whoever awaits it gets
        the exception and deals with it.
        """
        task = asyncio.get_running_loop().create_task(coro, name=f"{self.name}:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if not awaited:
            task.add_done_callback(_log_failure)
        return task

    @property
    def running(self) -> int:
        """Return how many tasks are still running."""
        return len(self._tasks)

    async def drain(self, wait_s: float = 10.0) -> None:
        """Wait for the running tasks to finish (for tests and orderly shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=wait_s)

    async def close(self) -> None:
        """Cancel every running task and wait for them to end."""
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background task %s failed", task.get_name(), exc_info=task.exception())
