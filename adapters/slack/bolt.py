"""The slack-bolt app: request verification, dedupe, and our listeners; no logic of its own."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.buttons import ACTION_IDS, ControlButtons
from adapters.slack.dedupe import EventDedupe, dedupe_middleware
from adapters.slack.events import EventListeners
from adapters.slack.ingress import guarded, shape_middleware
from adapters.slack.slash import NAME, SlashCommand
from bot.runtime.web import RouteHandler

EVENTS_PATH = "/slack/events"


def build_bolt_app(
    *,
    client: AsyncWebClient,
    signing_secret: str,
    dedupe: EventDedupe,
    slash: SlashCommand,
    buttons: ControlButtons,
    events: EventListeners,
) -> AsyncApp:
    """Return an AsyncApp that verifies, dedupes and routes Slack requests to our listeners."""
    # process_before_response: listeners only ack and hand work to owned tasks, so Bolt need
    # not start (unowned) background tasks of its own.
    app = AsyncApp(client=client, signing_secret=signing_secret, process_before_response=True)
    app.use(shape_middleware())
    app.use(dedupe_middleware(dedupe))
    app.command(NAME)(slash)
    app.action(ACTION_IDS)(buttons)
    app.event("reaction_added")(events.reaction_added)
    app.event("reaction_removed")(events.reaction_removed)
    app.event("message")(events.message)
    app.event("app_mention")(events.app_mention)
    return app


def events_handler(app: AsyncApp, signing_secret: str) -> RouteHandler:
    """Return the aiohttp handler for Slack's Events API, commands and interactivity.

    The signature is checked and the body's shape validated before Bolt parses anything.
    """

    async def slack_events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    return guarded(signing_secret, slack_events)
