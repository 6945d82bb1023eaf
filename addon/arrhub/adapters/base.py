"""The base every adapter stands on: one choke point for talking to an upstream.

`Adapter.call()` wraps any single upstream operation (an HTTP request, an SCGI call)
with the instance's circuit breaker, concurrency limit, throttle and timeout, retries
idempotent operations on transient failures with jittered backoff (honouring
`Retry-After`), and maps every transport failure onto `adapters.errors`.
`Adapter.request()` is that for HTTP: auth headers, no redirects (a redirect would carry
the API key elsewhere and usually means a wrong URL), a cap on the reply size, and status
codes mapped to errors. Replies are parsed at the boundary with `parse()` into pydantic
models that ignore unknown fields, so a newer upstream version adding fields still works
and a reply of the wrong shape becomes `BadResponse`, never a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, cast, overload

import aiohttp
from multidict import CIMultiDictProxy
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel
from yarl import URL

from arrhub.adapters.errors import (
    AuthFailed,
    BadResponse,
    CircuitOpen,
    NotFoundUpstream,
    RateLimitedUpstream,
    ServerError,
    TlsError,
    Unreachable,
    UpstreamFailure,
    UpstreamTimeout,
)
from arrhub.adapters.resilience import CircuitBreaker, RetryPolicy, Throttle, backoff_delay
from arrhub.models.instances import Category, InstanceConfig, InstanceType
from arrhub.models.upstream import HealthReport, LogEntry, ProbeResult

LOGGER = logging.getLogger(__name__)

DEFAULT_MAX_REPLY = 16 * 1024 * 1024
LIBRARY_MAX_REPLY = 512 * 1024 * 1024
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
SNIPPET = 160


class UpstreamModel(BaseModel):
    """Raw upstream replies: unknown fields ignored, camelCase accepted."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, alias_generator=to_camel)


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


@lru_cache(maxsize=512)
def _adapter_for(target: Any) -> TypeAdapter[Any]:
    return TypeAdapter(target)


class Truncated(BadResponse):
    """The connection dropped mid-reply: worth a retry."""

    transient = True


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    url: str

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def snippet(self) -> str:
        text = self.body[:SNIPPET].decode("utf-8", "replace")
        return " ".join(text.split())

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON, or `BadResponse` saying what came instead."""
        if not self.body.strip():
            raise BadResponse(f"expected JSON from {self.url}, got an empty reply")
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            kind = self.content_type or "an unknown type"
            raise BadResponse(
                f"expected JSON from {self.url}, got {kind}: {self.snippet()!r}"
            ) from None


def retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, moment.timestamp() - time.time())


class Adapter:
    """One upstream instance. Subclasses set the class facts and implement `probe()`."""

    kind: ClassVar[InstanceType]
    display_name: ClassVar[str]
    category: ClassVar[Category]
    capabilities: ClassVar[frozenset[str]] = frozenset()
    options_model: ClassVar[type[BaseModel]] = NoOptions
    #: Credential fields this type needs (`api_key`, `username`, `password`) ...
    required_fields: ClassVar[tuple[str, ...]] = ("api_key",)
    #: ... and those it can use but does not need.
    optional_fields: ClassVar[tuple[str, ...]] = ()
    default_port: ClassVar[int | None] = None
    #: Sessions that need a login before the first call (qBittorrent, Deluge, ...).
    needs_login: ClassVar[bool] = False

    def __init__(self, config: InstanceConfig, session: aiohttp.ClientSession) -> None:
        self.config = config
        self.session = session
        common = config.common()
        self.options = self.options_model.model_validate(
            {k: v for k, v in config.options.items() if k not in common.model_fields}
        )
        self.base_url = config.url.rstrip("/")
        self.timeout = common.timeout
        self.library_timeout = common.library_timeout
        self.retry_policy = RetryPolicy()
        self.breaker = CircuitBreaker()
        self.max_reply_bytes = DEFAULT_MAX_REPLY
        self._semaphore = asyncio.Semaphore(common.max_concurrency)
        self._throttle = Throttle(common.rate_per_second, burst=max(2, int(common.rate_per_second)))
        self._last_failure: UpstreamFailure | None = None
        self._logged_in = False
        self._login_lock = asyncio.Lock()
        # False turns verification off for self-signed upstreams; True is the default context.
        self._ssl: ssl.SSLContext | bool = config.verify_tls

    # ---- what subclasses provide ---------------------------------------------------------

    async def probe(self) -> ProbeResult:
        """Prove this is the service it claims to be, and learn its version."""
        raise NotImplementedError

    async def health(self) -> HealthReport:
        """Version and the upstream's own health messages; by default just the version."""
        probe = await self.probe()
        return HealthReport(version=probe.version, messages=[])

    async def logs(self, limit: int = 100) -> list[LogEntry]:
        from arrhub.adapters.errors import Unsupported

        raise Unsupported(f"{self.display_name} has no log API")

    async def collect(self) -> dict[str, Any]:
        """Everything the collector keeps for this instance, as JSON-able data."""
        report = await self.health()
        return {"health": report.model_dump(mode="json")}

    def is_active(self, data: Mapping[str, Any]) -> bool:
        """Is something happening (downloads, streams) so the collector should poll fast?"""
        return False

    def auth_headers(self) -> dict[str, str]:
        return {}

    def auth_params(self) -> dict[str, str]:
        return {}

    async def login(self) -> None:
        """Open an authenticated session; only for types with `needs_login`."""

    async def close(self) -> None:
        """Release what the adapter holds (a session at the upstream, a socket)."""

    # ---- the choke point ---------------------------------------------------------------

    @property
    def label(self) -> str:
        return f"{self.display_name} '{self.config.name}'"

    async def call[T](
        self,
        operation: Callable[[], Awaitable[T]],
        *,
        idempotent: bool,
        timeout: float | None = None,
    ) -> T:
        """Run one upstream operation with breaker, limits, timeout and retries."""
        limit = self.timeout if timeout is None else timeout
        attempt = 0
        while True:
            attempt += 1
            if not self.breaker.allow():
                last = self._last_failure
                raise CircuitOpen(
                    f"{self.label} failed {self.breaker.failures} times in a row"
                    + (f" ({last.message})" if last else "")
                    + f"; next try in {self.breaker.retry_in():.0f} s",
                    reason=last.reason if last else None,
                )
            try:
                async with self._semaphore:
                    await self._throttle.acquire()
                    async with asyncio.timeout(limit):
                        result = await operation()
            except TimeoutError:
                error: UpstreamFailure = UpstreamTimeout(
                    f"{self.label}: no reply within {limit:g} s"
                )
            except UpstreamFailure as failure:
                error = failure
            else:
                self.breaker.record_success()
                return result
            if error.transient:
                self.breaker.record_failure()
                self._last_failure = error
            else:
                self.breaker.record_success()  # it answered: the instance is alive
            retry_after = error.retry_after if isinstance(error, RateLimitedUpstream) else None
            delay = (
                backoff_delay(self.retry_policy, attempt, retry_after)
                if idempotent and error.transient
                else None
            )
            if delay is None:
                raise error
            LOGGER.debug("%s: %s; retry %d in %.2f s", self.label, error, attempt, delay)
            await asyncio.sleep(delay)

    def url(self, path: str) -> URL:
        return URL(f"{self.base_url}/{path.lstrip('/')}", encoded=False)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        timeout: float | None = None,
        max_bytes: int | None = None,
        ok: Callable[[int], bool] | None = None,
        authenticate: bool = True,
    ) -> Reply:
        """One HTTP request to this instance, with every safeguard of `call()`."""
        method = method.upper()
        repeatable = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        relogged = False
        while True:
            if authenticate and self.needs_login and not self._logged_in:
                await self.ensure_login()
            merged_headers = {**(self.auth_headers() if authenticate else {}), **(headers or {})}
            merged_params = {**(self.auth_params() if authenticate else {}), **(params or {})}
            try:
                send = functools.partial(
                    self._send, method, path, merged_params, json_body, data, merged_headers,
                    max_bytes, ok,
                )  # fmt: skip
                return await self.call(
                    send,
                    idempotent=repeatable,
                    timeout=timeout,
                )
            except AuthFailed:
                # A session may have expired upstream: log in again once, then give up.
                if not (authenticate and self.needs_login) or relogged:
                    raise
                relogged = True
                self._logged_in = False

    async def ensure_login(self) -> None:
        async with self._login_lock:
            if not self._logged_in:
                await self.login()
                self._logged_in = True

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any],
        json_body: Any,
        data: Any,
        headers: Mapping[str, str],
        max_bytes: int | None,
        ok: Callable[[int], bool] | None,
    ) -> Reply:
        cap = max_bytes or self.max_reply_bytes
        target = self.url(path)
        with transport_errors(self.label, target):
            async with self.session.request(
                method,
                target,
                params=query_params(params),
                json=json_body,
                data=data,
                headers=headers,
                ssl=self._ssl,
                allow_redirects=False,
            ) as resp:
                declared = resp.content_length
                if declared is not None and declared > cap:
                    raise BadResponse(f"{self.label}: reply of {declared} bytes exceeds {cap}")
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.content.iter_chunked(65536):
                    size += len(chunk)
                    if size > cap:
                        raise BadResponse(f"{self.label}: reply larger than {cap} bytes")
                    chunks.append(chunk)
                reply = Reply(resp.status, resp.headers, b"".join(chunks), str(target))
        if ok is not None and ok(reply.status):
            return reply
        self.check_status(reply)
        return reply

    def check_status(self, reply: Reply) -> None:
        status = reply.status
        if 200 <= status < 300:
            return
        if 300 <= status < 400:
            where = reply.headers.get("Location", "elsewhere")
            raise BadResponse(
                f"{self.label} redirected to {where}: check the URL (scheme, port, URL base)",
                http_status=status,
            )
        if status in (401, 403):
            raise AuthFailed(
                f"{self.label} rejected the credentials ({status})", http_status=status
            )
        if status == 404:
            raise NotFoundUpstream(f"{self.label}: {reply.url} not found", http_status=404)
        if status == 429:
            raise RateLimitedUpstream(
                f"{self.label} asks to slow down",
                retry_after=retry_after_seconds(reply.headers.get("Retry-After")),
            )
        if status >= 500:
            raise ServerError(
                f"{self.label} failed with {status}: {reply.snippet()!r}", http_status=status
            )
        raise BadResponse(
            f"{self.label} answered {status}: {reply.snippet()!r}", http_status=status
        )

    async def get_json(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        max_bytes: int | None = None,
    ) -> Any:
        reply = await self.request("GET", path, params=params, timeout=timeout, max_bytes=max_bytes)
        return reply.json()

    def parse[T](self, target: type[T] | Any, data: Any) -> T:
        """Validate upstream data into `target`; a wrong shape becomes `BadResponse`."""
        try:
            value: T = _adapter_for(cast(Hashable, target)).validate_python(data)
        except ValidationError as err:
            first = err.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "reply"
            raise BadResponse(
                f"{self.label} sent an unexpected reply: {where}: {first['msg']}"
            ) from None
        return value


@overload
async def gather_all[A, B](
    a: Coroutine[Any, Any, A], b: Coroutine[Any, Any, B], /
) -> tuple[A, B]: ...
@overload
async def gather_all[A, B, C](
    a: Coroutine[Any, Any, A], b: Coroutine[Any, Any, B], c: Coroutine[Any, Any, C], /
) -> tuple[A, B, C]: ...
@overload
async def gather_all[A, B, C, D](
    a: Coroutine[Any, Any, A],
    b: Coroutine[Any, Any, B],
    c: Coroutine[Any, Any, C],
    d: Coroutine[Any, Any, D],
    /,
) -> tuple[A, B, C, D]: ...
@overload
async def gather_all[T](*coros: Coroutine[Any, Any, T]) -> tuple[T, ...]: ...
async def gather_all(*coros: Coroutine[Any, Any, Any]) -> tuple[Any, ...]:
    """Run calls concurrently; on the first failure cancel the rest and raise that failure.

    Unlike `asyncio.gather`, nothing keeps running after a failure (no orphaned requests),
    and the caller sees the upstream's own error, not an ExceptionGroup.
    """
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(coro) for coro in coros]
    except BaseExceptionGroup as failures:
        leaves = _leaves(failures)
        first = next((e for e in leaves if isinstance(e, UpstreamFailure)), leaves[0])
        raise first from None
    return tuple(task.result() for task in tasks)


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    found: list[BaseException] = []
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            found.extend(_leaves(error))
        else:
            found.append(error)
    return found


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def query_params(params: Mapping[str, Any]) -> dict[str, str] | None:
    """Query parameters as aiohttp wants them: None left out, booleans as `true`/`false`."""
    return {k: _param(v) for k, v in params.items() if v is not None} or None


@contextlib.contextmanager
def transport_errors(label: str, target: URL) -> Iterator[None]:
    """aiohttp's failures as the adapter errors: one mapping for whole and streamed reads."""
    try:
        yield
    except (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError) as err:
        raise TlsError(f"{label}: TLS failed: {err}") from None
    except aiohttp.ClientConnectorError as err:
        raise Unreachable(
            f"{label}: cannot connect to {target.origin()}: {err.strerror or err}"
        ) from None
    except aiohttp.ClientPayloadError as err:
        raise Truncated(f"{label}: the reply was cut off: {err}") from None
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as err:
        raise Unreachable(f"{label}: connection lost: {err}") from None
    except aiohttp.InvalidURL as err:
        raise Unreachable(f"{label}: invalid URL {err}") from None
    except aiohttp.ClientResponseError as err:  # malformed HTTP from the upstream
        raise BadResponse(f"{label}: malformed HTTP reply: {err.message}") from None
    except aiohttp.ClientError as err:
        raise Unreachable(f"{label}: {type(err).__name__}: {err}") from None
