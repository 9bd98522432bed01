"""The composition root: builds every client once and wires the core together."""

from __future__ import annotations

import asyncio
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
from bot.commands.limits import CommandLimits, shared_storage
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
from bot.core.pacing import TakesOver, TurnScheduler
from bot.core.recall import MemoryRecall
from bot.core.recurring import RecurringRooms, RecurringTimer
from bot.llm.loader import litellm_module
from bot.llm.names import ModelNames
from bot.llm.types import LLM
from bot.runtime.config import ConfigError, Settings
from bot.runtime.metrics import MeteredLLM, Metrics
from bot.runtime.recurring import CronTimer
from bot.runtime.scheduler import LocalScheduler
from bot.runtime.secrets import dashboard_secret
from personas.cards import load_dir
from storage.db import Database
from storage.store import Store

if TYPE_CHECKING:
    from bot.memory.interface import Memory
    from bot.runtime.cluster import Cluster

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
    cluster: Cluster | None = None  # the Redis-backed pieces, in cluster mode


def make_gateway(settings: Settings) -> LLM:
    """Build the litellm gateway from settings (litellm itself is imported on first call)."""
    from bot.llm.gateway import LiteLLMGateway, SharedRouterState

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
        shared=SharedRouterState(settings.redis_url, settings.redis_prefix)
        if settings.redis_url
        else None,
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
    if problems := settings.cluster_problems():
        raise ConfigError("cluster mode (CHIMERA_REDIS_URL) needs:\n  " + "\n  ".join(problems))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.db_url)
    await db.migrate()
    store = Store.on(db)
    store.polls.shared = settings.clustered  # every poll is caught up from the platform
    if memory is None and settings.memory_enabled:
        memory = await open_memory(settings, db)
    clock = clock or SystemClock()
    metrics = Metrics()
    cluster = open_cluster(settings) if settings.clustered else None
    if scheduler is None and cluster is not None:
        scheduler = cluster_scheduler(cluster, store, clock, settings, metrics)
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
    services = _wire(
        settings, store, clock, metered, scheduler, timer, memory, metrics, links, cluster
    )
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
        if cluster is not None:
            await cluster.close()
        await db.close()


async def warm_up(services: Services) -> None:
    """Import litellm and build its Router now (once), not in the first turn or command.

    The import happens whatever the model gateway is: a room's start checks model names
    with litellm, and an import on the event loop would hold every room up for seconds.
    """
    await asyncio.to_thread(litellm_module)
    if isinstance(services.llm, MeteredLLM):
        await services.llm.warm()


async def start_scheduling(services: Services) -> None:
    """Start running paced steps (and memory's writer), rescheduling rooms that lost theirs.

    The model gateway is warmed up first, so the first turn does not pay litellm's import.
    """
    await warm_up(services)
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


def open_cluster(settings: Settings) -> Cluster:
    """Build the Redis client, the step queue and the room locks of cluster mode."""
    assert settings.redis_url is not None
    try:
        from bot.runtime.cluster import open_cluster as open_redis
    except ImportError as exc:
        raise ConfigError(
            f"cluster mode needs the 'cluster' extra (pip install 'chimera-bot[cluster]'): {exc}"
        ) from None
    return open_redis(settings.redis_url, settings.redis_prefix)


def cluster_scheduler(
    cluster: Cluster, store: Store, clock: Clock, settings: Settings, metrics: Metrics
) -> TurnScheduler:
    """Return the scheduler whose steps are jobs on the cluster's queue."""
    from bot.runtime.cluster.queue import QueueScheduler

    return QueueScheduler(
        cluster.queue,
        store.steps,
        clock,
        concurrency=settings.queue_concurrency,
        metrics=metrics,
    )


async def open_memory(settings: Settings, db: Database) -> Memory:
    """Open the Chroma-backed memory (embedded, or the server at CHIMERA_CHROMA_URL).

    Its keyword rows live in the process's database, so a cluster shares them.
    """
    import asyncio

    from bot.memory.factory import open_memory as open_store

    # Loading Chroma and the embedding model takes a moment: keep the event loop free.
    return await asyncio.to_thread(
        open_store,
        settings.memory_dir,
        db,
        settings.chroma_url,
        threads=settings.embedding_threads,
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
    cluster: Cluster | None = None,
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
        locks=cluster.locks if cluster is not None else None,
        runs=cluster.runs if cluster is not None else None,
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
    if isinstance(scheduler, TakesOver):
        scheduler.takeover = orchestrator.take_over
    recurring = RecurringRooms(orchestrator, timer, clock)
    limits = CommandLimits(
        settings.command_rate_limit,
        settings.model_rate_limit,
        member_answers=settings.member_answers,
        storage=shared_storage(settings.redis_url, settings.redis_prefix)
        if settings.redis_url
        else None,
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
        cluster,
    )
