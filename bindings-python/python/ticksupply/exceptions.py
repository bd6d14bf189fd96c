"""Exceptions of the Ticksupply client. Raised from the Rust core with their attributes set.

Hierarchy (as the official 0.2.0 client, plus ConfigurationError and the export helpers)::

    TicksupplyError
    ├── APIError (code, message, http_status, request_id, details)
    │   ├── AuthenticationError, PermissionDeniedError, NotFoundError, ConflictError,
    │   │   PaymentRequiredError, InvalidArgumentError, ServerError, DecodeError
    │   └── RateLimitError (retry_after)
    ├── NetworkError (cause) ── APITimeoutError (also a builtin TimeoutError)
    ├── ConfigurationError (also a ValueError)
    ├── ExportFailedError (job, reason) · DownloadError · DataError · CanceledError
"""

from __future__ import annotations

from typing import Any

_FIELDS = ("code", "http_status", "request_id", "details", "retry_after", "rate_limit")


def _rebuild(cls: type, message: str, state: dict[str, Any]) -> TicksupplyError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class TicksupplyError(Exception):
    """Base class of every error this package raises."""

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        http_status: int | None = None,
        request_id: str | None = None,
        details: Any = None,
        retry_after: int | None = None,
        rate_limit: dict[str, int | None] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status
        self.request_id = request_id
        self.details = details
        self.retry_after = retry_after
        self.rate_limit = rate_limit
        for k, v in extra.items():
            setattr(self, k, v)

    def __str__(self) -> str:
        text = f"[{self.code}] {self.message}" if self.code else self.message
        if self.request_id:
            text += f" (request_id: {self.request_id})"
        return text

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(code={self.code!r}, http_status={self.http_status!r}, request_id={self.request_id!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Survives pickle (multiprocessing, Celery): rebuilt with every attribute.
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


class APIError(TicksupplyError):
    """The API answered with an error status."""


class AuthenticationError(APIError):
    """401: missing, mistyped or deleted API key."""


class PermissionDeniedError(APIError):
    """403: the key may not do this."""


class NotFoundError(APIError):
    """404: no such resource (or another account's)."""


class ConflictError(APIError):
    """409: already exists, or an Idempotency-Key reused for another request."""


class RateLimitError(APIError):
    """429: too many requests; ``retry_after`` is the server's wait in seconds."""

    def __str__(self) -> str:
        text = super().__str__()
        return text + (f" (retry after {self.retry_after}s)" if self.retry_after is not None else "")


class PaymentRequiredError(APIError):
    """402: billing does not allow this operation."""


class InvalidArgumentError(APIError):
    """400: the request is invalid."""


class ServerError(APIError):
    """5xx: the service failed."""


class DecodeError(APIError):
    """A success response whose body could not be decoded."""


class NetworkError(TicksupplyError):
    """The request failed in transport."""

    cause: BaseException | None = None


class APITimeoutError(NetworkError, TimeoutError):
    """An attempt, a whole call, or a wait ran out of time (``job_id`` set for waits)."""

    job_id: str | None = None


class ConfigurationError(TicksupplyError, ValueError):
    """Bad configuration or arguments, found before anything was sent (no API key, bad URL)."""


class CanceledError(TicksupplyError):
    """The call was canceled."""


class ExportFailedError(TicksupplyError):
    """An awaited export ended failed, canceled or deleted; ``job`` and ``reason`` say why."""

    job: Any = None

    @property
    def reason(self) -> str | None:
        job = self.job
        return job.get("reason") if isinstance(job, dict) else None

    @property
    def status(self) -> str | None:
        job = self.job
        return job.get("status") if isinstance(job, dict) else None


class DownloadError(TicksupplyError):
    """Fetching, writing or checking an export artifact failed."""


class DataError(TicksupplyError):
    """An export's data could not be read or written: a truncated or corrupt artifact, CSV
    that does not fit its schema, a Parquet file that cannot be written. The message names the
    file."""


__all__ = [
    "TicksupplyError",
    "APIError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "RateLimitError",
    "PaymentRequiredError",
    "InvalidArgumentError",
    "ServerError",
    "DecodeError",
    "NetworkError",
    "APITimeoutError",
    "ConfigurationError",
    "CanceledError",
    "ExportFailedError",
    "DownloadError",
    "DataError",
]
