"""Socket Mode against the local websocket fake: commands and events arrive over the socket."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest

from tests.adapters.slack.conftest import CHANNEL, running_chimera
from tests.fakes.slack_api import FakeSlack


async def test_socket_mode_command_event_and_redelivery(slack: FakeSlack, tmp_path: Path) -> None:
    overrides = {"slack_app_token": slack.app_token, "slack_signing_secret": None}
    async with running_chimera(slack, tmp_path, **overrides) as chimera:
        assert chimera.adapter.socket_mode and "/slack/events" not in chimera.web.paths
        await slack.socket.wait_connected()
        assert slack.calls_to("apps.connections.open")[0].token == slack.app_token

        command = chimera.sender.command_payload(
            "start Over the socket turns=1 pace=30", "UADMIN", CHANNEL
        )
        envelope = await slack.socket.send_envelope(
            "slash_commands", command, accepts_response_payload=True
        )
        ack = await slack.socket.wait_ack(envelope, within=3)
        assert ack["payload"]["response_type"] == "ephemeral"
        header = await chimera.header()
        await chimera.step()
        (turn,) = [m for m in slack.thread(header.channel, header.ts) if m.username]

        reaction = chimera.sender.reaction("+1", turn, "UMEMBER")
        body = chimera.sender.event_envelope(reaction, "EvSOCK1")
        # First delivery carries retry_attempt 0 and must be handled.
        await slack.socket.wait_ack(await slack.socket.send_envelope("events_api", body))
        store = chimera.services.store
        ref = await store.polls.message("slack", f"{turn.channel}:{turn.ts}")
        assert ref is not None and ref.poll_id is not None
        assert await store.polls.tally(ref.poll_id) == Counter({"👍": 1})
        removed = chimera.sender.event_envelope(
            chimera.sender.reaction("+1", turn, "UMEMBER", added=False), "EvSOCK2"
        )
        await slack.socket.wait_ack(await slack.socket.send_envelope("events_api", removed))
        again = await slack.socket.send_envelope("events_api", body, retry_attempt=1)
        await slack.socket.wait_ack(again)

        assert await store.polls.tally(ref.poll_id) == Counter()
        assert len(slack.socket.acks) == 4


async def test_a_mistyped_event_over_the_socket_is_dropped_with_one_log_line(
    slack: FakeSlack, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    overrides = {"slack_app_token": slack.app_token, "slack_signing_secret": None}
    async with running_chimera(slack, tmp_path, **overrides) as chimera:
        await slack.socket.wait_connected()
        caplog.set_level(logging.INFO)
        event = {"type": "reaction_added", "user": "U1", "reaction": "+1", "item": "C1:1.0"}
        envelope = await slack.socket.send_envelope(
            "events_api", chimera.sender.event_envelope(event, "EvBAD1")
        )
        await slack.socket.wait_ack(envelope)
        await chimera.settle()
        problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert [r.getMessage() for r in problems] == [
            "ignored a malformed Slack request: the reaction_added event's item is a str"
        ]
        assert all(r.exc_info is None for r in caplog.records)
