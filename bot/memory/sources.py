"""Where a document to ingest comes from: an upload, a local file (terminal only), or a URL."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

MAX_BYTES = 25 * 1024 * 1024
FETCH_TIMEOUT_S = 30.0
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Headers that carry credentials: sent only to the origin they were meant for.
_CREDENTIALS = frozenset({"authorization", "cookie", "proxy-authorization"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_FORMATS = {
    "application/pdf": "pdf",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/plain": "text",
}


class SourceError(ValueError):
    """A document cannot be fetched or read; the message says why."""


@dataclass(frozen=True)
class Document:
    """The bytes of a document, its name, where it came from and, if known, its format."""

    name: str
    data: bytes
    source: str
    format: str | None = None


def is_url(text: str) -> bool:
    """Tell whether `text` is an http(s) URL."""
    parts = urlsplit(text.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def format_of(content_type: str) -> str | None:
    """Return the document format a Content-Type names, or None to guess from the content."""
    return _FORMATS.get(content_type.split(";")[0].strip().lower())


async def read_path(path: str, *, max_bytes: int = MAX_BYTES) -> Document:
    """Read a local file (in a worker thread)."""
    return await asyncio.to_thread(_read_file, path, max_bytes)


def _read_file(path: str, max_bytes: int) -> Document:
    file = Path(path).expanduser()
    try:
        size = file.stat().st_size
        if size > max_bytes:
            raise SourceError(f"{file.name} is {_size(size)}; the limit is {_size(max_bytes)}")
        return Document(file.name, file.read_bytes(), str(file.resolve()))
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None


async def fetch_url(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    max_bytes: int = MAX_BYTES,
    timeout_s: float = FETCH_TIMEOUT_S,
    public_only: bool = False,
) -> Document:
    """Download a document over http(s), refusing one larger than `max_bytes`.

    With `public_only`, every address the download would connect to (redirects included)
    must be a public one, so a URL someone typed cannot reach the bot's own network.
    Credentials in `headers` go only to the first URL's origin: a redirect elsewhere (another
    scheme, host or port) is followed without them, as aiohttp does for its own redirects.
    """
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    connector = aiohttp.TCPConnector(resolver=PublicResolver()) if public_only else None
    try:
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            where, sent = url, dict(headers or {})
            for _ in range(MAX_REDIRECTS + 1):
                if public_only:
                    _refuse_private_literal(where)
                async with session.get(where, headers=sent, allow_redirects=False) as response:
                    if response.status in _REDIRECTS and "Location" in response.headers:
                        target = urljoin(where, response.headers["Location"])
                        if origin_of(target) != origin_of(where):
                            sent = without_credentials(sent)
                        where = target
                        continue
                    if response.status != 200:
                        raise SourceError(f"downloading {url} failed: HTTP {response.status}")
                    data = await _read_limited(response, max_bytes)
                    kind = format_of(response.headers.get("Content-Type", ""))
                    return Document(name_of(url), data, url, kind)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise SourceError(f"cannot download {url}: {exc or type(exc).__name__}") from None
    raise SourceError(f"downloading {url} failed: more than {MAX_REDIRECTS} redirects")


def origin_of(url: str) -> tuple[str, str, int | None]:
    """Return a URL's origin: its scheme, host and port (the scheme's default if none)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


def without_credentials(headers: dict[str, str]) -> dict[str, str]:
    """Return the headers less those that carry credentials."""
    return {name: value for name, value in headers.items() if name.lower() not in _CREDENTIALS}


class PrivateAddressError(SourceError):
    """A download would connect to a private, loopback or otherwise non-public address."""


class PublicResolver(AbstractResolver):
    """Resolves names as aiohttp does, but only to public addresses."""

    def __init__(self) -> None:
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Return the host's public addresses; raise if it has none."""
        found = await self._inner.resolve(host, port, family)
        public = [entry for entry in found if _is_public(entry["host"])]
        if not public:
            raise PrivateAddressError(_private_message(host))
        return public

    async def close(self) -> None:
        """Close the underlying resolver."""
        await self._inner.close()


def _refuse_private_literal(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return  # a name: the resolver checks where it points
    if not _is_public(host):
        raise PrivateAddressError(_private_message(host))


def _is_public(address: Any) -> bool:
    return ipaddress.ip_address(str(address).split("%")[0]).is_global


def _private_message(host: str) -> str:
    return (
        f"{host} is a private or local address, which `ingest` does not download from; "
        "attach the file instead, or set CHIMERA_INGEST_PRIVATE_URLS=true to allow it"
    )


async def _read_limited(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    if (response.content_length or 0) > max_bytes:
        size = _size(response.content_length or 0)
        raise SourceError(f"the document is {size}; the limit is {_size(max_bytes)}")
    data = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        data += chunk
        if len(data) > max_bytes:
            raise SourceError(f"the document is larger than {_size(max_bytes)}")
    return bytes(data)


def name_of(url: str) -> str:
    """Return a document name for a URL: its last path segment, else its host."""
    parts = urlsplit(url)
    last = unquote(PurePosixPath(parts.path).name)
    return last or parts.netloc


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"
