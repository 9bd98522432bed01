"""litellm, imported once on first use, offline-safe and quiet (the import takes seconds)."""

from __future__ import annotations

import functools
import logging
import os
from typing import Any

_LITELLM_LOGGERS = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy")


@functools.cache
def litellm_module() -> Any:
    """Import and set up litellm once, on first use, offline-safe and quiet."""
    # Without this, importing litellm fetches the model price map from the network.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    litellm.telemetry = False
    if "LITELLM_LOG" not in os.environ:
        # The Router logs every failed attempt at ERROR; the gateway raises LLMError instead.
        for name in _LITELLM_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)
    return litellm
