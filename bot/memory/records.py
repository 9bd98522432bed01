"""What the memory holds and returns: kinds, hits, documents and statistics."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

MetaValue = str | int | float | bool


class Kind(enum.StrEnum):
    TURN = "turn"  # a persona's turn or a person's message in a room
    POSITION = "position"  # a stance a persona took on a topic
    SUMMARY = "summary"  # a summary of a room's older turns
    DOCUMENT = "document"  # a chunk of an ingested document


ALL_KINDS: frozenset[Kind] = frozenset(Kind)


@dataclass(frozen=True)
class Record:
    """One text to remember, with its id and metadata (the write unit)."""

    id: str
    text: str
    kind: Kind
    meta: Mapping[str, MetaValue] = field(default_factory=dict)

    def metadata(self) -> dict[str, MetaValue]:
        """Return the metadata as stored, with the kind included."""
        return {**self.meta, "kind": self.kind.value}


@dataclass(frozen=True)
class Hit:
    """One retrieved passage.

    `score` is the cosine similarity to the query (what `min_score` thresholds); hits are
    ordered by `fused`, the combination of that cosine with the passage's BM25 score.
    """

    id: str
    text: str
    source: str
    score: float
    kind: Kind
    meta: Mapping[str, MetaValue]
    fused: float = 0.0


@dataclass(frozen=True)
class DocumentInfo:
    """An ingested document."""

    doc_id: str
    name: str
    format: str
    chunks: int
    source: str

    @classmethod
    def of_meta(cls, m: Mapping[str, MetaValue]) -> DocumentInfo:
        """Read a document's details from its first chunk's metadata."""
        return cls(
            str(m["doc_id"]), str(m["name"]), str(m["format"]), int(m["chunks"]), str(m["source"])
        )


@dataclass(frozen=True)
class MemoryStats:
    """How much one tenant's memory holds."""

    tenant: str
    by_kind: Mapping[Kind, int]
    documents: int
    lexical_rows: int

    @property
    def total(self) -> int:
        """Return the number of stored passages of all kinds."""
        return sum(self.by_kind.values())


def tenant_key(tenant: str) -> str:
    """Return the storage key of a tenant: a fixed-length hex digest, safe in any name."""
    if not tenant or not tenant.strip():
        raise ValueError("a tenant id is required")
    return hashlib.sha256(tenant.encode()).hexdigest()[:32]


def digest(*parts: str | bytes) -> str:
    """Return a short stable id for some content."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:16]


def source_of(kind: Kind, meta: Mapping[str, MetaValue]) -> str:
    """Return a human-readable citation for a stored passage."""
    if kind is Kind.DOCUMENT:
        part = f"part {int(meta['chunk']) + 1}/{meta['chunks']}"
        return (
            f"{meta['name']}, p. {meta['page']}, {part}"
            if "page" in meta
            else f"{meta['name']}, {part}"
        )
    if kind is Kind.TURN:
        return f"{meta['speaker']} in {meta['room']} (#{meta['seq']})"
    if kind is Kind.POSITION:
        return f"{meta['persona']}'s position on {meta['topic']}"
    return f"summary of {meta['room']}"


def chunk_record(info: DocumentInfo, index: int, text: str, page: int | None) -> Record:
    """Return the record of one chunk of an ingested document."""
    meta: dict[str, MetaValue] = {
        "doc_id": info.doc_id,
        "name": info.name,
        "format": info.format,
        "source": info.source,
        "chunk": index,
        "chunks": info.chunks,
    }
    if page is not None:
        meta["page"] = page
    return Record(f"{info.doc_id}:{index}", text, Kind.DOCUMENT, meta)


def turn_record(
    room_key: str, speaker: str, seq: int, text: str, *, room_id: int | None = None
) -> Record:
    """Return the record of a turn said in a room (`room_key` is the channel's room key)."""
    meta: dict[str, MetaValue] = {"room": room_key, "speaker": speaker, "seq": seq}
    if room_id is not None:
        meta["room_id"] = room_id  # tells this conversation's turns from earlier ones here
    # The text's digest keeps a later conversation in the same channel (whose sequence numbers
    # start again at 1) from overwriting an earlier one, while a repeated write stays one record.
    return Record(f"turn:{room_key}:{seq}:{digest(text)}", text, Kind.TURN, meta)


def position_record(persona_id: str, topic: str, text: str) -> Record:
    """Return the record of a stance a persona took on a topic."""
    meta: dict[str, MetaValue] = {"persona": persona_id, "topic": topic}
    return Record(f"position:{persona_id}:{digest(topic, text)}", text, Kind.POSITION, meta)


def summary_record(
    room_key: str, text: str, through_seq: int | None = None, *, room_id: int | None = None
) -> Record:
    """Return the record of a summary of a room's older turns."""
    meta: dict[str, MetaValue] = {"room": room_key}
    if through_seq is not None:
        meta["through_seq"] = through_seq
    if room_id is not None:
        meta["room_id"] = room_id
    return Record(f"summary:{room_key}:{digest(text)}", text, Kind.SUMMARY, meta)
