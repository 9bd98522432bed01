"""Database tables (SQLAlchemy 2 declarative); the same schema on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: DateTime(timezone=True),
    }


class Tenant(Base):
    __tablename__ = "tenants"
    id: Mapped[str] = mapped_column(String(120), primary_key=True)  # "discord:<guild>"
    platform: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoomRow(Base):
    __tablename__ = "rooms"
    __table_args__ = (  # one live room per channel, even when two starts arrive at once
        Index(
            "uq_rooms_live_key",
            "key",
            unique=True,
            sqlite_where=text("state != 'finished'"),
            postgresql_where=text("state != 'finished'"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), index=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    mode: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str] = mapped_column(Text)
    cast: Mapped[list[Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    next_seq: Mapped[int] = mapped_column(Integer, default=1)
    persona_turns: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_upto: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The room's one pending step (None when nothing is scheduled): the scheduler's timer
    # is rebuilt from these columns at start.
    step_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    step_action: Mapped[str | None] = mapped_column(String(20), nullable=True)
    step_due: Mapped[datetime | None] = mapped_column(nullable=True)
    # Model errors: failed turns in a row, planned turns skipped, who was skipped last, and
    # how often the room paused itself for failures since its last good turn.
    failed_turns: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    skipped_turns: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    skipped_speaker: Mapped[str | None] = mapped_column(String(120), nullable=True)
    failure_pauses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # False while the summary waits to be embedded into memory (None: nothing to embed).
    summary_remembered: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # Lineage: the room this one was forked from (at its turn `fork_at`) or replays.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("rooms.id", ondelete="SET NULL"), nullable=True, index=True
    )
    branch: Mapped[str | None] = mapped_column(String(10), nullable=True)  # fork | replay
    fork_at: Mapped[int | None] = mapped_column(Integer, nullable=True)


class TurnRow(Base):
    __tablename__ = "turns"
    __table_args__ = (
        UniqueConstraint("room_id", "seq", name="uq_turns_room_seq"),
        Index(
            "ix_turns_to_remember",
            "room_id",
            sqlite_where=text("remembered = 0"),
            postgresql_where=text("remembered = false"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # persona | human | system
    speaker_id: Mapped[str] = mapped_column(String(120))
    speaker_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(40), default="")  # e.g. for, against, judge
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # False while the turn waits to be embedded into memory (None: not for memory).
    remembered: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    inherited: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # copied by a fork
    # The memory sources the turn cites, as "[n] source" (None: it cites none).
    sources: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)


class UsageRow(Base):
    __tablename__ = "turn_usage"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    turn_id: Mapped[int | None] = mapped_column(ForeignKey("turns.id", ondelete="CASCADE"))
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(40), default="turn")
    model: Mapped[str] = mapped_column(String(200))
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int] = mapped_column(Integer)
    cost_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    latency_ms: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BudgetRow(Base):
    __tablename__ = "budgets"
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    daily_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    monthly_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    daily_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    monthly_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CustomPersonaRow(Base):
    __tablename__ = "custom_personas"
    __table_args__ = (UniqueConstraint("tenant_id", "persona_id", name="uq_persona_tenant_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    persona_id: Mapped[str] = mapped_column(String(40))
    card: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PollRow(Base):
    __tablename__ = "polls"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # turn | outcome | compare
    subject: Mapped[str] = mapped_column(String(120), default="")  # persona id, turn seq …
    options: Mapped[dict[str, Any]] = mapped_column(JSON)  # emoji -> label
    state: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VoteRow(Base):
    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("poll_id", "user_id", name="uq_vote_poll_user"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(120))
    choice: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PlatformMessageRow(Base):
    __tablename__ = "platform_messages"
    __table_args__ = (
        UniqueConstraint("platform", "message_id", name="uq_platform_message"),
        Index("ix_platform_messages_room", "room_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[str] = mapped_column(String(120))
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    turn_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    persona_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    poll_id: Mapped[int | None] = mapped_column(ForeignKey("polls.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DecisionRow(Base):
    __tablename__ = "decision_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    arguments_summary: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(String(40))
    reasons: Mapped[str] = mapped_column(Text)
    audience: Mapped[dict[str, Any]] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SavedConfigRow(Base):
    __tablename__ = "saved_configs"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "name", name="uq_config_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    kind: Mapped[str] = mapped_column(String(20))  # consortium
    name: Mapped[str] = mapped_column(String(80))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ConsortiumRunRow(Base):
    __tablename__ = "consortium_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), nullable=True)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RatingRow(Base):
    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "subject", name="uq_rating"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    kind: Mapped[str] = mapped_column(String(20))  # model | persona
    subject: Mapped[str] = mapped_column(String(200))
    rating: Mapped[float] = mapped_column(Float, default=1000.0)
    wins: Mapped[int] = mapped_column(Integer, default=0)
    losses: Mapped[int] = mapped_column(Integer, default=0)
    draws: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class WebhookRow(Base):
    __tablename__ = "channel_webhooks"
    __table_args__ = (UniqueConstraint("platform", "channel_id", name="uq_webhook_channel"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    channel_id: Mapped[str] = mapped_column(String(120))
    webhook_id: Mapped[str] = mapped_column(String(120))
    token: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoomThreadRow(Base):
    """The message a room's posts thread under on a platform (Slack's header)."""

    __tablename__ = "room_threads"
    __table_args__ = (UniqueConstraint("platform", "channel_id", "ts", name="uq_room_thread"),)
    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    platform: Mapped[str] = mapped_column(String(20))
    channel_id: Mapped[str] = mapped_column(String(120))
    ts: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessedEventRow(Base):
    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("platform", "event_id", name="uq_processed_event"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ScheduleRow(Base):
    """A recurring room: what to start in which channel, and when."""

    __tablename__ = "schedules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    room_key: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(Text)  # the topic, or "@name" of a topic list
    every: Mapped[str] = mapped_column(String(120))  # a crontab, or daily@HH:MM
    tz: Mapped[str] = mapped_column(String(64), default="UTC")
    mode: Mapped[str] = mapped_column(String(20), default="chat")
    personas: Mapped[list[Any]] = mapped_column(JSON, default=list)
    turns: Mapped[int | None] = mapped_column(Integer, nullable=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last occurrence dealt with (run, skipped, or passed while paused): when it was.
    last_run_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_outcome: Mapped[str] = mapped_column(Text, default="")


class TopicRow(Base):
    """One topic of a tenant's named topic list; `used` until every topic of the list is."""

    __tablename__ = "topics"
    __table_args__ = (Index("ix_topics_list", "tenant_id", "list_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    list_name: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    used: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PassageTermsRow(Base):
    """The keyword terms of one memory passage: the shared half of hybrid search.

    Every process keeps an in-memory BM25 index built from these rows and catches up on the
    rows whose `version` is newer than what it has seen. A forgotten passage stays as a
    tombstone (`deleted`, no terms) so that every process learns of the delete.
    """

    __tablename__ = "passage_terms"
    __table_args__ = (
        UniqueConstraint("tenant", "passage", name="uq_passage_terms"),
        Index("ix_passage_terms_version", "tenant", "version"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64))  # the tenant's memory key (a digest)
    passage: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(BigInteger)
    terms: Mapped[str] = mapped_column(Text)  # analysed words, space-separated, in order
    length: Mapped[int] = mapped_column(Integer)  # words in the passage, stopwords included
    kind: Mapped[str] = mapped_column(String(16))
    persona: Mapped[str] = mapped_column(String(120), default="")
    room: Mapped[str] = mapped_column(String(255), default="")
    doc: Mapped[str] = mapped_column(String(120), default="")
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
