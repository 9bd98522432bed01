"""The personas a tenant can cast: the shipped built-ins plus the tenant's own cards."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from personas.cards import CardError, Persona, by_name, parse_card
from storage.catalog import CatalogStore


class PersonaCatalog:
    """Look up, list, create, edit and remove personas, always for one tenant."""

    def __init__(
        self,
        builtins: Mapping[str, Persona],
        store: CatalogStore,
        *,
        ttl_s: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.builtins = dict(builtins)
        self.store = store
        self.ttl_s = ttl_s
        self._monotonic = monotonic
        # Every turn resolves its cast; cache each tenant's list briefly. Writes through this
        # catalog drop the entry at once; another process's edits show within ttl_s.
        self._cache: dict[str, tuple[float, list[Persona]]] = {}

    async def all(self, tenant_id: str) -> list[Persona]:
        """Return the built-ins followed by the tenant's own personas."""
        cached = self._cache.get(tenant_id)
        if cached and self._monotonic() - cached[0] < self.ttl_s:
            return cached[1]
        personas = await self._load(tenant_id)
        self._cache[tenant_id] = (self._monotonic(), personas)
        return personas

    async def _load(self, tenant_id: str) -> list[Persona]:
        custom = [
            parse_card(card, f"persona {card.get('id')!r}", builtin=False)
            for card in await self.store.personas(tenant_id)
        ]
        custom_ids = {persona.id for persona in custom}
        shipped = [p for p in self.builtins.values() if p.id not in custom_ids]
        return shipped + sorted(custom, key=lambda persona: persona.id)

    async def resolve(self, tenant_id: str, ids: Sequence[str]) -> dict[str, Persona]:
        """Return the personas with these ids, in order (ids no longer defined are skipped)."""
        everyone = {persona.id: persona for persona in await self.all(tenant_id)}
        return {pid: everyone[pid] for pid in ids if pid in everyone}

    async def find(self, tenant_id: str, text: str) -> Persona | None:
        """Find a persona by id or display name."""
        return by_name(await self.all(tenant_id), text)

    async def create(self, tenant_id: str, fields: Mapping[str, Any], by: str) -> Persona:
        """Validate and store a new tenant persona; its id must be free."""
        card = _card_from_fields(fields)
        persona = parse_card(card, "new persona", builtin=False)
        taken = CardError("new persona", [f"field 'id': {persona.id!r} is already taken"])
        if await self.find(tenant_id, persona.id) is not None:
            raise taken
        if not await self.store.save_persona(tenant_id, persona.to_card(), by, replace=False):
            raise taken  # created by someone else at the same moment
        self._cache.pop(tenant_id, None)
        return persona

    async def edit(
        self, tenant_id: str, persona_id: str, fields: Mapping[str, Any], by: str
    ) -> Persona:
        """Change fields of a tenant persona (built-ins are read-only)."""
        current = await self._own(tenant_id, persona_id)
        changes = _card_from_fields(fields)
        card = current.to_card() | changes | {"id": current.id}
        card["style"] = current.to_card()["style"] | changes.get("style", {})
        persona = parse_card(card, f"persona {persona_id!r}", builtin=False)
        await self.store.save_persona(tenant_id, persona.to_card(), by)
        self._cache.pop(tenant_id, None)
        return persona

    async def remove(self, tenant_id: str, persona_id: str) -> Persona:
        """Delete a tenant persona (built-ins cannot be removed)."""
        persona = await self._own(tenant_id, persona_id)
        await self.store.remove_persona(tenant_id, persona.id)
        self._cache.pop(tenant_id, None)
        return persona

    async def _own(self, tenant_id: str, persona_id: str) -> Persona:
        persona = await self.find(tenant_id, persona_id)
        if persona is None:
            raise CardError(f"persona {persona_id!r}", ["no such persona"])
        if persona.builtin:
            raise CardError(f"persona {persona.id!r}", ["built-in personas cannot be changed"])
        return persona


_STYLE = ("humour", "formality", "verbosity")


def _card_from_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Turn flat command arguments (style traits at top level) into a card dict."""
    card = {key: value for key, value in fields.items() if key not in _STYLE and value is not None}
    style = {key: fields[key] for key in _STYLE if fields.get(key) is not None}
    if style:
        card["style"] = style
    return card
