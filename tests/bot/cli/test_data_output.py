"""CLI commands whose output is data write only the data to stdout (so `| jq` works)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.main import main


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHIMERA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CHIMERA_MEMORY_ENABLED", "false")
    monkeypatch.setenv("CHIMERA_MODEL", "chimera/offline-demo")
    return tmp_path / "data"


def test_consortium_export_prints_only_the_json_on_stdout(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", "Tabs or spaces?"]) == 0
    capsys.readouterr()
    assert main(["consortium", "export", "1"]) == 0
    out, err = capsys.readouterr()
    record = json.loads(out)  # the whole of stdout is the record
    assert record["original_prompt"] == "Tabs or spaces?"
    assert "Consortium run 1" in err and "Consortium run 1" not in out


def test_an_unknown_run_is_an_error_on_stderr(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["consortium", "export", "7"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "no consortium run 7" in err.lower()
