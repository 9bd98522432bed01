"""Per-person command rate limits, and how big a consortium people without manage may ask for.

People who may manage the channel are not limited (they set the budgets). Everyone else gets
a rate per command and a tighter one for the commands that call models on their behalf
(`ask`, `consortium run`), counted per tenant and person in a moving window by the `limits`
library. One process keeps the counts in memory; in cluster mode (`CHIMERA_REDIS_URL`) they
live in Redis, so every process counts the same commands.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from bot.base.rooms import RoomKey
from bot.commands.replies import Caller

MODEL_COMMANDS = frozenset({"ask", "consortium run"})


class CommandLimits:
    """Refuses a person's command when they send commands faster than their limit."""

    def __init__(
        self,
        every_command: str,
        model_commands: str,
        *,
        member_answers: int,
        storage: Storage | None = None,
    ) -> None:
        self._every = parse(every_command)
        self._models = parse(model_commands)
        self.member_answers = member_answers  # members × iterations, for people without manage
        self._limiter = MovingWindowRateLimiter(storage or MemoryStorage())

    async def refusal(self, key: RoomKey, caller: Caller, name: str) -> str | None:
        """Count the command; return why it is refused (too fast), or None to run it."""
        if caller.can_manage:
            return None
        who = (key.tenant_id, caller.user_id)
        if not await self._limiter.hit(self._every, *who, "any"):
            return await self._too_fast(self._every, who, "any", "commands")
        if name in MODEL_COMMANDS and not await self._limiter.hit(self._models, *who, "model"):
            return await self._too_fast(self._models, who, "model", "`ask` or `consortium run`")
        return None

    async def _too_fast(
        self, item: RateLimitItem, who: tuple[str, str], kind: str, what: str
    ) -> str:
        stats = await self._limiter.get_window_stats(item, *who, kind)
        # The limits library keeps its windows on the system clock.
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        return (
            f"you are sending {what} too fast: at most {item.amount} per "
            f"{_window(item)}. Try again in {wait} s"
        )

    def size_refusal(self, caller: Caller, seats: int, iterations: int) -> str | None:
        """Return why a consortium this big needs manage permission, or None."""
        answers = seats * iterations
        if caller.can_manage or answers <= self.member_answers:
            return None
        return (
            f"this consortium asks for {seats} members × {iterations} iterations = {answers} "
            f"answers; without permission to manage the channel the most is "
            f"{self.member_answers}. Use a smaller configuration, or ask someone who can manage it"
        )


def shared_storage(redis_url: str, prefix: str) -> Storage:
    """Return a Redis store for the counts, shared by every process of a cluster."""
    uri = redis_url if redis_url.startswith("async+") else f"async+{redis_url}"
    return RedisStorage(uri, implementation="redispy", key_prefix=f"{prefix}:limits")


def _window(item: RateLimitItem) -> str:
    amount = item.multiples
    unit = item.GRANULARITY.name
    return unit if amount == 1 else f"{amount} {unit}s"
