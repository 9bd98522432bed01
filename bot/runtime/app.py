"""The composition root: builds every client once and wires the core together."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.base.clock import Clock, SystemClock
from bot.base.rooms import RoomSettings
from bot.base.tasks import TaskOwner
from bot.commands.branches import BranchCommands
from bot.commands.budgets import BudgetCommands
from bot.commands.consortium import ConsortiumCommands
from bot.commands.handler import CommandHandler
from bot.commands.limits import CommandLimits
from bot.commands.memory import MemoryCommands
from bot.commands.personas import PersonaCommands
from bot.commands.rooms import RoomCommands
from bot.commands.schedules import ScheduleCommands
from bot.commands.stats import StatsCommands
from bot.core.branches import Branches
from bot.core.budget import Budget
from bot.core.catalog import PersonaCatalog
from bot.core.consortium.book import ConfigBook
from bot.core.host import RoomHost
from bot.core.links import DashboardLinks
from bot.core.memory_writer import MemoryWriter
from bot.core.modes.chat import ChatRunner
from bot.core.modes.compare import CompareRunner
from bot.core.modes.consortium import ConsortiumRunner
from bot.core.modes.debate import DebateRunner
from bot.core.orchestrator import Orchestrator
from bot.core.pacing import TurnScheduler
from bot.core.recall import MemoryRecall
from bot.core.recurring import RecurringRooms, RecurringTimer
from bot.llm.names import ModelNames
from bot.llm.types import LLM
from bot.runtime.config import Settings
from bot.runtime.metrics import MeteredLLM, Metrics
from bot.runtime.recurring import CronTimer
from bot.runtime.scheduler import LocalScheduler
from bot.runtime.secrets import dashboard_secret
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
    recurring: RecurringRooms
    metrics: Metrics
    links: DashboardLinks
    memory: Memory | None = None
    writer: MemoryWriter | None = None  # memory's background writer, when memory is on


def make_gateway(settings: Settings) -> LLM:
    """Build the litellm gateway from settings (litellm itself is imported on first call)."""
    from bot.llm.gateway import LiteLLMGateway

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


def model_names(settings: Settings) -> ModelNames:
    """Return the check of model names: litellm's providers, and names with an api base."""
    configured = set(settings.model_api_bases)
    if settings.api_base:
        configured.add(settings.model)
    return ModelNames(configured)


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
    timer: RecurringTimer | None = None,
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
    clock = clock or SystemClock()
    metrics = Metrics()
    scheduler = scheduler or LocalScheduler(
        store.steps, clock, grace_s=settings.misfire_grace_s, metrics=metrics
    )
    timer = timer or CronTimer(grace_s=settings.misfire_grace_s)
    metered = MeteredLLM(llm or make_gateway(settings), metrics)
    links = DashboardLinks(
        await dashboard_secret(settings),
        settings.base_url,
        clock,
        ttl_s=settings.dashboard_link_ttl_s,
    )
    services = _wire(settings, store, clock, metered, scheduler, timer, memory, metrics, links)
    if scheduling:
        await start_scheduling(services)
    try:
        yield services
    finally:
        await services.recurring.timer.shutdown()
        await services.scheduler.shutdown()
        if services.writer is not None:
            await services.writer.close()  # what is still queued waits in the database
        await services.tasks.close()
        if services.memory is not None:
            await services.memory.close()
        await db.close()


async def start_scheduling(services: Services) -> None:
    """Start running paced steps (and memory's writer), rescheduling rooms that lost theirs."""
    if services.writer is not None:
        await services.writer.start()
    await services.scheduler.start()
    recovered = await services.orchestrator.recover()
    if recovered:
        log.info("resumed %d room(s) that were due while the process was down", recovered)
    await services.recurring.timer.start()
    caught_up = await services.recurring.start()
    if caught_up:
        log.info("ran %d recurring room(s) that fell due while the process was down", caught_up)


async def open_memory(settings: Settings) -> Memory:
    """Open the Chroma-backed memory (embedded, or the server at CHIMERA_CHROMA_URL)."""
    import asyncio

    from bot.memory.factory import open_memory as open_store

    # Loading Chroma and the embedding model takes a moment: keep the event loop free.
    return await asyncio.to_thread(
        open_store, settings.memory_dir, settings.chroma_url, threads=settings.embedding_threads
    )


def _wire(
    settings: Settings,
    store: Store,
    clock: Clock,
    llm: LLM,
    scheduler: TurnScheduler,
    timer: RecurringTimer,
    memory: Memory | None,
    metrics: Metrics,
    links: DashboardLinks,
) -> Services:
    catalog = PersonaCatalog(load_dir(), store.catalog)
    tasks = TaskOwner()
    writer = MemoryWriter(memory, store.marks, tasks) if memory is not None else None
    spend_caps = Budget(store.budgets, clock)
    host = RoomHost(
        store=store,
        catalog=catalog,
        llm=llm,
        scheduler=scheduler,
        clock=clock,
        tasks=tasks,
        defaults=room_defaults(settings),
        default_model=settings.model,
        memory=MemoryRecall(memory, writer) if memory and writer else None,
        history_turns=settings.history_turns,
        telemetry=metrics,
        model_check=model_names(settings).problem,
        budget=spend_caps,
    )
    configs = ConfigBook(store.catalog)
    budget = settings.summary_token_budget
    runners = (
        ChatRunner(host, summary_budget=budget),
        DebateRunner(host, summary_budget=budget),
        ConsortiumRunner(host, configs),
        CompareRunner(host),
    )
    orchestrator = Orchestrator(host, runners)
    scheduler.handler = orchestrator.run_step
    recurring = RecurringRooms(orchestrator, timer, clock)
    limits = CommandLimits(
        settings.command_rate_limit,
        settings.model_rate_limit,
        member_answers=settings.member_answers,
    )
    commands = CommandHandler(
        RoomCommands(orchestrator),
        PersonaCommands(catalog),
        ConsortiumCommands(orchestrator, configs, limits),
        MemoryCommands(memory, clock, private_urls=settings.ingest_private_urls, writer=writer),
        BranchCommands(Branches(orchestrator)),
        ScheduleCommands(recurring),
        StatsCommands(host, links),
        BudgetCommands(spend_caps),
        limits=limits,
    )
    return Services(
        settings,
        store,
        catalog,
        llm,
        orchestrator,
        commands,
        scheduler,
        clock,
        tasks,
        recurring,
        metrics,
        links,
        memory,
        writer,
    )
