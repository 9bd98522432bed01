"""Chimera on Discord (discord.py): persona webhooks, slash commands and reaction votes."""

from adapters.discord.adapter import DiscordAdapter

__all__ = ["DiscordAdapter"]
