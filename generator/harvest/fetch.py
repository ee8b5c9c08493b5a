"""HTTP for the harvesters: one client with timeouts, retries with backoff, a size limit and a User-Agent.

Every failure becomes a :class:`FetchError` with a message a publisher can act on (which URL, what went
wrong); nothing here knows about catalogues.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from .. import __version__
from .errors import FetchError

MAX_BYTES = 200 * 1024 * 1024  # one page of a catalogue; a 10,000-dataset Turtle page is ~3 MB
RETRIED_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Page:
    """One fetched document: the URL it was finally read from, its media type (no parameters), its bytes."""

    url: str
    media_type: str
    content: bytes


class Fetcher:
    """A polite HTTP client. ``sleep`` is injectable so tests of the backoff do not wait."""

    def __init__(
        self,
        base_url: str = "",
        *,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_bytes: int = MAX_BYTES,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ):
        self.user_agent = f"portal-harvester/{__version__}" + (f" (+{base_url})" if base_url else "")
        self.retries = retries
        self.backoff = backoff
        self.max_bytes = max_bytes
        self.sleep = sleep
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"User-Agent": self.user_agent},
            follow_redirects=True,
            max_redirects=5,
            transport=transport,
        )
        self.requests = 0

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, *, accept: str = "*/*", params: dict[str, Any] | None = None) -> Page:
        """GET ``url``; retries connection errors and 429/5xx answers, raises :class:`FetchError`."""
        if not url.startswith(("http://", "https://")):
            raise FetchError(f"cannot fetch {url}: only http(s) URLs are harvested")
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._get_once(url, accept, params)
            except _Retry as exc:
                if attempt > self.retries:
                    raise FetchError(f"{exc.what} (after {attempt} attempts)") from None
                self.sleep(exc.wait if exc.wait is not None else self.backoff * 2 ** (attempt - 1))

    def get_json(self, url: str, *, params: dict[str, Any] | None = None) -> Any:
        """GET and decode a JSON document (a :class:`FetchError` when it is not JSON)."""
        page = self.get(url, accept="application/json", params=params)
        return decode_json(page)

    def _get_once(self, url: str, accept: str, params: dict[str, Any] | None) -> Page:
        self.requests += 1
        try:
            with self.client.stream("GET", url, headers={"Accept": accept}, params=params) as response:
                if response.status_code in RETRIED_STATUS:
                    raise _Retry(f"{url} answered HTTP {response.status_code}", _retry_after(response))
                if response.status_code >= 400:
                    raise FetchError(f"{url} answered HTTP {response.status_code} {response.reason_phrase}")
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    raise FetchError(f"{url} is {int(declared)} bytes, over the limit of {self.max_bytes}")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FetchError(f"{url} is over the limit of {self.max_bytes} bytes")
                    chunks.append(chunk)
                media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                return Page(str(response.url), media_type, b"".join(chunks))
        except httpx.TimeoutException:
            raise _Retry(f"{url} did not answer in time", None) from None
        except httpx.TooManyRedirects:
            raise FetchError(f"{url} redirects too many times") from None
        except httpx.TransportError as exc:  # connection refused, DNS, TLS, broken transfer
            raise _Retry(f"cannot reach {url}: {_reason(exc)}", None) from None
        except httpx.InvalidURL as exc:
            raise FetchError(f"cannot fetch {url}: {exc}") from None


class _Retry(Exception):
    def __init__(self, what: str, wait: float | None):
        super().__init__(what)
        self.what = what
        self.wait = wait


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return min(float(value), 60.0) if value.isdigit() else None


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


def decode_json(page: Page) -> Any:
    import json

    try:
        return json.loads(page.content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FetchError(f"{page.url} is not JSON: {_reason(exc)}") from None
