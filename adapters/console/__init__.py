"""The terminal room used by `chimera demo`."""

from adapters.console.room import PLATFORM, ConsolePlatform, turn_message_id

__all__ = ["PLATFORM", "ConsolePlatform", "turn_message_id"]
