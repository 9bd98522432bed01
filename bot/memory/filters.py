"""Which passages a search may return, as a Chroma `where` and as a test on metadata."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.memory.records import ALL_KINDS, Kind

_ROOM_KINDS = (Kind.TURN.value, Kind.SUMMARY.value)


@dataclass(frozen=True)
class Scope:
    """A search filter within one tenant.

    `persona_id` limits persona positions to that persona's own; `room_id` limits turns
    and summaries to that room. Neither affects the other kinds.
    """

    kinds: frozenset[Kind] = ALL_KINDS
    persona_id: str | None = None
    room_id: str | None = None

    @classmethod
    def of(
        cls, kinds: Iterable[Kind | str] | None, persona_id: str | None, room_id: str | None
    ) -> Scope:
        """Build a scope from search arguments."""
        chosen = ALL_KINDS if kinds is None else frozenset(Kind(k) for k in kinds)
        return cls(chosen, persona_id, room_id)

    @property
    def is_everything(self) -> bool:
        """Tell whether the scope lets every passage of the tenant through."""
        return self.kinds == ALL_KINDS and self.persona_id is None and self.room_id is None

    def accepts(self, meta: Mapping[str, Any]) -> bool:
        """Tell whether a stored passage's metadata falls within the scope."""
        kind = meta.get("kind")
        if kind not in self.kinds:
            return False
        if self.persona_id is not None and kind == Kind.POSITION:
            return meta.get("persona") == self.persona_id
        if self.room_id is not None and kind in _ROOM_KINDS:
            return meta.get("room") == self.room_id
        return True

    def where(self) -> dict[str, Any] | None:
        """Return the Chroma metadata filter, or None when everything matches."""
        parts: list[dict[str, Any]] = []
        if self.kinds != ALL_KINDS:
            parts.append({"kind": {"$in": sorted(k.value for k in self.kinds)}})
        if self.persona_id is not None:
            parts.append({"$or": [{"kind": {"$ne": "position"}}, {"persona": self.persona_id}]})
        if self.room_id is not None:
            parts.append({"$or": [{"kind": {"$nin": list(_ROOM_KINDS)}}, {"room": self.room_id}]})
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else {"$and": parts}
