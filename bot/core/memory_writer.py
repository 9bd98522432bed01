"""The memory writer: what rooms say is embedded and stored in batches, off the turns' path.

A turn is posted without waiting for its own embedding. Rooms hand their turns (and summaries)
to `submit`, which never blocks: the owned background task takes them from a bounded queue,
embeds a batch in one model call (across rooms and tenants), writes each tenant's records and
marks the turns as remembered in the database. Nothing is lost: a turn is stored marked "to
remember" in the same transaction that stores it, so turns that did not fit in the queue, or
were still queued when the process died, are read back from the database and embedded later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.base.rooms import Mode, Room, SpeakerKind, Turn
from bot.base.tasks import TaskOwner
from bot.memory.interface import Memory
from bot.memory.records import Record, position_record, summary_record, turn_record
from storage.memory_marks import MemoryMarks

log = logging.getLogger(__name__)
RECENT_VECTORS = 2  # per room: the turns a recall query is made of
CACHED_ROOMS = 4096


@dataclass(frozen=True)
class Remembrance:
    """One text to embed, the records it becomes, and what to mark once it is stored."""

    tenant: str
    room_id: int
    text: str
    records: tuple[Record, ...]
    seq: int | None = None  # a turn's sequence number (None: the room's summary)

    @property
    def key(self) -> tuple[int, int | None]:
        """Return what identifies it in the queue: the room and the turn (or summary)."""
        return self.room_id, self.seq


def of_turn(room: Room, turn: Turn) -> Remembrance | None:
    """Return what to remember of a turn (None: nothing, e.g. a system line)."""
    if turn.kind is SpeakerKind.SYSTEM or not turn.content.strip():
        return None
    key = str(room.key)
    records = [turn_record(key, turn.speaker_name, turn.seq, turn.content, room_id=room.id)]
    if turn.by_persona and room.mode is Mode.DEBATE:
        records.append(position_record(turn.speaker_id, room.topic, turn.content))
    return Remembrance(room.tenant_id, room.id, turn.content, tuple(records), turn.seq)


def of_summary(room: Room) -> Remembrance | None:
    """Return what to remember of a room's current summary."""
    if not room.summary.strip():
        return None
    record = summary_record(str(room.key), room.summary, room.summary_upto, room_id=room.id)
    return Remembrance(room.tenant_id, room.id, room.summary, (record,))


class MemoryWriter:
    """Owns the background task that embeds and stores remembrances in batches."""

    def __init__(
        self,
        memory: Memory,
        marks: MemoryMarks,
        tasks: TaskOwner,
        *,
        batch: int = 8,  # Chroma holds the GIL while it upserts: 8 at a time holds it ~10 ms
        queue_size: int = 4096,
        warn_at: int = 1000,
    ) -> None:
        self.memory = memory
        self._marks = marks
        self._tasks = tasks
        self._batch = batch
        self._queue: asyncio.Queue[Remembrance] = asyncio.Queue(queue_size)
        self._queued: set[tuple[int, int | None]] = set()
        self._overflow = 0  # submitted while the queue was full: waiting in the database
        self._warn_at = warn_at
        self._warned = False
        self._vectors: OrderedDict[int, dict[int, np.ndarray]] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def backlog(self) -> int:
        """Return how many texts wait to be embedded (queued, or left in the database)."""
        return self._queue.qsize() + self._overflow

    @property
    def running(self) -> bool:
        """Tell whether the background task is alive."""
        return self._task is not None and not self._task.done()

    def submit(self, item: Remembrance | None) -> None:
        """Queue a text for memory without waiting; a full queue leaves it to the database."""
        if item is None or item.key in self._queued:
            return
        self._idle.clear()
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            self._overflow += 1
        else:
            self._queued.add(item.key)
        self._warn_if_behind()

    def vectors(self, room_id: int, seqs: Sequence[int]) -> list[np.ndarray]:
        """Return the vectors already computed for these turns of a room (recent ones only)."""
        known = self._vectors.get(room_id, {})
        return [known[seq] for seq in seqs if seq in known]

    async def start(self) -> None:
        """Start the writer, first queueing what the database says is still unembedded."""
        if self._task is None:
            self._task = self._tasks.spawn("memory-writer", self._run())
            await self._catch_up()

    async def drained(self, within_s: float) -> bool:
        """Wait (at most `within_s`) until nothing is queued; tell whether it got there."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), within_s)
        return self._idle.is_set()

    async def close(self, drain_s: float = 30.0) -> None:
        """Embed what is queued (a while), then stop; the rest waits in the database."""
        if self._task is None:
            return
        if not await self.drained(drain_s):
            log.warning("memory writer stopped with %d text(s) still to embed", self.backlog)
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    # -- the background task -----------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write(batch)
            except Exception:
                log.exception("storing %d text(s) in memory failed; they are kept", len(batch))
                await asyncio.sleep(1.0)  # they stay marked in the database for the next pass
            finally:
                self._queued.difference_update(item.key for item in batch)
            if self._overflow and self._queue.qsize() < self._queue.maxsize // 2:
                await self._catch_up()
            if self._queue.empty() and not self._overflow:
                self._idle.set()

    async def _write(self, batch: list[Remembrance]) -> None:
        vectors = await self.memory.embed([item.text for item in batch], background=True)
        by_tenant: dict[str, list[tuple[Record, np.ndarray]]] = defaultdict(list)
        for item, vector in zip(batch, vectors, strict=True):
            by_tenant[item.tenant] += [(record, vector) for record in item.records]
            self._cache(item, vector)
        for tenant, pairs in by_tenant.items():
            records = [record for record, _ in pairs]
            await self.memory.store_embedded(tenant, records, np.stack([v for _, v in pairs]))
        turns = [(item.room_id, item.seq) for item in batch if item.seq is not None]
        summaries = [item.room_id for item in batch if item.seq is None]
        await self._marks.mark_remembered(turns, summaries)

    async def _catch_up(self) -> None:
        """Queue the turns and summaries the database still marks as waiting for memory."""
        room_slots = self._queue.maxsize - self._queue.qsize()
        waiting = await self._marks.to_remember(limit=room_slots)
        summaries = await self._marks.summaries_to_remember()
        self._overflow = 0
        for room, turn in waiting:
            self.submit(of_turn(room, turn))
        for room in summaries:
            self.submit(of_summary(room))
        if len(waiting) >= room_slots:
            self._overflow += 1  # more may be waiting: look again once the queue has room

    def _cache(self, item: Remembrance, vector: np.ndarray) -> None:
        if item.seq is None:
            return
        known = self._vectors.setdefault(item.room_id, {})
        self._vectors.move_to_end(item.room_id)
        known[item.seq] = vector
        for old in sorted(known)[:-RECENT_VECTORS]:
            del known[old]
        while len(self._vectors) > CACHED_ROOMS:
            self._vectors.popitem(last=False)

    def _warn_if_behind(self) -> None:
        if self.backlog >= self._warn_at and not self._warned:
            log.warning(
                "memory is %d text(s) behind the rooms; turns go on meanwhile", self.backlog
            )
            self._warned = True
        elif self.backlog < self._warn_at // 2:
            self._warned = False
