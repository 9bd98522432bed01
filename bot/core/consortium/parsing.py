"""Robust reading of member confidences and arbiter verdicts from free model text.

Models format structured output loosely: a JSON object inside prose or a fenced block, the
XML-ish tags llm-consortium asks for (<synthesis>…</synthesis>), or a JSON object cut off
mid-string. The parser takes whatever fields it can find; a reply with no synthesis at all
is flagged malformed, kept raw, and given confidence 0. It never raises.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_NUMBER = r"([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*(%?)"
_CONFIDENCE = re.compile(
    r"<confidence>\s*" + _NUMBER + r"\s*</confidence>"
    r"|\bconfidence(?:\s+level)?\b\s*(?:is|of|[:=\-–—])?\s*\**\s*" + _NUMBER,
    re.IGNORECASE,
)
_CONFIDENCE_LINE = re.compile(
    r"\s*(?:<confidence>[^<]*</confidence>|\**\s*confidence(?:\s+level)?\b[^\n]*)\s*$",
    re.IGNORECASE,
)
_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
ARBITER_KEYS = (
    "synthesis",
    "confidence",
    "analysis",
    "dissent",
    "refinement_areas",
    "needs_iteration",
    "ranking",
)
_TRUE = {"true", "yes", "1", "y"}


@dataclass(frozen=True)
class Verdict:
    """The arbiter's structured output for one iteration.

    `needs_iteration` is None when the arbiter did not say; `malformed` means no synthesis
    could be found, so `synthesis` holds the raw reply and `confidence` is 0.
    """

    synthesis: str
    confidence: float
    analysis: str = ""
    dissent: str = ""
    refinement_areas: tuple[str, ...] = ()
    needs_iteration: bool | None = None
    ranking: tuple[str, ...] = ()
    malformed: bool = False
    missing: tuple[str, ...] = ()
    raw: str = ""


def parse_confidence(text: str) -> float | None:
    """Return the last stated confidence (`Confidence: 0.8`, `confidence 80%`) as 0–1."""
    matches = list(_CONFIDENCE.finditer(text or ""))
    if not matches:
        return None
    match = matches[-1]
    number, percent = (match.group(1), match.group(2)) if match.group(1) else match.group(3, 4)
    return to_unit(float(number), percent=bool(percent))


def to_unit(value: float, *, percent: bool = False) -> float | None:
    """Scale a confidence to 0–1 (`80` and `80%` become 0.8); None when out of range."""
    if percent or value > 1:
        value /= 100
    return value if 0 <= value <= 1 else None


def strip_confidence(text: str) -> str:
    """Return a member answer without its trailing confidence line, for display."""
    lines = (text or "").rstrip().splitlines()
    if lines and _CONFIDENCE_LINE.fullmatch(lines[-1]) and parse_confidence(lines[-1]) is not None:
        lines = lines[:-1]
    return "\n".join(lines).rstrip()


def parse_verdict(text: str) -> Verdict:
    """Read an arbiter reply in any of the shapes models produce; never raise."""
    raw = text or ""
    for reader in (_json_fields, _tag_fields, _loose_json_fields):
        fields = reader(raw)
        if isinstance(fields.get("synthesis"), str) and fields["synthesis"].strip():
            return _verdict_from(fields, raw)
    return Verdict(
        synthesis=raw.strip(), confidence=0.0, malformed=True, missing=ARBITER_KEYS, raw=raw
    )


def _verdict_from(fields: dict[str, Any], raw: str) -> Verdict:
    confidence = _confidence_of(fields.get("confidence"))
    return Verdict(
        synthesis=str(fields["synthesis"]).strip(),
        confidence=confidence if confidence is not None else 0.0,
        analysis=_text_of(fields.get("analysis")),
        dissent=_text_of(fields.get("dissent")),
        refinement_areas=_list_of(fields.get("refinement_areas")),
        needs_iteration=_bool_of(fields.get("needs_iteration")),
        ranking=_list_of(fields.get("ranking")),
        missing=_missing(fields, confidence),
        raw=raw,
    )


def _missing(fields: dict[str, Any], confidence: float | None) -> tuple[str, ...]:
    absent = [key for key in ARBITER_KEYS if key not in fields]
    if confidence is None and "confidence" in fields:
        absent.append("confidence")
    return tuple(absent)


# ---- JSON ---------------------------------------------------------------------------------


def _json_fields(text: str) -> dict[str, Any]:
    """Return the first JSON object (fenced or inline) that has a verdict key."""
    candidates = [*_FENCE.findall(text), text]
    for candidate in candidates:
        for obj in _json_objects(candidate):
            if any(key in obj for key in ARBITER_KEYS):
                return {k: v for k, v in obj.items() if k in ARBITER_KEYS}
    return {}


def _json_objects(text: str) -> list[dict[str, Any]]:
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    start = text.find("{")
    while start != -1:
        try:
            obj, end = decoder.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        if isinstance(obj, dict):
            found.append(obj)
        start = text.find("{", end)
    return found


def _loose_json_fields(text: str) -> dict[str, Any]:
    """Salvage `"key": value` pairs from JSON that is cut off or slightly broken."""
    fields: dict[str, Any] = {}
    for key in ARBITER_KEYS:
        match = re.search(rf'"{key}"\s*:\s*', text)
        if match:
            value = _loose_value(text[match.end() :])
            if value is not None:
                fields[key] = value
    return fields


def _loose_value(rest: str) -> Any:
    if rest.startswith('"'):
        body = re.match(r'"((?:\\.|[^"\\])*)', rest, re.DOTALL)
        return _unescape(body.group(1)) if body else None
    if rest.startswith("["):
        end = rest.find("]")
        inner = rest[1:end] if end != -1 else rest[1:]
        return [_unescape(s) for s in re.findall(r'"((?:\\.|[^"\\])*)"', inner)]
    scalar = re.match(r"(true|false|[0-9.]+)", rest, re.IGNORECASE)
    return scalar.group(1) if scalar else None


def _unescape(text: str) -> str:
    try:
        return str(json.loads(f'"{text}"'))
    except ValueError:
        return text.replace('\\"', '"').replace("\\n", "\n")


# ---- XML-ish tags -------------------------------------------------------------------------


def _tag_fields(text: str) -> dict[str, Any]:
    """Read llm-consortium style <synthesis>…</synthesis> tags."""
    fields: dict[str, Any] = {}
    for key in ARBITER_KEYS:
        match = re.search(rf"<{key}>(.*?)</{key}>", text, re.DOTALL | re.IGNORECASE)
        if match:
            fields[key] = _tag_value(key, match.group(1).strip())
    return fields


def _tag_value(key: str, body: str) -> Any:
    if key == "refinement_areas":
        areas = re.findall(r"<area>(.*?)</area>", body, re.DOTALL)
        return areas or _bullets(body)
    if key == "ranking":
        ranks = re.findall(r"<rank[^>]*>(.*?)</rank>", body, re.DOTALL)
        return ranks or [part for part in re.split(r"[,\n]", body)]
    return body


def _bullets(body: str) -> list[str]:
    lines = (re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line) for line in body.splitlines())
    return [line.strip() for line in lines if line.strip()]


# ---- field coercion -----------------------------------------------------------------------


def _confidence_of(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return to_unit(float(value))
    match = re.search(_NUMBER, str(value))
    return to_unit(float(match.group(1)), percent=bool(match.group(2))) if match else None


def _text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    return str(value).strip()


def _list_of(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = _bullets(value) if "\n" in value else [value]
    if not isinstance(value, list | tuple):
        value = [value]
    return tuple(str(item).strip() for item in value if str(item).strip())


def _bool_of(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUE
