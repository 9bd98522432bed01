"""Who is asking: Slack member names and the permission to manage rooms (cached)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.base.clock import Clock
from bot.base.locks import KeyedLocks
from bot.commands.replies import Caller

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Member:
    """What Chimera needs to know about a workspace member."""

    id: str
    name: str
    admin: bool


def member_from(user: dict[str, Any]) -> Member:
    """Build a member from a `users.info` user object."""
    profile = user.get("profile") or {}
    name = profile.get("display_name") or profile.get("real_name") or user.get("name") or ""
    admin = any(user.get(flag) for flag in ("is_admin", "is_owner", "is_primary_owner"))
    return Member(str(user.get("id", "")), str(name), bool(admin))


class UserDirectory:
    """Looks members up with `users.info`, caching each answer for `ttl_s`."""

    def __init__(
        self,
        client: AsyncWebClient,
        clock: Clock,
        *,
        admins: Iterable[str] = (),
        ttl_s: float = 600.0,
    ) -> None:
        self._client = client
        self._clock = clock
        self._admins = frozenset(admins)
        self._ttl = timedelta(seconds=ttl_s)
        self._cache: dict[str, tuple[Member, datetime]] = {}
        self._locks: KeyedLocks[str] = KeyedLocks()

    async def member(self, user_id: str, fallback_name: str = "") -> Member:
        """Return a member, from the cache while fresh."""
        # One lookup per member at a time: concurrent commands share the answer.
        async with self._locks.hold(user_id):
            cached = self._cache.get(user_id)
            now = self._clock.now()
            if cached and cached[1] > now:
                return cached[0]
            member = await self._lookup(user_id, fallback_name)
            self._cache[user_id] = (member, now + self._ttl)
            return member

    async def _lookup(self, user_id: str, fallback_name: str) -> Member:
        try:
            response = await self._client.users_info(user=user_id)
        except SlackApiError as exc:
            # Unknown or unreadable members get no rights; the error is worth a log line.
            log.warning("users.info %s failed: %s", user_id, exc.response.get("error"))
            return Member(user_id, fallback_name or user_id, admin=False)
        member = member_from(response.get("user") or {})
        return Member(user_id, member.name or fallback_name or user_id, member.admin)

    async def caller(self, user_id: str, fallback_name: str = "") -> Caller:
        """Return the core's view of a member: workspace admins and the allowlist may manage."""
        member = await self.member(user_id, fallback_name)
        return Caller(user_id, member.name, member.admin or user_id in self._admins)
