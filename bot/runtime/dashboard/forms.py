"""Reading the dashboard's query strings: search and filters, page numbers, spans of time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from bot.base.rooms import Mode
from storage.browse import RoomFilter

FIELDS = ("q", "mode", "persona", "model", "from", "to", "min_cost", "max_cost")
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Search:
    """A rooms search as asked (to refill the form) and as understood (the filter)."""

    wanted: RoomFilter
    asked: dict[str, str]
    problems: list[str] = field(default_factory=list)

    def page_prefix(self) -> str:
        """Return the link to this search's pages, up to the page number."""
        query = urlencode({name: value for name, value in self.asked.items() if value})
        return f"?{query}&page=" if query else "?page="


def page_number(query: Mapping[str, str]) -> int:
    """Return the page asked for (1 when missing or unreadable)."""
    try:
        return min(max(int(query.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        return 1


def room_search(tenant_id: str, query: Mapping[str, str]) -> Search:
    """Read the rooms search form; unreadable values are left out and reported."""
    asked = {name: query.get(name, "").strip()[:200] for name in FIELDS}
    problems: list[str] = []
    mode = asked["mode"] if asked["mode"] in {m.value for m in Mode} else None
    if asked["mode"] and mode is None:
        problems.append(f"unknown mode '{asked['mode']}'")
    until = _day(asked["to"], "to", problems)
    wanted = RoomFilter(
        tenant_id=tenant_id,
        words=asked["q"],
        mode=mode,
        persona=asked["persona"] or None,
        model=asked["model"] or None,
        since=_day(asked["from"], "from", problems),
        until=until + timedelta(days=1) if until else None,  # "to" includes its day
        min_cost=_number(asked["min_cost"], "min cost", problems),
        max_cost=_number(asked["max_cost"], "max cost", problems),
    )
    return Search(wanted, asked, problems)


def _day(text: str, name: str, problems: list[str]) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        problems.append(f"{name} must be a date like 2026-01-31")
        return None


def _number(text: str, name: str, problems: list[str]) -> float | None:
    if not text:
        return None
    try:
        return max(float(text.removeprefix("$")), 0.0)
    except ValueError:
        problems.append(f"{name} must be a number of dollars")
        return None
