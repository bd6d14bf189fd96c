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

from typing import Any, NoReturn

_FIELDS = ("code", "http_status", "request_id", "details", "retry_after", "rate_limit")


def _rebuild(cls: type[TicksupplyError], message: str, state: dict[str, Any]) -> TicksupplyError:
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
    """The API answered with an error status.

    Also constructible as the official client's ``APIError(code, message, http_status,
    request_id=None, details=None)``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if len(args) > 1:  # the official client's positional form
            names = ("code", "message", "http_status", "request_id", "details", "retry_after")
            if len(args) > len(names):
                raise TypeError(f"{type(self).__name__}() takes at most {len(names)} positional arguments")
            for name, value in zip(names, args, strict=False):
                if name in kwargs:
                    raise TypeError(f"{type(self).__name__}() got multiple values for argument {name!r}")
                kwargs[name] = value
            args = ()
        super().__init__(*args, **kwargs)


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
    """The request failed in transport (``cause``: the underlying exception, if any)."""

    cause: BaseException | None = None

    def __init__(self, message: str = "", cause: BaseException | None = None, **kwargs: Any) -> None:
        if cause is not None:
            kwargs["cause"] = cause
        super().__init__(message, **kwargs)


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


# The class of each API error code (the official client's table). The core classifies the
# errors it raises the same way, with HTTP status as the fallback.
ERROR_CODE_MAP: dict[str, type[APIError]] = {
    "invalid_argument": InvalidArgumentError,
    "unauthenticated": AuthenticationError,
    "permission_denied": PermissionDeniedError,
    "not_found": NotFoundError,
    "already_exists": ConflictError,
    "rate_limited": RateLimitError,
    "payment_required": PaymentRequiredError,
    "internal": ServerError,
    "unavailable": ServerError,
}


def raise_for_error_response(
    http_status: int,
    code: str,
    message: str,
    request_id: str | None = None,
    details: dict[str, Any] | None = None,
    retry_after: int | None = None,
) -> NoReturn:
    """Raises the exception of an API error response: the class of ``code`` in
    ``ERROR_CODE_MAP``, else ``APIError`` (as the official client does)."""
    cls = ERROR_CODE_MAP.get(code, APIError)
    extra: dict[str, Any] = {"retry_after": retry_after} if cls is RateLimitError else {}
    raise cls(message, code=code, http_status=http_status, request_id=request_id, details=details, **extra)


__all__ = [
    "ERROR_CODE_MAP",
    "raise_for_error_response",
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
