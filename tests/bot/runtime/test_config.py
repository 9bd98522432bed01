from pathlib import Path

import pytest

from bot.llm.types import OFFLINE_MODEL
from bot.runtime.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("CHIMERA_MODEL", "CHIMERA_DATABASE_URL", "CHIMERA_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_the_embedded_offline_setup(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.model == OFFLINE_MODEL
    assert settings.db_url == f"sqlite+aiosqlite:///{tmp_path / '.chimera' / 'chimera.sqlite3'}"
    assert settings.memory_dir == Path(".chimera") / "memory"


def test_environment_dotenv_and_toml_are_read_in_that_order(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "chimera.toml").write_text('model = "ollama/llama3.1"\nhttp_port = 9000\n')
    (tmp_path / ".env").write_text("CHIMERA_HTTP_PORT=9100\n")
    settings = load_settings()
    assert settings.model == "ollama/llama3.1" and settings.http_port == 9100
    monkeypatch.setenv("CHIMERA_HTTP_PORT", "9200")
    assert load_settings().http_port == 9200


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CHIMERA_MODEL", "gpt4", "CHIMERA_MODEL: use a litellm model name"),
        ("CHIMERA_DATABASE_URL", "mysql://x", "CHIMERA_DATABASE_URL: must start with"),
        ("CHIMERA_LLM_TIMEOUT_S", "soon", "CHIMERA_LLM_TIMEOUT_S: Input should be a valid number"),
        ("CHIMERA_HTTP_PORT", "70000", "CHIMERA_HTTP_PORT: Input should be less than or equal"),
        ("CHIMERA_LOG_LEVEL", "LOUD", "CHIMERA_LOG_LEVEL: must be DEBUG"),
    ],
)
def test_a_bad_value_fails_with_the_setting_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_cluster_mode_is_off_without_redis_and_needs_shared_servers_with_it() -> None:
    assert load_settings().cluster_problems() == []  # the embedded default needs no server
    sqlite = load_settings(
        redis_url="redis://127.0.0.1:6379/0", discord_token="x" * 20, memory_enabled=True
    )
    problems = "\n".join(sqlite.cluster_problems())
    assert "CHIMERA_DATABASE_URL" in problems and "CHIMERA_CHROMA_URL" in problems
    assert "CHIMERA_DISCORD_SHARDS" in problems  # one process per shard range
    sharded = load_settings(
        redis_url="redis://127.0.0.1:6379/0",
        database_url="postgresql+asyncpg://chimera@db/chimera",
        memory_enabled=False,
        discord_token="x" * 20,
        discord_shard_count=4,
        discord_shards="2-3",
    )
    assert sharded.cluster_problems() == [] and sharded.discord_shard_ids == [2, 3]
    shared = load_settings(
        redis_url="redis://127.0.0.1:6379/0",
        database_url="postgresql+asyncpg://chimera@db/chimera",
        chroma_url="http://chroma:8000",
    )
    assert shared.clustered and shared.cluster_problems() == []
    with pytest.raises(ConfigError, match="CHIMERA_REDIS_URL"):
        load_settings(redis_url="http://127.0.0.1:6379")


@pytest.mark.parametrize(
    ("shards", "count", "ids"),
    [("0-3", 4, [0, 1, 2, 3]), ("4,5", 8, [4, 5]), ("0-1, 6", 8, [0, 1, 6]), ("2", 3, [2])],
)
def test_discord_shards_are_read_as_numbers_and_ranges(
    shards: str, count: int, ids: list[int]
) -> None:
    settings = load_settings(discord_shards=shards, discord_shard_count=count)
    assert settings.discord_shard_ids == ids


@pytest.mark.parametrize(
    ("shards", "count", "message"),
    [
        ("0-3", None, "CHIMERA_DISCORD_SHARDS needs CHIMERA_DISCORD_SHARD_COUNT"),
        ("2-4", 4, "numbered 0 to 3 \\(of 4\\)"),
        ("3-1", 4, "runs backwards"),
        ("one", 4, "CHIMERA_DISCORD_SHARDS: 'one' is not a shard number"),
    ],
)
def test_bad_discord_shards_are_refused_with_what_to_write(
    shards: str, count: int | None, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(discord_shards=shards, discord_shard_count=count)
