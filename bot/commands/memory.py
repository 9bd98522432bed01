"""The memory commands: ingest documents, and list, search, count and forget what memory holds.

`ingest` and `memory forget` need the manage permission (their specs say so); `memory list`,
`memory search` and `memory stats` are open to everyone in the channel. Every command works
on the caller's tenant only (the Discord server, Slack workspace or console user).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.base.clock import Clock
from bot.base.rooms import RoomKey
from bot.base.text import clip, plural
from bot.commands.parsing import CommandError
from bot.commands.progress import Status, Throttle, report
from bot.commands.replies import Caller, Handler, Reply
from bot.memory.sources import (
    MAX_BYTES,
    Document,
    SourceError,
    fetch_url,
    is_url,
    name_of,
    read_path,
)

if TYPE_CHECKING:
    from bot.memory.interface import Memory
    from bot.memory.records import DocumentInfo, Hit

MEMORY_OFF = "memory is turned off (CHIMERA_MEMORY_ENABLED=false)"
CONSOLE = "console"
SEARCH_MIN_SCORE = 0.2  # below this cosine a hit is rarely on topic (see bot/memory/store.py)
SNIPPET_CHARS = 300
_OWNERS = {"discord": "this server's", "slack": "this workspace's"}
_KINDS = (("turn", "Turns"), ("position", "Persona positions"), ("summary", "Summaries"))


class Backlog(Protocol):
    """Memory's writer, as far as the commands see it."""

    @property
    def backlog(self) -> int:
        """Return how many texts wait to be embedded."""
        ...


@dataclass(frozen=True)
class _Plan:
    """What a `memory forget` would delete, and the deletion itself."""

    description: str
    command: str
    subject: str
    run: Callable[[], Awaitable[int]]


class MemoryCommands:
    """The ingest and memory commands, merged into the core's command set."""

    def __init__(
        self,
        memory: Memory | None,
        clock: Clock,
        *,
        max_bytes: int = MAX_BYTES,
        private_urls: bool = False,
        writer: Backlog | None = None,
    ) -> None:
        self.memory = memory
        self.clock = clock
        self.writer = writer  # how far memory's writer is behind the rooms
        self.max_bytes = max_bytes
        self.private_urls = private_urls  # may `ingest <url>` reach private addresses?

    def handlers(self) -> dict[str, Handler]:
        """Return the handlers by command name."""
        return {
            "ingest": self._ingest,
            "memory list": self._list,
            "memory search": self._search,
            "memory stats": self._stats,
            "memory forget": self._forget,
        }

    def _need(self) -> Memory:
        if self.memory is None:
            raise CommandError(MEMORY_OFF)
        return self.memory

    # -- ingest ------------------------------------------------------------------------------

    async def _ingest(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        memory = self._need()
        doc = await self._document(key, args)
        try:
            info = await memory.ingest(
                key.tenant_id,
                doc.name,
                doc.data,
                args.get("format") or doc.format,
                source=doc.source,
                progress=self._progress(doc.name),
            )
        except ValueError as exc:  # DocumentError: unreadable, or no text in it
            raise CommandError(f"could not ingest {doc.name}: {exc}") from None
        return Reply(_ingested(key, info), ephemeral=False)

    async def _document(self, key: RoomKey, args: dict[str, Any]) -> Document:
        """Return the upload (its source, if any, is where it came from) or fetch the source."""
        source, name = args.get("source", "").strip(), args.get("name", "")
        if "data" in args:
            original = name_of(source) if source else name or "document"
            doc = Document(original, args["data"], source or original)
        else:
            doc = await self._fetch(key, source)
        return _renamed(doc, name) if name and name != doc.name else doc

    async def _fetch(self, key: RoomKey, source: str) -> Document:
        if not source:
            raise CommandError("`ingest` needs a document: attach a file or give its http(s) URL")
        if not is_url(source) and key.platform != CONSOLE:
            raise CommandError(
                f"'{source}' is not an http(s) URL; attach the file instead "
                "(file paths work only with `chimera ingest` in the terminal)"
            )
        try:
            if is_url(source):
                await report(Status(f"Downloading {source}…"))
                return await fetch_url(
                    source, max_bytes=self.max_bytes, public_only=not self.private_urls
                )
            return await read_path(source, max_bytes=self.max_bytes)
        except SourceError as exc:
            raise CommandError(str(exc)) from None

    def _progress(self, name: str) -> Callable[[int, int], Awaitable[None]]:
        throttle = Throttle(self.clock)

        async def progress(done: int, total: int) -> None:
            if throttle.due(done, total):
                await report(Status(f"Ingesting {name}: {done}/{total} chunks", done, total))

        return progress

    # -- reading -----------------------------------------------------------------------------

    async def _list(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        documents = await self._need().documents(key.tenant_id)
        if not documents:
            return Reply("No documents in memory yet. Add one with `ingest`.")
        fields = tuple((d.name, _document_line(d)) for d in documents)
        return Reply(plural(len(documents), "document"), title="Documents in memory", fields=fields)

    async def _search(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        query = args["query"]
        hits = await self._need().search(
            key.tenant_id, query, k=args.get("limit", 5), min_score=SEARCH_MIN_SCORE
        )
        if not hits:
            return Reply(f"Nothing in memory matches “{query}”.")
        fields = tuple(_hit_field(n, hit) for n, hit in enumerate(hits, start=1))
        return Reply(f"Best passages for “{query}”", title="Memory search", fields=fields)

    async def _stats(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        stats = await self._need().stats(key.tenant_id)
        counts = {str(kind): count for kind, count in stats.by_kind.items()}
        fields = (
            ("Documents", f"{stats.documents} ({_passages(counts.get('document', 0))})"),
            *((label, str(counts.get(kind, 0))) for kind, label in _KINDS),
        )
        if self.writer is not None:
            fields += (("Waiting to be remembered", str(self.writer.backlog)),)
        text = f"{_owner(key).capitalize()} memory holds {_passages(stats.total)}."
        return Reply(text, title="Memory", fields=fields)

    # -- forgetting --------------------------------------------------------------------------

    async def _forget(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        memory = self._need()
        what = args.get("what") or ("document" if "document" in args else "")
        if what == "document":
            plan = await self._forget_document(memory, key, args.get("document", ""))
        elif what == "room":
            plan = self._forget_room(memory, key)
        elif what == "all":
            plan = await self._forget_all(memory, key)
        else:
            raise CommandError(
                "say what to forget: `memory forget document=<id>`, `memory forget room` "
                "or `memory forget all`"
            )
        return await _confirmed(plan, args.get("confirm") == "yes")

    async def _forget_document(self, memory: Memory, key: RoomKey, wanted: str) -> _Plan:
        if not wanted:
            raise CommandError("say which document: `memory forget document=<id>` (`memory list`)")
        documents = await memory.documents(key.tenant_id)
        doc = _find_document(documents, wanted)
        return _Plan(
            f"This deletes the document “{doc.name}” (id {doc.doc_id}): "
            f"its {_passages(doc.chunks)}.",
            f"memory forget document={doc.doc_id}",
            f"“{doc.name}”",
            lambda: memory.forget_document(key.tenant_id, doc.doc_id),
        )

    def _forget_room(self, memory: Memory, key: RoomKey) -> _Plan:
        room_id = str(key)  # MemoryRecall remembers a room's turns under str(room.key)
        return _Plan(
            "This deletes every turn and summary remembered from the conversations in this "
            f"channel (room {room_id}). Documents and persona positions stay.",
            "memory forget room",
            "this channel's conversations",
            lambda: memory.forget_room(key.tenant_id, room_id),
        )

    async def _forget_all(self, memory: Memory, key: RoomKey) -> _Plan:
        stats = await memory.stats(key.tenant_id)
        counts = {str(kind): count for kind, count in stats.by_kind.items()}
        parts = [f"{plural(stats.documents, 'document')} ({_passages(counts.get('document', 0))})"]
        parts += [f"{counts.get(kind, 0)} {label.lower()}" for kind, label in _KINDS]
        return _Plan(
            f"This deletes everything {_owner(key)} memory holds: {_passages(stats.total)} — "
            + ", ".join(parts)
            + ".",
            "memory forget all",
            f"everything in {_owner(key)} memory",
            lambda: memory.forget_tenant(key.tenant_id),
        )


async def _confirmed(plan: _Plan, confirm: bool) -> Reply:
    if not confirm:
        return Reply(
            f"{plan.description} Nothing has been deleted yet. "
            f"To go ahead, run `{plan.command} confirm=yes`."
        )
    removed = await plan.run()
    return Reply(f"Forgot {plan.subject}: {_passages(removed)} deleted.", ephemeral=False)


def _renamed(doc: Document, name: str) -> Document:
    from bot.memory.documents import guess_format  # memory is on, so this is loaded already

    # The format follows the original name ("q3.pdf"), not the one to cite it by ("Q3").
    return dataclasses.replace(
        doc, name=name, format=doc.format or guess_format(doc.name, doc.data)
    )


def _find_document(documents: list[DocumentInfo], wanted: str) -> DocumentInfo:
    by_id = [d for d in documents if d.doc_id == wanted]
    by_name = [d for d in documents if d.name == wanted]
    if by_id or len(by_name) == 1:
        return (by_id or by_name)[0]
    if by_name:
        ids = ", ".join(d.doc_id for d in by_name)
        raise CommandError(f"several documents are called {wanted}; pick an id: {ids}")
    raise CommandError(f"no document '{wanted}' in memory; see `memory list` for the ids")


def _ingested(key: RoomKey, info: DocumentInfo) -> str:
    return (
        f"Added {info.name} to {_owner(key)} memory: {_passages(info.chunks)} "
        f"({info.format}), id {info.doc_id}. Remove it with `memory forget document={info.doc_id}`."
    )


def _document_line(doc: DocumentInfo) -> str:
    source = "" if doc.source == doc.name else f" · from {doc.source}"
    return f"id {doc.doc_id} · {doc.format} · {_passages(doc.chunks)}{source}"


def _hit_field(n: int, hit: Hit) -> tuple[str, str]:
    return f"[{n}] {hit.source} · score {hit.score:.2f}", clip(hit.text, SNIPPET_CHARS, flat=True)


def _passages(n: int) -> str:
    return plural(n, "passage")


def _owner(key: RoomKey) -> str:
    return _OWNERS.get(key.platform, "your")
