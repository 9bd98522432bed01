"""The persona commands: list, show, create, edit and remove a tenant's personas."""

from __future__ import annotations

from typing import Any

from bot.base.rooms import RoomKey
from bot.commands.parsing import CommandError
from bot.commands.replies import Caller, Handler, Reply
from bot.core.catalog import PersonaCatalog
from personas.cards import Persona


class PersonaCommands:
    """Browse the cast, and manage the tenant's own personas."""

    def __init__(self, catalog: PersonaCatalog) -> None:
        self.catalog = catalog

    def handlers(self) -> dict[str, Handler]:
        """Return the handlers by command name."""
        return {
            "persona list": self._list,
            "persona show": self._show,
            "persona create": self._create,
            "persona edit": self._edit,
            "persona remove": self._remove,
        }

    async def _list(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        personas = await self.catalog.all(key.tenant_id)
        fields = tuple(
            (f"{p.emoji} {p.name} ({p.id})", p.bio + ("" if p.builtin else " — custom"))
            for p in personas
        )
        return Reply(f"{len(personas)} personas", title="Personas", fields=fields)

    async def _show(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        persona = await self.catalog.find(key.tenant_id, args["id"])
        if persona is None:
            raise CommandError(f"no persona '{args['id']}'. See `persona list`")
        return Reply(
            persona.bio, title=f"{persona.emoji} {persona.name}", fields=_card_fields(persona)
        )

    async def _create(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        fields = {
            "name": args.get("id", "").title(),
            "bio": "A custom persona.",
            "prompt": "You are {name}. Talk about {topic}.",
        } | args
        persona = await self.catalog.create(key.tenant_id, fields, caller.user_id)
        return Reply(f"Created {persona.emoji} {persona.name} ({persona.id}).")

    async def _edit(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        changes = {k: v for k, v in args.items() if k != "id"}
        if not changes:
            raise CommandError('say what to change, e.g. `persona edit pirate bio="…"`')
        persona = await self.catalog.edit(key.tenant_id, args["id"], changes, caller.user_id)
        return Reply(f"Updated {persona.name} ({persona.id}).")

    async def _remove(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        persona = await self.catalog.remove(key.tenant_id, args["id"])
        return Reply(f"Removed {persona.name} ({persona.id}).")

    async def choices(self, tenant_id: str, prefix: str) -> list[tuple[str, str]]:
        """Return (label, id) pairs of personas matching a typed prefix, for autocomplete."""
        typed = prefix.rsplit(",", 1)[-1].strip().lower()
        return [
            (p.name, p.id)
            for p in await self.catalog.all(tenant_id)
            if p.id.startswith(typed) or p.name.lower().startswith(typed) or typed in p.id
        ][:25]


def _card_fields(persona: Persona) -> tuple[tuple[str, str], ...]:
    return (
        ("id", persona.id),
        ("Talkativeness", f"{persona.talkativeness:.2f}"),
        (
            "Style",
            f"humour {persona.humour:.1f}, formality {persona.formality:.1f}, "
            f"verbosity {persona.verbosity:.1f}",
        ),
        ("Model", persona.model or "room default"),
        ("Prompt", persona.prompt[:900]),
        ("Kind", "built-in" if persona.builtin else "custom"),
    )
