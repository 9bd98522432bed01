"""Chimera's own HTTP server: a health endpoint, plus the routes adapters add (Slack events)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

log = logging.getLogger(__name__)

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HealthCheck = Callable[[], Awaitable[bool]]
Figure = Callable[[], int | float]  # a number /healthz reports, e.g. the memory backlog


@dataclass(frozen=True)
class Route:
    """One HTTP route an adapter serves."""

    method: str
    path: str
    handler: RouteHandler


def create_app(
    routes: tuple[Route, ...] = (),
    checks: dict[str, HealthCheck] | None = None,
    figures: dict[str, Figure] | None = None,
) -> web.Application:
    """Build the aiohttp application: GET /healthz plus the given routes."""
    app = web.Application()
    app.router.add_get("/healthz", _health_handler(dict(checks or {}), dict(figures or {})))
    for route in routes:
        app.router.add_route(route.method, route.path, route.handler)
    return app


def _health_handler(checks: dict[str, HealthCheck], figures: dict[str, Figure]) -> RouteHandler:
    async def healthz(request: web.Request) -> web.Response:
        results = {name: await _run_check(name, check) for name, check in checks.items()}
        healthy = all(results.values())
        body: dict[str, object] = {
            "status": "ok" if healthy else "failing",
            "checks": {name: "ok" if ok else "failing" for name, ok in results.items()},
        }
        body |= {name: figure() for name, figure in figures.items()}
        return web.json_response(body, status=200 if healthy else 503)

    return healthz


async def _run_check(name: str, check: HealthCheck) -> bool:
    try:
        return bool(await check())
    except Exception:
        log.exception("health check %s raised", name)
        return False


class WebServer:
    """An owned HTTP server on host:port; adapters add routes before it starts."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8080) -> None:
        self.host = host
        self.port = port
        self._routes: list[Route] = []
        self._checks: dict[str, HealthCheck] = {}
        self._figures: dict[str, Figure] = {}
        self._runner: web.AppRunner | None = None

    def add_route(self, method: str, path: str, handler: RouteHandler) -> None:
        """Serve `handler` at `method path`; call before `start`."""
        if self._runner is not None:
            raise RuntimeError(f"cannot add {method} {path}: the web server is already running")
        self._routes.append(Route(method.upper(), path, handler))

    def add_check(self, name: str, check: HealthCheck) -> None:
        """Include a named check in /healthz (503 while any check fails)."""
        self._checks[name] = check

    def add_figure(self, name: str, figure: Figure) -> None:
        """Include a named number in /healthz's body."""
        self._figures[name] = figure

    @property
    def paths(self) -> tuple[str, ...]:
        """Return the paths adapters registered."""
        return tuple(route.path for route in self._routes)

    @property
    def url(self) -> str:
        """Return the base URL the server listens on (the real port when 0 was asked)."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Bind and start serving."""
        if self._runner is not None:
            return
        runner = web.AppRunner(
            create_app(tuple(self._routes), self._checks, self._figures), access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = _bound_port(runner, self.port)
        served = dict.fromkeys(_section(path) for path in ("/healthz", *self.paths))
        log.info("HTTP server listening on %s (%s)", self.url, ", ".join(served))

    async def close(self) -> None:
        """Stop serving and release the port."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()


def _section(path: str) -> str:
    """Return the first segment of a path: `/dashboard` for everything under it."""
    return "/" + path.strip("/").split("/", 1)[0]


def _bound_port(runner: web.AppRunner, asked: int) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return asked
