"""Slack adapter: personas post via chat.postMessage, votes by reaction, `/chimera` controls."""

from adapters.slack.adapter import SlackAdapter

__all__ = ["SlackAdapter"]
