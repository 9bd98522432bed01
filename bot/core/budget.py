"""Spend caps: a room or run that would go over its tenant's budget is refused before any call.

Spend is summed from the stored usage of every model call. Calls to models with a price count
in dollars; calls to models litellm has no price for count their tokens against the token caps
instead. What a new room would cost is estimated from how many calls it makes and what the
tenant's calls cost on average over the last 30 days; a tenant with no history yet is refused
only once a cap is reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.base.clock import Clock
from bot.base.rooms import Mode, RoomSettings
from bot.core.errors import RoomError
from storage.budgets import BudgetStore, Caps, Spend

HISTORY = timedelta(days=30)  # the calls whose average prices a new room's


@dataclass(frozen=True)
class Period:
    """A budget period and how it reads in a sentence."""

    name: str  # "today" | "this month"
    since: datetime
    usd: float | None
    tokens: int | None


def periods(caps: Caps, now: datetime) -> list[Period]:
    """Return the day (UTC) and month a tenant's caps apply to, starting at `now`'s."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month = day.replace(day=1)
    return [
        Period("today", day, caps.daily_usd, caps.daily_tokens),
        Period("this month", month, caps.monthly_usd, caps.monthly_tokens),
    ]


def expected_calls(mode: Mode, settings: RoomSettings) -> int:
    """Return how many model calls a room with these settings makes at most."""
    if mode is Mode.CONSORTIUM:
        config = settings.extra.get("consortium") or {}
        seats = sum(int(member.get("count", 1)) for member in config.get("members", ()))
        return (seats + 1) * int(config.get("max_iterations", 1))  # the members and the arbiter
    if mode is Mode.COMPARE:
        return len(settings.extra.get("compare", ()))
    return settings.turns  # chat and debate: one call per persona turn


class Budget:
    """Checks a tenant's caps against its spend."""

    def __init__(self, store: BudgetStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def check(self, tenant_id: str, calls: int) -> None:
        """Raise RoomError, with the figures, if `calls` more calls would go over a cap."""
        caps = await self.store.caps(tenant_id)
        if not caps.any:
            return
        now = self.clock.now()
        usual = await self.store.spend(tenant_id, now - HISTORY)
        for period in periods(caps, now):
            if period.usd is None and period.tokens is None:
                continue
            spent = await self.store.spend(tenant_id, period.since)
            if problem := over_budget(period, spent, usual, calls):
                raise RoomError(problem)

    async def report(self, tenant_id: str) -> list[tuple[Period, Spend]]:
        """Return each period with its caps and what was spent in it."""
        now = self.clock.now()
        caps = await self.store.caps(tenant_id)
        return [(p, await self.store.spend(tenant_id, p.since)) for p in periods(caps, now)]


def over_budget(period: Period, spent: Spend, usual: Spend, calls: int) -> str | None:
    """Return why `calls` more calls would go over the period's caps, or None."""
    if period.usd is not None:
        each = usual.usd / usual.priced_calls if usual.priced_calls else 0.0
        more = each * calls
        if spent.usd >= period.usd or spent.usd + more > period.usd:
            return (
                f"that would go over {period.name}'s budget: ${spent.usd:.2f} of "
                f"${period.usd:.2f} spent, and its {calls} model calls at about ${each:.4f} "
                f"each come to about ${more:.2f} more. An admin can raise the cap with "
                "`budget set`"
            )
    if period.tokens is not None:
        each_tokens = usual.unpriced_tokens // usual.unpriced_calls if usual.unpriced_calls else 0
        more_tokens = each_tokens * calls
        if spent.unpriced_tokens >= period.tokens or (
            spent.unpriced_tokens + more_tokens > period.tokens
        ):
            return (
                f"that would go over {period.name}'s token budget for unpriced models: "
                f"{spent.unpriced_tokens:,} of {period.tokens:,} tokens used, and its {calls} "
                f"model calls at about {each_tokens:,} tokens each come to about "
                f"{more_tokens:,} more. An admin can raise the cap with `budget set`"
            )
    return None
