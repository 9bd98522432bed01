"""The model gateway: every model call goes through litellm's Router here.

This is the only module that imports litellm, and it does so lazily (the import takes
seconds) so importing it stays cheap. Model names are litellm's and arrive at runtime (per
persona, per room), so each name becomes a Router deployment on first use; retries,
fallbacks, cooldowns and timeouts are the Router's own.

The offline demo model is a litellm custom provider (`bot.llm.offline.provider`), so it takes
the same Router path as a real model, streaming or not.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.llm.failures import reason_for
from bot.llm.loader import litellm_module
from bot.llm.offline.provider import HINTS_KEY, register_offline_model
from bot.llm.types import (
    OFFLINE_MODEL,
    ChatRequest,
    Completion,
    LLMError,
    Message,
    Usage,
    is_offline,
)

if TYPE_CHECKING:
    from litellm import Router


@dataclass(frozen=True)
class SharedRouterState:
    """Where the Routers of a cluster's processes keep their shared state: which provider
    deployments are cooling down after a 429 or an outage, and their usage this minute."""

    redis_url: str
    prefix: str  # keeps two deployments of Chimera on one Redis apart

    def router_options(self) -> dict[str, Any]:
        """Return the Router's own options for it."""
        return {"redis_url": self.redis_url, "cache_kwargs": {"namespace": f"{self.prefix}:llm"}}


RATE_LIMITS_ALLOWED = 3  # 429s in a minute before a model rests


class LiteLLMGateway:
    """The LLM interface on litellm's Router; builds the Router once, on first use.

    With `shared` (cluster mode), the Router keeps its cooldowns and usage counts in Redis,
    so a provider that rate-limits one process is given a rest by all of them.
    """

    def __init__(
        self,
        *,
        default_model: str,
        fallbacks: dict[str, list[str]] | None = None,
        num_retries: int = 2,
        timeout_s: float = 60.0,
        api_bases: dict[str, str] | None = None,
        api_keys: dict[str, str] | None = None,
        clock: Callable[[], float] = time.perf_counter,
        shared: SharedRouterState | None = None,
    ) -> None:
        self.default_model = default_model
        self._shared = shared
        self._fallbacks = dict(fallbacks or {})
        self._num_retries = num_retries
        self._timeout_s = timeout_s
        self._api_bases = dict(api_bases or {})
        self._api_keys = dict(api_keys or {})
        self._clock = clock
        self._router: Router | None = None
        self._priced: dict[str, bool] = {}  # model -> has a price in litellm's map
        self._warmed = False
        self._accepts: dict[tuple[str, str], bool] = {}  # (model, parameter) -> supported

    async def warm(self) -> None:
        """Import litellm (seconds of CPU) off the event loop and build the Router now.

        A process that serves rooms calls this before its first turn, which would otherwise
        pay the import on the event loop and hold every other room up meanwhile. Only the
        first call does anything.
        """
        if self._warmed:
            return
        self._warmed = True
        await asyncio.to_thread(litellm_module)
        self._ensure_group(self.default_model, None)
        # One offline call (no network, no cost) runs litellm's lazy set-up of the call path.
        await self.complete(ChatRequest(OFFLINE_MODEL, (Message("user", "Warm up."),)))

    async def complete(self, request: ChatRequest) -> Completion:
        """Return the whole completion, after the Router's retries and fallbacks."""
        model, timeout_s = request.model or self.default_model, self._timeout(request)
        start = self._clock()
        try:
            call = self._prepare(request)
            response = await self._ensure_router().acompletion(**call)
        except Exception as exc:
            raise LLMError(model, reason_for(exc, timeout_s)) from exc
        text = response.choices[0].message.content or ""
        used = _used_model(response, model)
        usage = self._usage(
            used, call["messages"], response.usage, text, start, _priced_by(response)
        )
        return Completion(text, usage)

    async def stream(self, request: ChatRequest) -> AsyncIterator[str | Completion]:
        """Yield text deltas as they arrive, then one final Completion with the usage."""
        model, timeout_s = request.model or self.default_model, self._timeout(request)
        start = self._clock()
        parts: list[str] = []
        reported = response = None
        try:
            call = self._prepare(request)
            response = await self._ensure_router().acompletion(**call, stream=True)
            async for chunk in response:
                reported = getattr(chunk, "usage", None) or reported
                if delta := _delta(chunk):
                    parts.append(delta)
                    yield delta
        except Exception as exc:
            raise LLMError(model, reason_for(exc, timeout_s)) from exc
        finally:
            # A consumer that stops early must not leave the HTTP stream open.
            if response is not None:
                await response.aclose()
        text = "".join(parts)
        used = _used_model(response, model)
        yield Completion(text, self._usage(used, call["messages"], reported, text, start))

    def _timeout(self, request: ChatRequest) -> float:
        return request.timeout_s or self._timeout_s

    def _prepare(self, request: ChatRequest) -> dict[str, Any]:
        """Make sure the model has a deployment and build the Router call's arguments."""
        model = request.model or self.default_model
        group = self._ensure_group(model, request.api_base)
        call: dict[str, Any] = {
            "model": group,
            "messages": [m.as_dict() for m in request.messages],
            "timeout": self._timeout(request),
            "metadata": {HINTS_KEY: dict(request.hints)},
            # Ask for a final usage chunk when streaming; dropped where unsupported.
            "stream_options": {"include_usage": True},
        }
        for name in ("temperature", "max_tokens", "seed"):
            if (value := getattr(request, name)) is not None:
                call[name] = value
        if request.stop and self._takes(model, "stop"):
            call["stop"] = list(request.stop)
        if request.schema is not None and self._takes(model, "response_schema"):
            call["response_format"] = {"type": "json_schema", "json_schema": dict(request.schema)}
        return call

    def _takes(self, model: str, param: str) -> bool:
        """Tell (once per model) whether litellm says the model accepts a parameter."""
        key = (model, param)
        if (known := self._accepts.get(key)) is None:
            known = self._accepts[key] = _accepts(litellm_module(), model, param)
        return known

    def _ensure_router(self) -> Router:
        if self._router is None:
            register_offline_model()
            litellm = litellm_module()
            from litellm.types.router import AllowedFailsPolicy

            self._router = _router_class(litellm)(
                model_list=[],
                # A model answering "rate limited" more often than this in a minute (in all
                # processes, in a cluster) rests for litellm's cooldown; calls go to its
                # fallbacks meanwhile. One model is one deployment, which litellm would
                # otherwise never cool down on a 429.
                allowed_fails_policy=AllowedFailsPolicy(
                    RateLimitErrorAllowedFails=RATE_LIMITS_ALLOWED
                ),
                fallbacks=[{m: list(fb)} for m, fb in self._fallbacks.items()],
                num_retries=self._num_retries,
                timeout=self._timeout_s,
                **(self._shared.router_options() if self._shared else {}),
            )
        return self._router

    def _ensure_group(self, model: str, api_base: str | None) -> str:
        """Add deployments for a model (and its fallbacks) the first time it is used."""
        router = self._ensure_router()
        # A per-request api_base is its own deployment group, with the model's fallbacks.
        group = f"{model}@{api_base}" if api_base else model
        if group in router.model_names:
            return group
        self._add_deployment(group, model, api_base)
        fallbacks = self._fallbacks.get(model, [])
        for fallback in fallbacks:
            if fallback not in router.model_names:
                self._add_deployment(fallback, fallback, None)
        if group != model and fallbacks:
            router.fallbacks = [*(router.fallbacks or []), {group: list(fallbacks)}]
        return group

    def _add_deployment(self, group: str, model: str, api_base: str | None) -> None:
        from litellm.types.router import Deployment, LiteLLM_Params

        params: dict[str, Any] = {"model": model, "drop_params": True}
        if base := api_base or self._api_bases.get(model):
            params["api_base"] = base
        if key := self._api_keys.get(model):
            params["api_key"] = key
        # The same id in every process, so a cluster's Routers share its cooldown in Redis.
        named = "\0".join((group, *(f"{k}={v}" for k, v in sorted(params.items()))))
        info = {"id": hashlib.sha256(named.encode()).hexdigest()[:24]}
        router = self._ensure_router()
        router.add_deployment(
            Deployment(model_name=group, litellm_params=LiteLLM_Params(**params), model_info=info)
        )

    def _usage(
        self,
        model: str,
        messages: list[dict[str, str]],
        reported: Any,
        text: str,
        start: float,
        reported_cost: float | None = None,
    ) -> Usage:
        """Take token counts from the provider, counting them with litellm when it gave none.

        `reported_cost` is the price litellm already put on a whole response from the
        provider's counts; a stream's final counts are priced here.
        """
        latency_ms = (self._clock() - start) * 1000
        litellm = litellm_module()
        prompt = getattr(reported, "prompt_tokens", 0) or litellm.token_counter(
            model=model, messages=messages
        )
        completion = getattr(reported, "completion_tokens", 0) or (
            litellm.token_counter(model=model, text=text) if text else 0
        )
        if (priced := self._priced.get(model)) is None:
            priced = self._priced[model] = _has_price(litellm, model)
        if not priced:
            cost = None
        elif reported_cost is not None and getattr(reported, "prompt_tokens", None):
            cost = reported_cost
        else:
            cost = _cost(litellm, model, prompt, completion)
        return Usage(model, prompt, completion, cost, latency_ms)


@functools.cache
def _router_class(litellm: Any) -> type[Router]:
    """Build litellm's Router with its per-deployment model info worked out once.

    The Router looks a deployment's model info up (a deep copy of litellm's price map entry,
    about a tenth of a call's CPU) after every call, only to find the rate limits it tracks
    usage against. A deployment's info changes only when deployments are added, which clears
    the memo.
    """

    class MemoRouter(litellm.Router):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.model_infos: dict[tuple[str, str, str | None], Any] = {}
            super().__init__(*args, **kwargs)

        def get_router_model_info(
            self, deployment: Any, received_model_name: str, id: str | None = None
        ) -> Any:
            named = (deployment.get("model_info") or {}) if deployment is not None else {}
            deployment_id = named.get("id")
            if deployment_id is None and id is None:
                return super().get_router_model_info(deployment, received_model_name, id)
            key = (str(deployment_id), received_model_name, id)
            if key not in self.model_infos:
                self.model_infos[key] = super().get_router_model_info(
                    deployment, received_model_name, id
                )
            info = self.model_infos[key]
            return dict(info) if info is not None else None

        def add_deployment(self, *args: Any, **kwargs: Any) -> Any:
            self.model_infos.clear()
            return super().add_deployment(*args, **kwargs)

    return MemoRouter


def _delta(chunk: Any) -> str:
    choices = getattr(chunk, "choices", None) or []
    return (choices[0].delta.content or "") if choices else ""


def _used_model(response: Any, requested: str) -> str:
    """Name the deployment that answered, which is a fallback's when one was used."""
    hidden = getattr(response, "_hidden_params", None) or {}
    return str(hidden.get("litellm_model_name") or requested)


def _priced_by(response: Any) -> float | None:
    """Return the cost litellm computed for a response while logging it, if it did."""
    cost = (getattr(response, "_hidden_params", None) or {}).get("response_cost")
    return float(cost) if isinstance(cost, int | float) else None


def _cost(litellm: Any, model: str, prompt: int, completion: int) -> float | None:
    """Price the tokens of a priced model with litellm."""
    counts = litellm.Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )
    # Priced from the final counts, which are litellm's own when a stream reported none.
    priced = litellm.ModelResponse(model=model, usage=counts)
    try:
        return float(litellm.completion_cost(completion_response=priced, model=model))
    except Exception:
        # litellm raises for models missing from its price map; unknown cost is not a failure.
        return None


def _accepts(litellm: Any, model: str, param: str) -> bool:
    """Ask litellm whether a model takes `stop` or can follow a JSON schema."""
    if is_offline(model):
        return False  # the offline writer reads its hints, not these parameters
    try:
        if param == "response_schema":
            return bool(litellm.supports_response_schema(model=model))
        provider = model.split("/", 1)[0] if "/" in model else None
        name = model.split("/", 1)[1] if provider else model
        params = litellm.get_supported_openai_params(model=name, custom_llm_provider=provider)
    except Exception:
        return False  # a model litellm does not know: leave the parameter out
    return param in (params or [])


def _has_price(litellm: Any, model: str) -> bool:
    """Tell whether litellm's price map has real prices for a model."""
    try:
        key = litellm.get_model_info(model)["key"]
    except Exception:
        return False
    # The Router files an empty price entry for every deployment it adds, so an entry alone
    # (which completion_cost would price at 0.0) does not mean the model is priced.
    entry = litellm.model_cost.get(key) or {}
    return entry.get("input_cost_per_token") is not None
