"""A consortium configuration: who answers, who arbitrates, and when to stop iterating."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

MAX_MEMBERS = 12
MAX_COUNT = 5
MAX_ITERATIONS = 10


class ConsortiumConfigError(ValueError):
    """A consortium configuration that does not validate; `problems` are user-facing."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class MemberSpec:
    """One member line: a persona id or a litellm model name, asked `count` times."""

    target: str
    count: int = 1

    def __str__(self) -> str:
        return self.target if self.count == 1 else f"{self.target}:{self.count}"


@dataclass(frozen=True)
class ConsortiumConfig:
    """Members with counts, the arbiter model, the confidence target and iteration bounds."""

    members: tuple[MemberSpec, ...]
    arbiter: str
    confidence_threshold: float = 0.8
    min_iterations: int = 1
    max_iterations: int = 3
    system_prompt: str = ""
    name: str = ""
    member_timeout_s: float = 60.0
    arbiter_timeout_s: float = 120.0

    @property
    def seat_count(self) -> int:
        """Return how many answers each iteration asks for."""
        return sum(member.count for member in self.members)

    def problems(self, personas: Collection[str] | None = None) -> list[str]:
        """List what is wrong with this configuration, in words a user can act on."""
        return [
            *_member_problems(self.members, personas),
            *_arbiter_problems(self.arbiter),
            *_threshold_problems(self.confidence_threshold),
            *_iteration_problems(self.min_iterations, self.max_iterations),
            *_timeout_problems(self.member_timeout_s, self.arbiter_timeout_s),
        ]

    def validated(self, personas: Collection[str] | None = None) -> ConsortiumConfig:
        """Return self if it validates, else raise ConsortiumConfigError with every problem."""
        if problems := self.problems(personas):
            raise ConsortiumConfigError(problems)
        return self

    def to_dict(self) -> dict[str, Any]:
        """Return the plain-data form, for storage and `consortium show`."""
        data = asdict(self)
        data["members"] = [{"target": m.target, "count": m.count} for m in self.members]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConsortiumConfig:
        """Build a configuration from its plain-data form (unknown keys are an error)."""
        values = dict(data)
        values["members"] = tuple(_member_from(item) for item in values.get("members", ()))
        try:
            return cls(**values)
        except TypeError as exc:
            raise ConsortiumConfigError([f"unknown or missing setting: {exc}"]) from None

    def describe(self) -> str:
        """Render the settings as lines for `consortium show`."""
        lines = [
            f"members: {', '.join(str(m) for m in self.members)}",
            f"arbiter: {self.arbiter}",
            f"confidence threshold: {round(self.confidence_threshold * 100)}%",
            f"iterations: {self.min_iterations} to {self.max_iterations}",
        ]
        if self.system_prompt:
            lines.append(f"system prompt: {self.system_prompt}")
        return "\n".join(lines)

    def with_changes(self, **changes: Any) -> ConsortiumConfig:
        """Return a copy with some settings replaced."""
        return replace(self, **changes)


def _member_from(item: Any) -> MemberSpec:
    if isinstance(item, MemberSpec):
        return item
    if isinstance(item, str):
        return parse_member(item)
    return MemberSpec(str(item.get("target", "")), int(item.get("count", 1)))


def parse_member(text: str) -> MemberSpec:
    """Parse `name` or `name:count`; a suffix that is not a number stays part of the name."""
    target, sep, count = text.strip().rpartition(":")
    if sep and count.strip().isdigit():
        return MemberSpec(target.strip(), int(count))
    return MemberSpec(text.strip(), 1)


def parse_members(text: str) -> tuple[MemberSpec, ...]:
    """Parse a comma- or space-separated member list such as `philosopher:2, openai/gpt-4o`."""
    parts = text.replace(",", " ").split()
    return tuple(parse_member(part) for part in parts)


def parse_threshold(text: str) -> float:
    """Read a confidence threshold written as `0.8`, `80` or `80%`."""
    value = float(text.strip().rstrip("%"))
    return value / 100 if value > 1 or text.strip().endswith("%") else value


def _member_problems(
    members: tuple[MemberSpec, ...], personas: Collection[str] | None
) -> list[str]:
    if not members:
        return ["add at least one member (a persona id or a model name such as openai/gpt-4o)"]
    problems = [p for member in members for p in _one_member(member, personas)]
    total = sum(member.count for member in members)
    if total > MAX_MEMBERS:
        problems.append(f"too many members: {total} in all, the most is {MAX_MEMBERS}")
    return problems


def _one_member(member: MemberSpec, personas: Collection[str] | None) -> list[str]:
    if not member.target:
        return ["a member has an empty name"]
    problems = []
    if not 1 <= member.count <= MAX_COUNT:
        problems.append(
            f"member '{member.target}': count must be 1 to {MAX_COUNT}, not {member.count}"
        )
    if personas is not None and "/" not in member.target and member.target not in personas:
        problems.append(
            f"member '{member.target}' is not a known persona; use a persona id "
            "or a model name with its provider, such as openai/gpt-4o"
        )
    return problems


def _arbiter_problems(arbiter: str) -> list[str]:
    if not arbiter.strip():
        return ["choose an arbiter model (a model name such as openai/gpt-4o)"]
    return []


def _threshold_problems(threshold: float) -> list[str]:
    if not 0 <= threshold <= 1:
        return [f"confidence threshold must be between 0 and 1 (e.g. 0.8), not {threshold:g}"]
    return []


def _iteration_problems(minimum: int, maximum: int) -> list[str]:
    problems = []
    if minimum < 1:
        problems.append(f"min iterations must be at least 1, not {minimum}")
    if maximum > MAX_ITERATIONS:
        problems.append(f"max iterations must be at most {MAX_ITERATIONS}, not {maximum}")
    if maximum < max(minimum, 1):
        problems.append(f"max iterations ({maximum}) must be at least min iterations ({minimum})")
    return problems


def _timeout_problems(member_s: float, arbiter_s: float) -> list[str]:
    problems = []
    if member_s <= 0:
        problems.append(f"member timeout must be positive, not {member_s:g}s")
    if arbiter_s <= 0:
        problems.append(f"arbiter timeout must be positive, not {arbiter_s:g}s")
    return problems
