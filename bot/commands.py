"""Platform-neutral command handlers: validate, act through the orchestrator, reply."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.catalog import PersonaCatalog
from bot.command_specs import COMMANDS, CommandError, help_text, parse_text, validate
from bot.export import to_json, to_markdown
from bot.modes import CastError, assign_debate, debate_length
from bot.orchestrator import Orchestrator, RoomError
from bot.platform import Attachment
from bot.progress import Progress, reporting
from bot.rooms import IllegalTransition, Mode, Room, RoomKey, RoomSettings, Selection
from personas.cards import CardError, Persona
from storage.store import Store

if TYPE_CHECKING:
    from bot.deliberation import DeliberationCommands
    from bot.memory_commands import MemoryCommands

log = logging.getLogger(__name__)

DEFAULT_CAST = {
    Mode.CHAT: ("philosopher", "comedian", "scientist", "skeptic"),
    Mode.DEBATE: ("moderator", "advocate", "critic", "judge"),
}


@dataclass(frozen=True)
class Caller:
    """Who ran a command; the adapter decides `can_manage` from platform permissions."""

    user_id: str
    display_name: str
    can_manage: bool


@dataclass(frozen=True)
class Reply:
    """What a command answers; adapters render it (ephemeral where the platform can)."""

    text: str
    ephemeral: bool = True
    title: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    attachments: tuple[Attachment, ...] = ()
    error: bool = False


Handler = Callable[[RoomKey, Caller, dict[str, Any]], Awaitable[Reply]]


class CommandHandler:
    """Runs commands for every platform."""

    def __init__(
        self,
        *,
        store: Store,
        catalog: PersonaCatalog,
        orchestrator: Orchestrator,
        defaults: RoomSettings,
        deliberation: DeliberationCommands | None = None,
        memory_commands: MemoryCommands | None = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.orchestrator = orchestrator
        self.defaults = defaults
        self.deliberation = deliberation
        self._handlers: dict[str, Handler] = {
            "start": self._start,
            "stop": self._stop,
            "pause": self._pause,
            "resume": self._resume,
            "next": self._next,
            "status": self._status,
            "results": self._results,
            "export": self._export,
            "help": self._help,
            "persona list": self._persona_list,
            "persona show": self._persona_show,
            "persona create": self._persona_create,
            "persona edit": self._persona_edit,
            "persona remove": self._persona_remove,
        }
        if deliberation is not None:
            self._handlers |= deliberation.handlers()
        if memory_commands is not None:
            self._handlers |= memory_commands.handlers()

    parse_text = staticmethod(parse_text)

    async def run_text(
        self, key: RoomKey, caller: Caller, text: str, *, progress: Progress | None = None
    ) -> Reply:
        """Parse a text command (Slack, console) and run it."""
        try:
            name, args = parse_text(text)
        except CommandError as exc:
            return Reply(str(exc), error=True)
        return await self.run(key, caller, name, args, progress=progress)

    async def run(
        self,
        key: RoomKey,
        caller: Caller,
        name: str,
        args: Mapping[str, Any],
        *,
        progress: Progress | None = None,
    ) -> Reply:
        """Run one command (`progress` hears how a long one goes); problems become error replies."""
        spec = COMMANDS.get(name)
        if spec is None or name not in self._handlers:
            return Reply(f"Unknown command '{name}'. Try `help`.", error=True)
        if spec.manage and not caller.can_manage:
            return Reply(
                f"`{name}` changes this channel's room, so it needs permission to "
                "manage the channel. Ask someone who can.",
                error=True,
            )
        try:
            with reporting(progress):
                return await self._handlers[name](key, caller, validate(spec, args))
        except (CommandError, RoomError, IllegalTransition, CardError, CastError) as exc:
            return Reply(_sentence(str(exc)), error=True)

    # -- room control ----------------------------------------------------------------------

    async def _start(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        if await self.store.rooms.current(key) is not None:
            raise RoomError("a room is already running in this channel; `stop` it first")
        mode = Mode(args.get("mode", "chat"))
        if mode not in DEFAULT_CAST:
            if self.deliberation is None:
                raise CommandError(f"{mode.value} mode is not available; use chat or debate")
            return await self.deliberation.start(key, caller, mode, args)
        cast = await self._cast(key.tenant_id, mode, args.get("personas"))
        settings = self._settings(mode, args, cast)
        room = await self.store.rooms.create(
            key,
            mode,
            args["topic"],
            _cast_ids(cast, settings),
            settings,
            created_by=caller.user_id,
        )
        room = await self.orchestrator.launch(room)
        names = ", ".join(p.name for p in (await self.orchestrator.cast(room)).values())
        return Reply(f"Starting a {mode.value} on “{room.topic}” with {names}.", ephemeral=False)

    async def _cast(self, tenant_id: str, mode: Mode, names: list[str] | None) -> list[Persona]:
        wanted = names or list(DEFAULT_CAST[mode])
        found = [await self.catalog.find(tenant_id, name) for name in wanted]
        unknown = [name for name, persona in zip(wanted, found, strict=True) if persona is None]
        if unknown:
            known = ", ".join(p.id for p in await self.catalog.all(tenant_id))
            raise CommandError(f"unknown persona '{unknown[0]}'. Available: {known}")
        cast = list(dict.fromkeys(p for p in found if p is not None))
        if mode is Mode.CHAT and len(cast) < 2:
            raise CommandError("a chat needs at least two personas")
        return cast

    def _settings(self, mode: Mode, args: dict[str, Any], cast: list[Persona]) -> RoomSettings:
        settings = self.defaults.with_changes(
            turns=args.get("turns", self.defaults.turns),
            rounds=args.get("rounds", self.defaults.rounds),
            pace_s=args.get("pace", self.defaults.pace_s),
            selection=Selection(args.get("selection", self.defaults.selection.value)),
            model=args.get("model", self.defaults.model),
        )
        if mode is Mode.DEBATE:
            debate = assign_debate(cast, self.catalog.builtins)
            settings = settings.with_changes(
                extra={"debate": debate.as_extra()}, turns=debate_length(settings.rounds)
            )
        return settings

    async def _stop(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        if self.deliberation and (reply := await self.deliberation.stop(key)):
            return reply
        room = await self.orchestrator.stop(key)
        return Reply(f"Stopped “{room.topic}”. Results are posted.", ephemeral=False)

    async def _pause(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        if self.deliberation and (reply := await self.deliberation.pause(key)):
            return reply
        room = await self.orchestrator.pause(key)
        return Reply(f"Paused “{room.topic}”. Use `resume` to continue.", ephemeral=False)

    async def _resume(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        if self.deliberation and (reply := await self.deliberation.resume(key)):
            return reply
        room = await self.orchestrator.resume(key)
        return Reply(f"Resumed “{room.topic}”.", ephemeral=False)

    async def _next(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        if self.deliberation:
            await self.deliberation.refuse_next(key)
        await self.orchestrator.next(key)
        return Reply("Next turn coming up.")

    async def _status(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        room = await self.store.rooms.latest(key)
        if room is None:
            return Reply("Nothing has run in this channel yet. Start with `start <topic>`.")
        cast = await self.orchestrator.cast(room)
        fields = (
            ("State", room.state.value),
            ("Mode", room.mode.value),
            ("Turns", f"{room.persona_turns} of {room.settings.turns}"),
            ("Cast", ", ".join(f"{p.emoji} {p.name}" for p in cast.values())),
            ("Model", self.orchestrator.model_for(room)),
            ("Room id", str(room.id)),
        )
        return Reply(f"“{room.topic}”", title="Status", fields=fields)

    async def _results(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        if self.deliberation and (reply := await self.deliberation.results(key)):
            return reply
        room = await self._latest(key)
        results = await self.orchestrator.results(room)
        notice = results.notice()
        return Reply(notice.text, title=notice.title, fields=notice.fields)

    async def _export(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        room = await self._latest(key)
        fmt = args.get("format", "md")
        text = await self.export(room, fmt)
        kind = "text/markdown" if fmt == "md" else "application/json"
        attachment = Attachment(f"chimera-room-{room.id}.{fmt}", text.encode(), kind)
        return Reply(f"Transcript of “{room.topic}” ({fmt}).", attachments=(attachment,))

    async def export(self, room: Room, fmt: str) -> str:
        """Render a room's stored transcript as md or json."""
        turns = await self.store.rooms.transcript(room.id)
        results = await self.orchestrator.results(room)
        usage = await self.store.rooms.usage_totals(room.id)
        render = to_markdown if fmt == "md" else to_json
        return render(room, turns, results, usage)

    async def _latest(self, key: RoomKey) -> Room:
        room = await self.store.rooms.latest(key)
        if room is None:
            raise RoomError("nothing has run in this channel yet")
        return room

    async def _help(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        return Reply(help_text(), title="Chimera")

    # -- personas --------------------------------------------------------------------------

    async def _persona_list(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        personas = await self.catalog.all(key.tenant_id)
        fields = tuple(
            (f"{p.emoji} {p.name} ({p.id})", p.bio + ("" if p.builtin else " — custom"))
            for p in personas
        )
        return Reply(f"{len(personas)} personas", title="Personas", fields=fields)

    async def _persona_show(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        persona = await self.catalog.find(key.tenant_id, args["id"])
        if persona is None:
            raise CommandError(f"no persona '{args['id']}'. See `persona list`")
        return Reply(
            persona.bio, title=f"{persona.emoji} {persona.name}", fields=_card_fields(persona)
        )

    async def _persona_create(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        fields = {
            "name": args.get("id", "").title(),
            "bio": "A custom persona.",
            "prompt": "You are {name}. Talk about {topic}.",
        } | args
        persona = await self.catalog.create(key.tenant_id, fields, caller.user_id)
        return Reply(f"Created {persona.emoji} {persona.name} ({persona.id}).")

    async def _persona_edit(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        changes = {k: v for k, v in args.items() if k != "id"}
        if not changes:
            raise CommandError('say what to change, e.g. `persona edit pirate bio="…"`')
        persona = await self.catalog.edit(key.tenant_id, args["id"], changes, caller.user_id)
        return Reply(f"Updated {persona.name} ({persona.id}).")

    async def _persona_remove(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        persona = await self.catalog.remove(key.tenant_id, args["id"])
        return Reply(f"Removed {persona.name} ({persona.id}).")

    async def persona_choices(self, tenant_id: str, prefix: str) -> list[tuple[str, str]]:
        """Return (label, id) pairs of personas matching a typed prefix, for autocomplete."""
        typed = prefix.rsplit(",", 1)[-1].strip().lower()
        return [
            (p.name, p.id)
            for p in await self.catalog.all(tenant_id)
            if p.id.startswith(typed) or p.name.lower().startswith(typed) or typed in p.id
        ][:25]


def _cast_ids(cast: list[Persona], settings: RoomSettings) -> tuple[str, ...]:
    debate = settings.extra.get("debate")
    if not debate:
        return tuple(p.id for p in cast)
    ordered = [debate["moderator"], *debate["pro"], *debate["con"], debate["judge"]]
    return tuple(dict.fromkeys(ordered))


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


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")
