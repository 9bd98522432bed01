"""The budget commands: show a tenant's spend caps and spend, and let managers set the caps."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from bot.base.rooms import RoomKey
from bot.commands.parsing import CommandError
from bot.commands.replies import Caller, Handler, Reply
from bot.core.budget import Budget, Period
from storage.budgets import Caps, Spend

MAX_USD = 1_000_000.0
MAX_TOKENS = 10**12
_CLEAR = frozenset({"none", "off", "no"})
EXAMPLE = "`budget set daily=2.00 monthly=20 usd`"
# The option people type, and the cap it sets.
_CAPS = (
    ("daily", "daily_usd"),
    ("monthly", "monthly_usd"),
    ("daily_tokens", "daily_tokens"),
    ("monthly_tokens", "monthly_tokens"),
)


class BudgetCommands:
    """`budget` (anyone) and `budget set` (manage permission)."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget

    def handlers(self) -> dict[str, Handler]:
        """Return the handlers by command name."""
        return {"budget show": self._show, "budget set": self._set}

    async def _show(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        rows = await self.budget.report(key.tenant_id)
        fields = tuple(
            (period.name.capitalize(), spend_line(period, spend)) for period, spend in rows
        )
        capped = any(p.usd is not None or p.tokens is not None for p, _ in rows)
        text = "Spend caps and what this server or workspace spent (UTC days and months)."
        if not capped:
            text = f"No spend caps are set. A manager can set them: {EXAMPLE}."
        return Reply(text, title="Budget", fields=fields)

    async def _set(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        changes: dict[str, float | int | None] = {}
        for typed, name in _CAPS:
            if typed in args:
                changes[name] = parse_cap(typed, args[typed])
        if not changes:
            raise CommandError(f"say which caps to set, e.g. {EXAMPLE} (none clears one)")
        caps = replace(await self.budget.store.caps(key.tenant_id), **changes)  # type: ignore[arg-type]
        await self.budget.store.set_caps(key.tenant_id, caps, caller.user_id)
        return Reply(f"Budget set: {caps_line(caps)}.")


def parse_cap(name: str, text: str) -> float | int | None:
    """Read a cap: dollars ($2.00) or a token count (50000, 50_000); none clears it."""
    cleaned = text.strip().lower().removeprefix("$").replace(",", "").replace("_", "")
    if cleaned in _CLEAR:
        return None
    tokens = name.endswith("tokens")
    try:
        value = int(cleaned) if tokens else float(cleaned)
    except ValueError:
        kind = "a whole number of tokens" if tokens else "an amount in dollars, e.g. 2.50"
        raise CommandError(f"{name} must be {kind}, or none (got '{text[:40]}')") from None
    top = MAX_TOKENS if tokens else MAX_USD
    if not math.isfinite(value) or not 0 <= value <= top:
        raise CommandError(f"{name} must be between 0 and {top:,.0f} (got {text[:40]})")
    return value


def spend_line(period: Period, spend: Spend) -> str:
    """Describe a period's spend against its caps."""
    usd = f"${spend.usd:.2f}" + (f" of ${period.usd:.2f}" if period.usd is not None else "")
    calls = spend.priced_calls + spend.unpriced_calls
    line = f"{usd} in {calls:,} model calls"
    if spend.unpriced_calls or period.tokens is not None:
        tokens = f"{spend.unpriced_tokens:,}"
        if period.tokens is not None:
            tokens += f" of {period.tokens:,}"
        line += f"; {tokens} tokens on models without a price"
    return line


def caps_line(caps: Caps) -> str:
    """Describe a tenant's caps in one line."""
    parts = [
        f"daily {_usd(caps.daily_usd)}",
        f"monthly {_usd(caps.monthly_usd)}",
        f"daily tokens {_count(caps.daily_tokens)}",
        f"monthly tokens {_count(caps.monthly_tokens)}",
    ]
    return ", ".join(parts)


def _usd(value: float | None) -> str:
    return "no cap" if value is None else f"${value:,.2f}"


def _count(value: int | None) -> str:
    return "no cap" if value is None else f"{value:,}"
