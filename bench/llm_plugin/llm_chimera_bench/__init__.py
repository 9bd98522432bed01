"""Fake `llm` models with a fixed latency, answering like Chimera's fake OpenAI server.

`bench-member` answers with a confidence tag; `bench-arbiter` answers in the XML layout
llm-consortium's arbiter prompt asks for. Each call sleeps CHIMERA_BENCH_LATENCY_S
(default 0.5) seconds, the same fixed latency the Chimera side gets from its fake server.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import llm

MEMBER_TEXT = "The answer is 42, for the usual reasons.\n<confidence>0.9</confidence>"
ARBITER_TEXT = """<synthesis_output>
<analysis>All members agree.</analysis>
<dissent>None.</dissent>
<synthesis>The answer is 42.</synthesis>
<confidence>0.9</confidence>
<refinement_areas></refinement_areas>
<needs_iteration>false</needs_iteration>
<ranking><rank position="1">1</rank></ranking>
</synthesis_output>"""


def latency_s() -> float:
    """Return the fixed latency per call."""
    return float(os.environ.get("CHIMERA_BENCH_LATENCY_S", "0.5"))


class _FixedLatency(llm.Model):
    can_stream = False
    text = ""

    def execute(self, prompt: Any, stream: bool, response: Any, conversation: Any) -> Iterator[str]:
        """Wait the fixed latency, then answer."""
        time.sleep(latency_s())
        yield self.text


class BenchMember(_FixedLatency):
    model_id = "bench-member"
    text = MEMBER_TEXT


class BenchArbiter(_FixedLatency):
    model_id = "bench-arbiter"
    text = ARBITER_TEXT


@llm.hookimpl
def register_models(register: Any) -> None:
    """Register the two fake models."""
    register(BenchMember())
    register(BenchArbiter())
