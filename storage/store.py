"""All repositories behind one object built once in the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from storage.browse import BrowseStore
from storage.budgets import BudgetStore
from storage.catalog import CatalogStore
from storage.db import Database
from storage.lineage import LineageStore
from storage.memory_marks import MemoryMarks
from storage.platform_state import EventStore, ThreadStore, WebhookStore
from storage.polls import PollStore
from storage.records import RecordStore
from storage.rooms import RoomStore
from storage.schedules import ScheduleStore, TopicStore
from storage.stats import StatsStore
from storage.steps import StepStore


@dataclass(frozen=True)
class Store:
    """The repositories of one database."""

    db: Database
    rooms: RoomStore
    polls: PollStore
    catalog: CatalogStore
    records: RecordStore
    webhooks: WebhookStore
    threads: ThreadStore
    events: EventStore
    steps: StepStore
    marks: MemoryMarks
    lineage: LineageStore
    schedules: ScheduleStore
    topics: TopicStore
    stats: StatsStore
    browse: BrowseStore
    budgets: BudgetStore

    @classmethod
    def on(cls, db: Database) -> Store:
        """Build every repository on one database."""
        return cls(
            db=db,
            rooms=RoomStore(db),
            polls=PollStore(db),
            catalog=CatalogStore(db),
            records=RecordStore(db),
            webhooks=WebhookStore(db),
            threads=ThreadStore(db),
            events=EventStore(db),
            steps=StepStore(db),
            marks=MemoryMarks(db),
            lineage=LineageStore(db),
            schedules=ScheduleStore(db),
            topics=TopicStore(db),
            stats=StatsStore(db),
            browse=BrowseStore(db),
            budgets=BudgetStore(db),
        )


async def open_store(url: str) -> Store:
    """Connect, apply migrations and return the repositories."""
    db = Database(url)
    await db.migrate()
    return Store.on(db)
