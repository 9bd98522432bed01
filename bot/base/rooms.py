"""Rooms: what a conversation bound to one channel is, and how its state may change."""

from __future__ import annotations

import enum
from dataclasses import KW_ONLY, dataclass, field, replace
from typing import Any


class RoomState(enum.StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    VOTING = "voting"
    FINISHED = "finished"


class Mode(enum.StrEnum):
    CHAT = "chat"
    DEBATE = "debate"
    CONSORTIUM = "consortium"
    COMPARE = "compare"


class Selection(enum.StrEnum):
    ROUND_ROBIN = "round_robin"
    RANDOM = "random"
    NATURAL = "natural"
    MODERATOR = "moderator"


_ALLOWED: dict[RoomState, frozenset[RoomState]] = {
    RoomState.IDLE: frozenset({RoomState.RUNNING, RoomState.FINISHED}),
    RoomState.RUNNING: frozenset({RoomState.PAUSED, RoomState.VOTING, RoomState.FINISHED}),
    RoomState.PAUSED: frozenset({RoomState.RUNNING, RoomState.FINISHED}),
    RoomState.VOTING: frozenset({RoomState.FINISHED}),
    RoomState.FINISHED: frozenset(),
}

_VERBS = {
    RoomState.RUNNING: "run",
    RoomState.PAUSED: "pause",
    RoomState.VOTING: "open voting in",
    RoomState.FINISHED: "finish",
    RoomState.IDLE: "reset",
}


class IllegalTransition(Exception):
    """A state change the room's lifecycle does not allow."""

    def __init__(self, current: RoomState, target: RoomState) -> None:
        super().__init__(f"cannot {_VERBS[target]} a room that is {current.value}")
        self.current = current
        self.target = target


def check_transition(current: RoomState, target: RoomState) -> RoomState:
    """Return `target` if the lifecycle allows moving there from `current`, else raise."""
    if target not in _ALLOWED[current]:
        raise IllegalTransition(current, target)
    return target


@dataclass(frozen=True)
class RoomKey:
    """Where a room lives: `platform:tenant:channel[:thread]`."""

    platform: str
    tenant: str
    channel: str
    thread: str | None = None

    def __str__(self) -> str:
        base = f"{self.platform}:{self.tenant}:{self.channel}"
        return f"{base}:{self.thread}" if self.thread else base

    @property
    def tenant_id(self) -> str:
        """Return the tenant id (`platform:workspace_or_guild`)."""
        return f"{self.platform}:{self.tenant}"

    @classmethod
    def parse(cls, text: str) -> RoomKey:
        """Parse the string form back into a key."""
        parts = text.split(":")
        if len(parts) not in (3, 4) or not all(parts):
            raise ValueError(f"not a room key: {text!r}")
        return cls(*parts)


@dataclass(frozen=True)
class RoomSettings:
    """How a room runs: length, pacing, speaker selection and model overrides."""

    turns: int = 8
    pace_s: float = 4.0
    jitter_s: float = 1.5
    selection: Selection = Selection.NATURAL
    rounds: int = 2
    vote_window_s: float = 60.0
    model: str | None = None
    seed: int = 0  # 0: seeded from the room's id (Room.seed)
    extra: dict[str, Any] = field(default_factory=dict)

    def with_changes(self, **changes: Any) -> RoomSettings:
        """Return a copy with some fields replaced."""
        return replace(self, **changes)


class BranchKind(enum.StrEnum):
    FORK = "fork"  # goes on from another room's turn, with that room's turns up to it
    REPLAY = "replay"  # runs another room's topic, mode and settings again


@dataclass(frozen=True)
class Lineage:
    """Where a room came from: a fork of another room at one of its turns, or a replay of it."""

    kind: BranchKind
    parent_id: int
    at: int | None = None  # a fork's last inherited turn (the parent's seq)


@dataclass(frozen=True)
class Room:
    """A conversation in one channel: its cast, topic, mode and progress."""

    id: int
    key: RoomKey
    mode: Mode
    topic: str
    cast: tuple[str, ...]
    state: RoomState
    settings: RoomSettings
    next_seq: int = 1
    persona_turns: int = 0
    summary: str = ""
    summary_upto: int = 0
    failed_turns: int = 0  # model errors in a row
    skipped_turns: int = 0  # planned turns given up after a model error
    skipped_speaker: str | None = None  # who was skipped last
    failure_pauses: int = 0  # pauses for failures since the last good turn
    lineage: Lineage | None = None

    @property
    def tenant_id(self) -> str:
        """Return the tenant that owns the room."""
        return self.key.tenant_id

    @property
    def seed(self) -> int:
        """Return what the room's choices are seeded from: its settings' seed, else its id."""
        return self.settings.seed or self.id

    @property
    def own_from(self) -> int:
        """Return the sequence number of the room's first own turn (after inherited ones)."""
        return (self.lineage.at or 0) + 1 if self.lineage else 1

    @property
    def is_live(self) -> bool:
        """Tell whether the room still accepts turns or votes."""
        return self.state is not RoomState.FINISHED


class SpeakerKind(enum.StrEnum):
    PERSONA = "persona"
    HUMAN = "human"
    SYSTEM = "system"


@dataclass(frozen=True)
class Turn:
    """One entry in a room's transcript."""

    seq: int
    kind: SpeakerKind
    speaker_id: str
    speaker_name: str
    content: str
    role: str = ""
    _: KW_ONLY
    inherited: bool = False  # copied from the room's parent when it was forked
    sources: tuple[str, ...] = ()  # the memory sources it cites, as "[n] source"

    @property
    def by_persona(self) -> bool:
        """Tell whether a persona (not a person or the system) said this."""
        return self.kind is SpeakerKind.PERSONA


@dataclass(frozen=True)
class Recent:
    """A room's latest turns since its summary (its prompt window) and how long the rest is."""

    turns: tuple[Turn, ...] = ()
    older_chars: int = 0  # the turns since the summary that fell out of the window
