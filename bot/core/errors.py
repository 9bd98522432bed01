"""Requests the core refuses: the message is for the person who asked."""

from __future__ import annotations


class UserError(Exception):
    """A request that cannot be carried out; the message says why, in the user's terms."""


class RoomError(UserError):
    """A request about a room that cannot be carried out (none running, already running, …)."""


class CastError(UserError, ValueError):
    """A cast that cannot run the chosen mode."""
