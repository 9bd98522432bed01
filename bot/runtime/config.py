"""Settings: CHIMERA_* environment variables, `.env`, and an optional `chimera.toml`."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from bot.llm.types import OFFLINE_MODEL


class Settings(BaseSettings):
    """Everything configurable about a Chimera process."""

    model_config = SettingsConfigDict(
        env_prefix="CHIMERA_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        toml_file="chimera.toml",
    )

    data_dir: Path = Path(".chimera")
    database_url: str = ""
    model: str = OFFLINE_MODEL
    api_base: str | None = None
    fallback_models: list[str] = Field(default_factory=list)
    llm_timeout_s: float = Field(60.0, gt=0)
    llm_retries: int = Field(2, ge=0, le=10)
    model_api_bases: dict[str, str] = Field(default_factory=dict)
    history_turns: int = Field(8, ge=1, le=100)
    summary_token_budget: int = Field(1500, ge=100)
    default_pace_s: float = Field(4.0, ge=0, le=600)
    default_jitter_s: float = Field(1.5, ge=0, le=60)
    vote_window_s: float = Field(60.0, ge=0, le=86400)
    misfire_grace_s: int = Field(300, ge=1)
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"

    discord_token: str | None = None
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    # Sharding over processes: every process gets the same count and its own shards.
    discord_shard_count: int | None = Field(None, ge=1, le=65536)
    discord_shards: str | None = None  # this process's shards: "0-3", "4,5", "2"

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str | None = None
    slack_admins: list[str] = Field(default_factory=list)
    slack_thread_mode: bool = True

    http_host: str = "127.0.0.1"
    http_port: int = Field(8080, ge=0, le=65535)
    public_url: str | None = None  # where people reach the web server (dashboard links)
    dashboard_secret: str | None = None  # signs dashboard links; made once in the data dir
    dashboard_link_ttl_s: float = Field(86400.0, gt=0, le=90 * 86400)
    metrics_token: str | None = None  # a bearer token /metrics asks for, when set

    # Cluster mode: several `chimera serve` processes share rooms through Redis (with
    # PostgreSQL, and a Chroma server when memory is on). Unset: one process, no server.
    redis_url: str | None = None
    redis_prefix: str = Field("chimera", pattern=r"^[A-Za-z0-9_.-]{1,40}$")  # keys, queue name
    # Room steps one process holds at once: each is handed out up to a second before it is due
    # and waits for its time, so a process pacing N steps a second needs well over N.
    queue_concurrency: int = Field(200, ge=1, le=2000)

    # People who may not manage the channel: how fast they may send commands, how fast they
    # may ask consortiums, and how many answers (members × iterations) one may ask for.
    command_rate_limit: str = "30/minute"
    model_rate_limit: str = "5/minute"
    member_answers: int = Field(12, ge=1, le=1000)

    memory_enabled: bool = True
    embedding_threads: int = Field(1, ge=0, le=64)  # 0: every core
    chroma_url: str | None = None
    ingest_private_urls: bool = False  # let `ingest <url>` reach private and local addresses

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Read init args, then the environment, then `.env`, then `chimera.toml`."""
        toml = TomlConfigSettingsSource(settings_cls)
        return (init_settings, env_settings, dotenv_settings, toml)

    @field_validator("model")
    @classmethod
    def _model_name(cls, value: str) -> str:
        if "/" not in value:
            raise ValueError("use a litellm model name such as 'openai/gpt-4o-mini'")
        return value

    @field_validator("command_rate_limit", "model_rate_limit")
    @classmethod
    def _rate(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError("use a rate such as '30/minute' or '100 per hour'") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value and not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    @field_validator("discord_shards")
    @classmethod
    def _shards(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        shard_ids(value)  # raises ValueError on a bad list
        return value.strip()

    @model_validator(mode="after")
    def _shards_counted(self) -> Settings:
        if self.discord_shards is None:
            return self
        if self.discord_shard_count is None:
            raise ValueError("CHIMERA_DISCORD_SHARDS needs CHIMERA_DISCORD_SHARD_COUNT")
        if max(shard_ids(self.discord_shards)) >= self.discord_shard_count:
            count = self.discord_shard_count
            raise ValueError(f"Discord shards are numbered 0 to {count - 1} (of {count})")
        return self

    @property
    def discord_shard_ids(self) -> list[int] | None:
        """Return this process's Discord shards (None: discord.py's choice, all of them)."""
        return shard_ids(self.discord_shards) if self.discord_shards else None

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value or None

    @property
    def clustered(self) -> bool:
        """Tell whether this process shares its rooms with others (CHIMERA_REDIS_URL set)."""
        return self.redis_url is not None

    def cluster_problems(self) -> list[str]:
        """Return what cluster mode lacks in these settings (nothing when it is not on)."""
        if not self.clustered:
            return []
        problems = []
        if not all(importlib.util.find_spec(name) for name in ("saq", "redis")):
            problems.append("the 'cluster' extra: pip install 'chimera-bot[cluster]'")
        if not self.database_url.startswith("postgresql+asyncpg://"):
            problems.append("CHIMERA_DATABASE_URL must be a PostgreSQL URL (shared by all)")
        if self.discord_token and self.discord_shards is None:
            # Each process would open every shard and hear every event twice.
            problems.append(
                "with Discord, CHIMERA_DISCORD_SHARD_COUNT (the same in every process) and "
                "CHIMERA_DISCORD_SHARDS (this process's own, e.g. 0-1 here and 2-3 there)"
            )
        if self.memory_enabled and not self.chroma_url:
            problems.append(
                "CHIMERA_CHROMA_URL must name a Chroma server (or CHIMERA_MEMORY_ENABLED=false)"
            )
        return problems

    @property
    def db_url(self) -> str:
        """Return the database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'chimera.sqlite3').resolve()}"

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    @property
    def base_url(self) -> str:
        """Return the URL people open the web server at (CHIMERA_PUBLIC_URL, else host:port)."""
        return self.public_url or f"http://{self.http_host}:{self.http_port}"

    @property
    def memory_dir(self) -> Path:
        """Return where the embedded memory lives."""
        return self.data_dir / "memory"


class ConfigError(Exception):
    """A setting has a bad value; the message names the setting."""


def load_settings(**overrides: Any) -> Settings:
    """Load settings, turning validation errors into a message that names each setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = [_describe(err) for err in exc.errors()]
        raise ConfigError("invalid configuration:\n" + "\n".join(lines)) from None


def _describe(err: Any) -> str:
    message = err["msg"].removeprefix("Value error, ")
    if not err["loc"]:  # a check across settings names them itself
        return f"  {message}"
    field = str(err["loc"][0])
    return f"  CHIMERA_{field.upper()}: {message} (got {err.get('input')!r})"


def shard_ids(text: str) -> list[int]:
    """Read a list of shard numbers such as "0-3", "4,5" or "0-1,6" (sorted, no repeats)."""
    ids: set[int] = set()
    for part in text.replace(" ", "").split(","):
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise ValueError(f"'{part}' is not a shard number or range such as 0-3")
        first, last = int(low), int(high) if dash else int(low)
        if last < first:
            raise ValueError(f"'{part}' runs backwards; write the lower number first")
        ids.update(range(first, last + 1))
    return sorted(ids)
