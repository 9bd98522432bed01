"""The composition root: builds every client once and wires the core together."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.catalog import PersonaCatalog
from bot.clock import Clock, SystemClock
from bot.commands import CommandHandler
from bot.completion import LLM
from bot.config import Settings
from bot.deliberation import Context, DeliberationCommands, Deliberations
from bot.memory_commands import MemoryCommands
from bot.orchestrator import Orchestrator, Recall
from bot.pacing import TurnScheduler
from bot.rooms import RoomSettings
from bot.tasks import TaskOwner
from personas.cards import load_dir
from storage.db import Database
from storage.store import Store

if TYPE_CHECKING:
    from bot.memory.interface import Memory

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything an adapter needs, built once per process."""

    settings: Settings
    store: Store
    catalog: PersonaCatalog
    llm: LLM
    orchestrator: Orchestrator
    commands: CommandHandler
    scheduler: TurnScheduler
    clock: Clock
    tasks: TaskOwner
    memory: Memory | None = None


def make_gateway(settings: Settings) -> LLM:
    """Build the litellm gateway from settings (litellm itself is imported on first call)."""
    from bot.llm import LiteLLMGateway

    api_bases = dict(settings.model_api_bases)
    if settings.api_base:
        api_bases.setdefault(settings.model, settings.api_base)
    fallbacks = {settings.model: settings.fallback_models} if settings.fallback_models else None
    return LiteLLMGateway(
        default_model=settings.model,
        fallbacks=fallbacks,
        num_retries=settings.llm_retries,
        timeout_s=settings.llm_timeout_s,
        api_bases=api_bases,
    )


def room_defaults(settings: Settings) -> RoomSettings:
    """Return the settings new rooms start from."""
    return RoomSettings(
        pace_s=settings.default_pace_s,
        jitter_s=settings.default_jitter_s,
        vote_window_s=settings.vote_window_s,
    )


@asynccontextmanager
async def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    llm: LLM | None = None,
    scheduler: TurnScheduler | None = None,
    memory: Memory | None = None,
    scheduling: bool = True,
) -> AsyncIterator[Services]:
    """Open the database, build the core, start the scheduler; close it all on exit.

    With `scheduling=False` no paced step runs until `start_scheduling` is called: a process
    serving platforms calls it once its adapters are attached (a step due at start would
    otherwise be posted nowhere), and one-off commands never do, so they cannot take a due
    turn away from the running bot.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.db_url)
    await db.migrate()
    store = Store.on(db)
    if memory is None and settings.memory_enabled:
        memory = await open_memory(settings)
    services = _wire(
        settings,
        store,
        clock or SystemClock(),
        llm or make_gateway(settings),
        scheduler or _persistent_scheduler(settings),
        memory,
    )
    if scheduling:
        await start_scheduling(services)
    try:
        yield services
    finally:
        await services.scheduler.shutdown()
        await services.tasks.close()
        if services.memory is not None:
            await services.memory.close()
        await db.close()


async def start_scheduling(services: Services) -> None:
    """Start running paced steps, and reschedule rooms that lost theirs while down."""
    await services.scheduler.start()
    recovered = await services.orchestrator.recover()
    if recovered:
        log.info("resumed %d room(s) that were due while the process was down", recovered)


async def open_memory(settings: Settings) -> Memory:
    """Open the Chroma-backed memory (embedded, or the server at CHIMERA_CHROMA_URL)."""
    import asyncio

    from bot.memory.factory import open_memory as open_store

    # Loading Chroma and the embedding model takes a moment: keep the event loop free.
    return await asyncio.to_thread(open_store, settings.memory_dir, settings.chroma_url)


def _persistent_scheduler(settings: Settings) -> TurnScheduler:
    from bot.scheduler import PersistentScheduler

    return PersistentScheduler(settings.jobs_url, grace_s=settings.misfire_grace_s)


def _wire(
    settings: Settings,
    store: Store,
    clock: Clock,
    llm: LLM,
    scheduler: TurnScheduler,
    memory: Memory | None,
) -> Services:
    catalog = PersonaCatalog(load_dir(), store.catalog)
    orchestrator = Orchestrator(
        store=store,
        cast_lookup=catalog,
        llm=llm,
        scheduler=scheduler,
        clock=clock,
        default_model=settings.model,
        history_turns=settings.history_turns,
        summary_budget=settings.summary_token_budget,
        memory=_recall(memory),
    )
    tasks = TaskOwner()
    defaults = room_defaults(settings)
    context = Context(store, catalog, orchestrator, llm, scheduler, clock, tasks, defaults)
    deliberations = Deliberations(context)
    # Consortium and compare rooms take their own scheduled steps; the rest go to the orchestrator.
    scheduler.handler = deliberations.run_step
    commands = CommandHandler(
        store=store,
        catalog=catalog,
        orchestrator=orchestrator,
        defaults=defaults,
        deliberation=DeliberationCommands(deliberations),
        memory_commands=MemoryCommands(memory, clock, private_urls=settings.ingest_private_urls),
    )
    return Services(
        settings, store, catalog, llm, orchestrator, commands, scheduler, clock, tasks, memory
    )


def _recall(memory: Memory | None) -> Recall | None:
    if memory is None:
        return None
    from bot.memory.recall import MemoryRecall

    return MemoryRecall(memory)
