"""Consortium and compare rooms in channels: saved configurations, `ask`, and the arena."""

from bot.deliberation.commands import DeliberationCommands
from bot.deliberation.context import Context
from bot.deliberation.service import Deliberations

__all__ = ["Context", "DeliberationCommands", "Deliberations"]
