"""Saved consortium configurations per tenant, and which one `ask` uses in a channel.

`ask` (and `consortium run` without a name) picks, in order: the configuration chosen for the
channel with `consortium use`, the tenant's configuration named `default`, and otherwise the
built-in default: the Philosopher, the Scientist and the Skeptic, with the room's model as
the arbiter.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from bot.base.rooms import RoomKey
from bot.core.consortium import (
    ConsortiumConfig,
    ConsortiumConfigError,
    MemberSpec,
    parse_members,
    parse_threshold,
)
from bot.core.errors import UserError
from storage.catalog import CatalogStore

KIND = "consortium"
CHANNEL_KIND = "consortium-channel"
DEFAULT_NAME = "default"
BUILTIN_MEMBERS = ("philosopher", "scientist", "skeptic")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_RESERVED = {"none"}


def builtin_config(arbiter: str) -> ConsortiumConfig:
    """Return the configuration used when the tenant saved none."""
    members = tuple(MemberSpec(persona) for persona in BUILTIN_MEMBERS)
    return ConsortiumConfig(members=members, arbiter=arbiter, name="built-in default")


def check_name(text: str) -> str:
    """Return a configuration name in canonical form, or raise saying what a name may be."""
    name = text.strip().lower()
    if not _NAME.fullmatch(name) or name in _RESERVED:
        raise UserError(
            f"'{text}' cannot name a configuration: use 1–40 lowercase letters, digits, "
            "- or _ (and not 'none')"
        )
    return name


def apply_settings(base: ConsortiumConfig, args: Mapping[str, Any]) -> ConsortiumConfig:
    """Return `base` with the settings given as command arguments."""
    changes: dict[str, Any] = {}
    if "members" in args:
        changes["members"] = tuple(_normalise(m) for m in parse_members(str(args["members"])))
    if "arbiter" in args:
        changes["arbiter"] = str(args["arbiter"]).strip()
    if "threshold" in args:
        changes["confidence_threshold"] = _threshold(str(args["threshold"]))
    if "min" in args:
        changes["min_iterations"] = int(args["min"])
    if "max" in args:
        changes["max_iterations"] = int(args["max"])
    if "prompt" in args:
        changes["system_prompt"] = str(args["prompt"]).strip()
    return base.with_changes(**changes)


def checked(config: ConsortiumConfig, personas: Collection[str]) -> ConsortiumConfig:
    """Return the configuration if it validates, else raise UserError listing every fix."""
    try:
        return config.validated(personas)
    except ConsortiumConfigError as exc:
        raise UserError("the configuration needs fixing: " + "; ".join(exc.problems)) from None


def _normalise(member: MemberSpec) -> MemberSpec:
    # Persona ids are lowercase; model names keep their case (providers may care).
    if "/" in member.target:
        return member
    return MemberSpec(member.target.lower(), member.count)


def _threshold(text: str) -> float:
    try:
        return parse_threshold(text)
    except ValueError:
        raise UserError(f"threshold must be a number such as 0.8 or 80% (got '{text}')") from None


class ConfigBook:
    """Saved consortium configurations of each tenant, and each channel's choice for `ask`."""

    def __init__(self, store: CatalogStore) -> None:
        self.store = store

    async def all(self, tenant_id: str) -> dict[str, ConsortiumConfig]:
        """Return the tenant's saved configurations by name."""
        saved = await self.store.configs(tenant_id, KIND)
        return {name: _load(name, data) for name, data in saved.items()}

    async def get(self, tenant_id: str, name: str) -> ConsortiumConfig | None:
        """Return one saved configuration."""
        return (await self.all(tenant_id)).get(name.strip().lower())

    async def need(self, tenant_id: str, name: str) -> ConsortiumConfig:
        """Return one saved configuration, or raise saying where to look."""
        config = await self.get(tenant_id, name)
        if config is None:
            raise UserError(f"no saved configuration '{name}'. See `consortium list`")
        return config

    async def save(self, tenant_id: str, config: ConsortiumConfig, by: str) -> None:
        """Create or replace a saved configuration."""
        await self.store.save_config(tenant_id, KIND, config.name, config.to_dict(), by)

    async def remove(self, tenant_id: str, name: str) -> bool:
        """Delete a saved configuration; tell whether it existed."""
        return await self.store.remove_config(tenant_id, KIND, name.strip().lower())

    async def use(self, key: RoomKey, name: str | None, by: str) -> None:
        """Make a configuration the channel's choice for `ask` (None clears the choice)."""
        if name is None:
            await self.store.remove_config(key.tenant_id, CHANNEL_KIND, _channel(key))
            return
        await self.store.save_config(key.tenant_id, CHANNEL_KIND, _channel(key), {"name": name}, by)

    async def chosen(self, key: RoomKey) -> str | None:
        """Return the name of the configuration chosen for this channel, if any."""
        choices = await self.store.configs(key.tenant_id, CHANNEL_KIND)
        return choices.get(_channel(key), {}).get("name")

    async def resolve(self, key: RoomKey, name: str | None, arbiter: str) -> ConsortiumConfig:
        """Return the named configuration, else the channel's, the tenant's default, or built-in."""
        if name:
            return await self.need(key.tenant_id, name)
        saved = await self.all(key.tenant_id)
        chosen = await self.chosen(key)
        for candidate in (chosen, DEFAULT_NAME):
            if candidate and candidate in saved:
                return saved[candidate]
        return builtin_config(arbiter)


def _load(name: str, data: Mapping[str, Any]) -> ConsortiumConfig:
    try:
        return ConsortiumConfig.from_dict({**data, "name": name})
    except (ConsortiumConfigError, TypeError, ValueError):
        return ConsortiumConfig(members=(), arbiter="", name=name)


def _channel(key: RoomKey) -> str:
    return f"{key.channel}:{key.thread}" if key.thread else key.channel
