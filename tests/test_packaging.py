"""The container files stay in step with the project: packages, versions, service names."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_the_image_copies_every_package_the_project_installs() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    copied = re.findall(r"^COPY (\w+) \./\1$", (ROOT / "Dockerfile").read_text(), re.M)
    assert sorted(packages) == sorted(copied)


def test_compose_wires_the_bot_to_its_database_and_chroma() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    env = services["chimera"]["environment"]
    assert "@postgres:5432/" in env["CHIMERA_DATABASE_URL"] and "postgres" in services
    assert env["CHIMERA_CHROMA_URL"] == "http://chroma:8000" and "chroma" in services
    pinned = re.search(r"^chromadb==(\S+)$", (ROOT / "constraints.txt").read_text(), re.M)
    assert pinned and services["chroma"]["image"] == f"chromadb/chroma:{pinned.group(1)}"
