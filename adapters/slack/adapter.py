"""The Slack adapter: wires the Bolt app, the renderer and the listeners to the core."""

from __future__ import annotations

import logging

import aiohttp
from slack_bolt.app.async_app import AsyncApp

from adapters.slack.bolt import EVENTS_PATH, build_bolt_app, events_handler
from adapters.slack.buttons import ControlButtons
from adapters.slack.client import build_client
from adapters.slack.dedupe import EventDedupe
from adapters.slack.events import EventListeners
from adapters.slack.health import WebApiHealth
from adapters.slack.pacing import ChannelPacer
from adapters.slack.platform import SlackPlatform
from adapters.slack.replies import Responder
from adapters.slack.slash import SlashCommand
from adapters.slack.socket_mode import SocketModeConnection
from adapters.slack.uploads import SlackFiles
from adapters.slack.users import UserDirectory
from bot.base.clock import Clock
from bot.base.rooms import Room, RoomKey
from bot.base.tasks import TaskOwner
from bot.core.modes.turns import header_notice
from bot.core.platform import Notice
from bot.runtime.app import Services
from bot.runtime.config import ConfigError, Settings
from bot.runtime.metrics import http_errors
from bot.runtime.web import WebServer

log = logging.getLogger(__name__)


def check_settings(settings: Settings) -> str:
    """Return the bot token, or raise ConfigError naming what is missing."""
    if not settings.slack_bot_token:
        raise ConfigError("CHIMERA_SLACK_BOT_TOKEN is not set")
    if not (settings.slack_signing_secret or settings.slack_app_token):
        raise ConfigError(
            "set CHIMERA_SLACK_SIGNING_SECRET (HTTP mode) or CHIMERA_SLACK_APP_TOKEN (Socket Mode)"
        )
    return settings.slack_bot_token


class SlackAdapter:
    """Runs Chimera in a Slack workspace, over HTTP (`/slack/events`) or Socket Mode."""

    name = "slack"

    def __init__(
        self, services: Services, *, web: WebServer | None = None, clock: Clock | None = None
    ) -> None:
        settings = services.settings
        token = check_settings(settings)
        self._services = services
        clock = clock or services.clock
        # One connection pool for every Web API call; its trace counts 429s and 5xx answers.
        self.http = aiohttp.ClientSession(trace_configs=[http_errors(services.metrics, "slack")])
        self.client = build_client(
            token, api_url=settings.slack_api_url, sleep=clock.sleep, session=self.http
        )
        self._web_api = WebApiHealth(self.client, clock)
        self.tasks = TaskOwner("slack")
        self.users = UserDirectory(self.client, clock, admins=settings.slack_admins)
        self.platform = SlackPlatform(
            self.client,
            # In cluster mode every process posts to any channel: they share its pace.
            ChannelPacer(clock, shared=services.cluster.slots if services.cluster else None),
            load_room=services.store.rooms.get,
            describe=self._describe,
            threads=services.store.threads,
            turn_message=services.store.polls.turn_message,
            thread_mode=settings.slack_thread_mode,
            telemetry=services.metrics,
        )
        self.app = self._bolt_app(settings)
        self._socket = self._connection(settings, web)

    def _bolt_app(self, settings: Settings) -> AsyncApp:
        responder = Responder(self.client)
        commands = self._services.commands
        return build_bolt_app(
            client=self.client,
            signing_secret=settings.slack_signing_secret or "",
            dedupe=EventDedupe(self._services.store.events),
            slash=SlashCommand(
                commands, self.users, responder, self.tasks, self._refresh, SlackFiles(self.client)
            ),
            buttons=ControlButtons(commands, self.users, responder, self.tasks, self._refresh),
            events=EventListeners(self._services.orchestrator, self.users, self.platform),
        )

    def _connection(self, settings: Settings, web: WebServer | None) -> SocketModeConnection | None:
        if settings.slack_app_token:
            return SocketModeConnection(self.app, settings.slack_app_token)
        if web is None:
            raise ConfigError("Slack HTTP mode needs Chimera's web server (CHIMERA_HTTP_PORT)")
        secret = settings.slack_signing_secret or ""
        web.add_route("POST", EVENTS_PATH, events_handler(self.app, secret))
        return None

    @property
    def socket_mode(self) -> bool:
        """Tell whether events arrive over Socket Mode rather than HTTP."""
        return self._socket is not None

    async def start(self) -> None:
        """Register with the orchestrator and, in Socket Mode, connect."""
        self._services.orchestrator.attach(self.platform)
        if self._socket is not None:
            await self._socket.start()
        log.info("Slack adapter ready (%s)", "Socket Mode" if self.socket_mode else EVENTS_PATH)

    async def healthy(self) -> bool:
        """Tell whether Slack is reachable: the Socket Mode connection, or the Web API."""
        if self._socket is not None:
            return await self._socket.connected()
        return await self._web_api.ok()

    async def close(self) -> None:
        """Disconnect and cancel the adapter's background work."""
        if self._socket is not None:
            await self._socket.close()
        await self.tasks.close()
        await self.http.close()

    async def _describe(self, room: Room) -> Notice:
        orchestrator = self._services.orchestrator
        return header_notice(room, await orchestrator.cast(room), orchestrator.model_for(room))

    async def _refresh(self, key: RoomKey) -> None:
        room = await self._services.store.rooms.latest(key)
        if room is not None:
            await self.platform.refresh(room.id)
