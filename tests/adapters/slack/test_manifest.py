"""The shipped Slack app manifest asks for what the adapter uses, and nothing it ignores."""

from __future__ import annotations

from pathlib import Path

import yaml

from adapters.slack.bolt import EVENTS_PATH
from adapters.slack.slash import NAME

MANIFEST = Path(__file__).parents[3] / "slack" / "manifest.yml"
# Event subscription names map to the Events API type Bolt routes on.
HANDLED = {"app_mention", "message", "reaction_added", "reaction_removed"}


def test_manifest_matches_the_adapter() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    settings, features = manifest["settings"], manifest["features"]
    (command,) = features["slash_commands"]
    assert command["command"] == NAME
    urls = [
        command["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    ]
    assert all(url.endswith(EVENTS_PATH) for url in urls)
    events = {name.split(".")[0] for name in settings["event_subscriptions"]["bot_events"]}
    assert events == HANDLED  # an unhandled subscription would be answered 404 and retried
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"chat:write", "chat:write.customize", "commands", "reactions:read"} <= scopes
    assert {"reactions:write", "users:read", "files:write", "channels:history"} <= scopes
    assert "files:read" in scopes  # /chimera ingest of a Slack file
