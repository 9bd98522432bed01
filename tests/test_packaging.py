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


def test_the_cluster_overlay_runs_two_replicas_on_one_redis() -> None:
    base = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    overlay = yaml.safe_load((ROOT / "docker-compose.cluster.yml").read_text())["services"]
    assert "redis" in overlay
    replicas = [base["chimera"]["environment"] | overlay["chimera"]["environment"]]
    replicas.append(overlay["chimera-2"]["environment"])
    for env in replicas:  # every replica alike: the same database, Chroma server and Redis
        assert env["CHIMERA_REDIS_URL"] == "redis://redis:6379/0"
        assert env["CHIMERA_DATABASE_URL"] == base["chimera"]["environment"]["CHIMERA_DATABASE_URL"]
        assert env["CHIMERA_CHROMA_URL"] == base["chimera"]["environment"]["CHIMERA_CHROMA_URL"]
    assert '".[cluster]"' in (ROOT / "Dockerfile").read_text()  # the image has saq and redis
